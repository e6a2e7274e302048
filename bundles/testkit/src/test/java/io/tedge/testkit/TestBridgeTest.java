package io.tedge.testkit;

import static io.tedge.testkit.PahoDevice.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BridgeRule;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudLink;
import io.tedge.api.ConnectorConfig;
import io.tedge.testkit.CloudMqttStandIn.Acl;

/** A CloudLink run by the test bridge between a FakeBus and the generic stand-in. */
class TestBridgeTest {
    private static final TestPki PKI = TestPki.create("bridge test CA");
    private static final TestPki.Issued DEVICE = TestPki.selfSignedDevice("dev-tb");
    private static GenericMqttStandIn cloud;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        cloud = GenericMqttStandIn.builder("tb", PKI, new LiveTrust(DEVICE.cert())).acl(Acl.readWrite("devices/%c/#")).maxQos(1).start();
    }

    @AfterAll
    static void stop() {
        cloud.close();
    }

    static Map<String, String> config(Path root) {
        Map<String, String> c = new HashMap<>();
        c.put("tb.mqtt", cloud.hostPort());
        c.put("tb.root.cert.path", root.toString());
        c.put("device.id", "dev-tb");
        c.put("device.key.path", DEVICE.writeKey(dir.resolve("key.pem")).toString());
        c.put("device.cert.path", DEVICE.writeCert(dir.resolve("cert.pem")).toString());
        return c;
    }

    static CloudLink link(Map<String, String> config) throws Exception {
        return CloudLink.builder(ConnectorConfig.of("tb", config))
                .rules(BridgeRule.out("#", 1, "tb/out/", "devices/dev-tb/out/"),
                        BridgeRule.in("#", 1, "tb/in/", "devices/dev-tb/in/"),
                        BridgeRule.both("#", 1, "tb/both/", "devices/dev-tb/both/"))
                .maxPayload(100)
                .build();
    }

    @Test
    void outInBothWaysWithoutLoopsQosDowngradeAndThePayloadLimit() throws Exception {
        Map<String, String> config = config(PKI.writeCaPem(dir.resolve("ca.pem")));
        FakeBus bus = new FakeBus();
        try (TestBridge bridge = TestBridge.open(link(config), bus, WAIT)) {
            assertThat(cloud.awaitSubscribed("dev-tb", "devices/dev-tb/in/#", WAIT).granted()).isEqualTo(1);
            bus.publish("tb/out/t", "1".getBytes(StandardCharsets.UTF_8), 2, false);
            CloudMqttStandIn.Received out = cloud.awaitReceived(r -> r.topic().equals("devices/dev-tb/out/t"), WAIT);
            assertThat(out.text()).isEqualTo("1");
            assertThat(out.qos()).isEqualTo(1); // the link's maximum

            cloud.send("dev-tb", "devices/dev-tb/in/cmd", "go", 1);
            assertThat(bus.awaitPublished("tb/in/cmd", WAIT).text()).isEqualTo("go");

            // a both-ways rule: what comes in is not sent back out (mosquitto would echo it forever)
            cloud.send("dev-tb", "devices/dev-tb/both/x", "in", 1);
            bus.awaitPublished("tb/both/x", WAIT);
            bus.publish("tb/both/y", "out".getBytes(StandardCharsets.UTF_8), 1, false);
            cloud.awaitReceived(r -> r.topic().equals("devices/dev-tb/both/y"), WAIT);
            assertThat(cloud.receivedOn("devices/dev-tb/both/x")).isEmpty();

            bus.publish("tb/out/big", "x".repeat(101).getBytes(StandardCharsets.UTF_8), 1, false);
            bus.publish("tb/out/after", "a".getBytes(StandardCharsets.UTF_8), 1, false);
            cloud.awaitReceived(r -> r.topic().equals("devices/dev-tb/out/after"), WAIT);
            assertThat(bridge.refused()).containsExactly("tb/out/big");
            assertThat(cloud.receivedOn("devices/dev-tb/out/big")).isEmpty();
            bus.publish("elsewhere", "e".getBytes(StandardCharsets.UTF_8), 1, false);
            assertThat(bridge.errors()).isEmpty();
            assertThat(bridge.isConnected()).isTrue();
        }
        cloud.awaitDisconnected("dev-tb", WAIT);
    }

    @Test
    void aConnectionCheckRunsThroughTheCloud() throws Exception {
        Map<String, String> config = config(PKI.writeCaPem(dir.resolve("ca2.pem")));
        FakeBus bus = new FakeBus();
        CloudLink echo = CloudLink.builder(ConnectorConfig.of("tb", config))
                .rules(BridgeRule.out("", 1, "tb/echo", "devices/dev-tb/echo"), BridgeRule.in("", 1, "tb/echo/answer", "devices/dev-tb/echo"))
                .build();
        try (TestBridge bridge = TestBridge.open(echo, bus, WAIT)) {
            var answer = io.tedge.api.ConnectionCheck.on(bus).listen("tb/echo/answer").request("tb/echo", "token-1")
                    .accept(m -> m.text().equals("token-1")).attempts(3, Duration.ofSeconds(2)).run(WAIT);
            assertThat(answer).map(BusMessage::text).contains("token-1");
        }
    }

    @Test
    void aServerThatTheRootsDoNotTrustFailsWithTheTlsReason() throws Exception {
        Path otherRoot = TestPki.create("someone else").writeCaPem(dir.resolve("other-ca.pem"));
        FakeBus bus = new FakeBus();
        CloudLink l = link(config(otherRoot));
        assertThatThrownBy(() -> TestBridge.open(l, bus, WAIT)).isInstanceOf(IOException.class)
                .hasMessageContaining("did not come up").hasMessageContaining("SSLHandshakeException");
        assertThat(bus.openSubscriptions()).isZero();
    }
}
