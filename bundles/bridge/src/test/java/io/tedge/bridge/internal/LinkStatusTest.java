package io.tedge.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;

class LinkStatusTest {
    /** Records publishes; backlog by cursor name. */
    static final class RecordingBus implements Bus {
        final List<BusMessage> published = new CopyOnWriteArrayList<>();
        final Map<String, Long> backlog = new ConcurrentHashMap<>();

        @Override
        public void publish(String topic, byte[] payload, int qos, boolean retain) {
            published.add(new BusMessage(topic, payload, qos, retain, -1));
        }

        @Override
        public Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener) {
            return () -> { };
        }

        @Override
        public DurableConsumer consumer(String name, Collection<String> filters) {
            throw new UnsupportedOperationException();
        }

        @Override
        public long backlog(String name) {
            return backlog.getOrDefault(name, -1L);
        }
    }

    final RecordingBus bus = new RecordingBus();
    long nanos = 1_000_000_000L;
    Instant now = Instant.parse("2026-12-01T10:00:00Z");
    final LinkStatus status = new LinkStatus("acme", bus, () -> nanos, () -> now);
    final ObjectMapper json = new ObjectMapper();

    JsonNode last() throws Exception {
        BusMessage m = bus.published.get(bus.published.size() - 1);
        assertThat(m.topic()).isEqualTo("tedge/bridge/acme/status");
        assertThat(m.retained()).isTrue();
        return json.readTree(m.payload());
    }

    @Test
    void everyChangeOfStatusIsPublishedAtOnceWithItsTime() throws Exception {
        status.source("acme.example.com:8883", () -> 0);
        status.state("connecting", "", false);
        now = now.plusMillis(60);
        nanos += 60_000_000L;
        status.state("down", "TLS: PKIX path building failed (check acme.root.cert.path)", true);
        assertThat(bus.published).hasSize(2);
        JsonNode s = last();
        assertThat(s.get("status").asText()).isEqualTo("down");
        assertThat(s.get("terminal").asBoolean()).isTrue();
        assertThat(s.get("since").asText()).isEqualTo("2026-12-01T10:00:00.060Z");
        assertThat(s.get("last_error").asText()).isEqualTo("TLS: PKIX path building failed (check acme.root.cert.path)");
        now = now.plusSeconds(5);
        status.state("disconnected", "", false);
        assertThat(last().get("since").asText()).isEqualTo("2026-12-01T10:00:05.060Z");
        assertThat(last().get("terminal").asBoolean()).isFalse();
    }

    @Test
    void countersArePublishedAtMostOnceASecondAndOnlyWhenChanged() throws Exception {
        status.state("up", "", false);
        int before = bus.published.size();
        for (int i = 0; i < 10; i++) {
            status.sent.incrementAndGet();
            nanos += 100_000_000L; // 10 ticks in one second
            status.tick();
        }
        assertThat(bus.published.size() - before).isEqualTo(1);
        assertThat(last().get("sent").asLong()).isEqualTo(10);
        nanos += 5_000_000_000L;
        status.tick();
        status.tick();
        assertThat(bus.published.size() - before).isEqualTo(1); // nothing changed: nothing published
    }

    @Test
    void queuedIsTheLinksBacklogPlusItsMappers() throws Exception {
        bus.backlog.put("bridge-acme", 3L);
        bus.backlog.put("mapper-acme", 200L);
        status.state("down", "cannot reach acme:8883", false);
        assertThat(last().get("queued").asLong()).isEqualTo(203);
        bus.backlog.remove("bridge-acme");
        nanos += 2_000_000_000L;
        status.tick();
        assertThat(last().get("queued").asLong()).isEqualTo(200);
    }

    @Test
    void countersSurviveALinkRestartAndEscapesAreJson() throws Exception {
        status.sent.addAndGet(5);
        status.state("disconnected", "", false);
        status.state("connecting", "", false);
        status.state("down", "quote \" backslash \\ newline \n tab \t ctl \u0001", false);
        JsonNode s = last();
        assertThat(s.get("sent").asLong()).isEqualTo(5);
        assertThat(s.get("last_error").asText()).isEqualTo("quote \" backslash \\ newline \n tab \t ctl \u0001");
        assertThat(bus.published.get(bus.published.size() - 1).text()).contains("\\\"").contains("\\n").contains("\\u0001");
    }
}
