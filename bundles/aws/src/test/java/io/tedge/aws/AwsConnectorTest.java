package io.tedge.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnector.ConnectorException;
import io.tedge.api.CloudLink;
import io.tedge.api.DurableConsumer;
import io.tedge.api.Mapper.MappingException;
import io.tedge.api.Topics;

class AwsConnectorTest {
    static Map<String, String> config() {
        Map<String, String> c = new HashMap<>();
        c.put("aws.url", "abc-ats.iot.eu-west-1.amazonaws.com");
        c.put("aws.root.cert.path", "/etc/ssl/certs");
        c.put("device.id", "dev-1");
        c.put("device.key.path", "/k.pem");
        c.put("device.cert.path", "/c.pem");
        return c;
    }

    /** A pub/sub "cloud" that echoes every outbound message back, as AWS IoT does for a subscriber. */
    static final class EchoBus implements Bus {
        final List<BusMessage> published = new CopyOnWriteArrayList<>();
        final List<Object[]> subs = new CopyOnWriteArrayList<>();
        boolean echo = true;

        @Override
        public void publish(String topic, byte[] payload, int qos, boolean retain) {
            published.add(new BusMessage(topic, payload, qos, retain, -1));
            if (echo && topic.equals("aws/test-connection")) deliver(new BusMessage("aws/connection-success", payload, 1, false, -1));
        }

        @SuppressWarnings("unchecked")
        void deliver(BusMessage m) {
            for (Object[] s : subs) {
                if (((Collection<String>) s[0]).stream().anyMatch(f -> Topics.matches(f, m.topic()))) ((Consumer<BusMessage>) s[1]).accept(m);
            }
        }

        @Override
        public Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener) {
            Object[] s = {filters, listener};
            subs.add(s);
            return () -> subs.remove(s);
        }

        @Override
        public DurableConsumer consumer(String name, Collection<String> filters) {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void linkAsThinEdge012() throws Exception {
        CloudLink l = new AwsConnector().link(config());
        assertThat(l.host()).isEqualTo("abc-ats.iot.eu-west-1.amazonaws.com");
        assertThat(l.port()).isEqualTo(8883);
        assertThat(l.clientId()).isEqualTo("dev-1");
        assertThat(l.username()).isEqualTo("dev-1");
        assertThat(l.rootCertPath()).isEqualTo(Path.of("/etc/ssl/certs"));
        assertThat(l.maxQos()).isEqualTo(1);
        assertThat(l.retainAllowed()).isFalse();
        assertThat(l.maxPayload()).isEqualTo(131072);
        var r = l.rules();
        assertThat(remote(l, "aws/td/measurements")).isEqualTo("thinedge/dev-1/td/measurements");
        assertThat(remote(l, "aws/shadow/update")).isEqualTo("$aws/things/dev-1/shadow/update");
        assertThat(remote(l, "aws/test-connection")).isEqualTo("thinedge/devices/dev-1/test-connection");
        assertThat(remote(l, "aws/cmd/x")).isNull();
        assertThat(local(l, "thinedge/dev-1/cmd/restart")).isEqualTo("aws/cmd/restart");
        assertThat(local(l, "$aws/things/dev-1/shadow/update/accepted")).isEqualTo("aws/shadow/update/accepted");
        assertThat(local(l, "thinedge/devices/dev-1/test-connection")).isEqualTo("aws/connection-success");
        assertThat(local(l, "thinedge/dev-2/cmd/restart")).isNull();
        assertThat(r).hasSize(5);
    }

    static String remote(CloudLink l, String topic) {
        return l.rules().stream().map(r -> r.toRemote(topic)).filter(t -> t != null).findFirst().orElse(null);
    }

    static String local(CloudLink l, String topic) {
        return l.rules().stream().map(r -> r.toLocal(topic)).filter(t -> t != null).findFirst().orElse(null);
    }

    @Test
    void endpointFromAwsMqttAndMissingUrlSaysWhatToSet() throws Exception {
        Map<String, String> c = config();
        c.put("aws.mqtt", "127.0.0.1:41883");
        assertThat(new AwsConnector().link(c).port()).isEqualTo(41883);
        c.remove("aws.mqtt");
        c.remove("aws.url");
        assertThatThrownBy(() -> new AwsConnector().link(c)).isInstanceOf(ConnectorException.class)
                .hasMessage("aws.url is not set. Set it with `tedge config set aws.url <your-endpoint>.iot.<region>.amazonaws.com`");
    }

    @Test
    void theCheckWaitsForItsOwnEcho() throws Exception {
        EchoBus bus = new EchoBus();
        assertThat(new AwsConnector(Duration.ofMillis(10)).check(bus, config(), Duration.ofSeconds(10))).isEqualTo(AwsConnector.SUCCESS);
        assertThat(bus.published).extracting(BusMessage::topic).containsExactly("aws/test-connection");
        assertThat(bus.subs).isEmpty();
        bus.echo = false;
        assertThatThrownBy(() -> new AwsConnector(Duration.ofMillis(10)).check(bus, config(), Duration.ofMillis(200)))
                .hasMessageStartingWith("Connection check failed: no echo from AWS IoT Core on aws/connection-success within 0.2 s");
        assertThat(bus.published).hasSize(1 + AwsConnector.ATTEMPTS);
    }

    // ------------------------------------------------------------------ mapper

    final AwsMapper mapper = new AwsMapper(Clock.fixed(Instant.parse("2026-12-01T10:00:00.123Z"), ZoneOffset.UTC));

    String map(String json) throws MappingException {
        List<BusMessage> out = mapper.map(BusMessage.of("tedge/measurements", json, 1));
        assertThat(out).hasSize(1);
        assertThat(out.get(0).topic()).isEqualTo("aws/td/measurements");
        return out.get(0).text();
    }

    @Test
    void measurementsGetATime() throws Exception {
        assertThat(map("{\"temperature\": 21.3, \"pressure\": {\"in\": 1.5, \"out\": 2}}"))
                .isEqualTo("{\"temperature\":21.3,\"pressure\":{\"in\":1.5,\"out\":2},\"time\":\"2026-12-01T10:00:00.123Z\"}");
        assertThat(map("{\"time\": \"2020-10-15T05:30:47+00:00\", \"t\": -1e3}")).isEqualTo("{\"time\":\"2020-10-15T05:30:47+00:00\",\"t\":-1e3}");
    }

    @Test
    void invalidThinEdgeJsonIsRefused() {
        for (String bad : new String[] {"[1]", "{\"t\": \"hot\"}", "{\"t\": true}", "{\"g\": {\"a\": {\"b\": 1}}}", "{\"time\": \"yesterday\", \"t\": 1}",
                "{}", "{\"t\": 1", "not json", "{\"t\": 1} x"}) {
            assertThatThrownBy(() -> mapper.map(BusMessage.of("tedge/measurements", bad, 1))).as(bad).isInstanceOf(MappingException.class)
                    .hasMessageStartingWith("Invalid Thin Edge JSON on tedge/measurements: ");
        }

        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < 12000; i++) sb.append("\"measurement").append(i).append("\": 1,");
        sb.append("\"last\": 1}");

        assertThatThrownBy(() -> mapper.map(BusMessage.of("tedge/measurements", sb.toString(), 1))).hasMessageContaining("over AWS IoT's limit of 131072 bytes");
    }
}
