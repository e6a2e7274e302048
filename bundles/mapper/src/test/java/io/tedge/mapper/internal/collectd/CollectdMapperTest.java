package io.tedge.mapper.internal.collectd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BusMessage;
import io.tedge.mapper.internal.JournalBus;

/** The collectd mapper on the real bus: a burst of one collectd round becomes one measurement; errors go on. */
class CollectdMapperTest {
    @TempDir
    Path dir;
    JournalBus bus;
    CollectdMapper mapper;
    final List<BusMessage> out = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        bus = new JournalBus(dir);
        bus.subscribe(List.of("tedge/measurements", "tedge/errors", "tedge/health/#"), out::add);
        mapper = new CollectdMapper(bus, Clock.systemUTC(), Map.of("collectd.batching_window_ms", "300", "collectd.maximum_message_delay_ms", "200"));
        mapper.start();
    }

    @AfterEach
    void stop() {
        mapper.stop();
        bus.close();
    }

    private List<BusMessage> await(String topic, int n) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            List<BusMessage> got = out.stream().filter(m -> m.topic().equals(topic)).toList();
            if (got.size() >= n) return got;
            Thread.sleep(10);
        }
        throw new AssertionError("no " + n + " message(s) on " + topic + ": " + out);
    }

    @Test
    void aBurstOfFiftyValuesIsOneMeasurement() throws Exception {
        double now = System.currentTimeMillis() / 1000.0;
        String ts = String.format(java.util.Locale.ROOT, "%.3f", now);
        for (int i = 0; i < 50; i++) {
            bus.publish("collectd/host/group" + (i % 5) + "/key" + i, (ts + ":" + i + "\0").getBytes(StandardCharsets.UTF_8), 0, false);
        }
        List<BusMessage> m = await("tedge/measurements", 1);
        String json = m.get(0).text();
        assertThat(json).startsWith("{\"time\":\"").contains("\"group0\":{\"key0\":0.0,\"key5\":5.0").contains("\"key49\":49.0");
        Thread.sleep(800); // nothing else comes for that round
        assertThat(out.stream().filter(x -> x.topic().equals("tedge/measurements"))).hasSize(1);
    }

    @Test
    void badMessagesGiveUpstreamsErrorsAndTheBatchGoesOn() throws Exception {
        double now = System.currentTimeMillis() / 1000.0;
        bus.publish("collectd/host/cpu/percent", (now + ":1.5").getBytes(StandardCharsets.UTF_8), 0, false);
        bus.publish("collectd/too/few", (now + ":1").getBytes(StandardCharsets.UTF_8), 0, false);
        bus.publish("collectd/host/cpu/idle", "nonsense".getBytes(StandardCharsets.UTF_8), 0, false);
        bus.publish("collectd/host/cpu/user", (now + ":2").getBytes(StandardCharsets.UTF_8), 0, false);
        List<BusMessage> errors = await("tedge/errors", 2);
        assertThat(errors.get(0).text()).startsWith("Message received on invalid collectd topic: collectd/too/few.");
        assertThat(errors.get(1).text()).isEqualTo("Invalid payload received on topic: collectd/host/cpu/idle. Error: Invalid payload: nonsense. "
                + "Expected payload format: <timestamp>:<value>");
        String json = await("tedge/measurements", 1).get(0).text();
        assertThat(json).contains("\"cpu\":{\"percent\":1.5,\"user\":2.0}");
    }

    @Test
    void qos1ValuesComeFromTheJournalAndAreCommittedOnlyOncePublished() throws Exception {
        double now = System.currentTimeMillis() / 1000.0;
        bus.publish("collectd/host/mem/used", (now + ":42").getBytes(StandardCharsets.UTF_8), 1, false);
        assertThat(await("tedge/measurements", 1).get(0).text()).contains("\"mem\":{\"used\":42.0}");
        try (var c = bus.consumer("mapper-collectd", List.of("collectd/#"))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (c.pending() != 0 && System.nanoTime() < deadline) Thread.sleep(10);
            assertThat(c.pending()).isZero();
        }
    }

    @Test
    void healthIsUpWhileRunningAndDownWhenStopped() throws Exception {
        assertThat(await("tedge/health/tedge-mapper-collectd", 1).get(0).text()).matches("\\{\"pid\":\\d+,\"status\":\"up\",\"time\":\\d+\\}");
        bus.publish("tedge/health-check", new byte[0], 0, false);
        await("tedge/health/tedge-mapper-collectd", 2);
        mapper.stop();
        List<BusMessage> h = await("tedge/health/tedge-mapper-collectd", 3);
        assertThat(h.get(2).text()).contains("\"status\":\"down\"");
        assertThat(bus.broker.retained("tedge/health/tedge-mapper-collectd").text()).contains("down");
        mapper = new CollectdMapper(bus, Clock.systemUTC(), Map.of());
        mapper.start();
    }
}
