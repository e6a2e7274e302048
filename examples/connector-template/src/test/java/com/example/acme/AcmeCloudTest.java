package com.example.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.CloudMqttStandIn.Acl;
import io.tedge.testkit.FakeBus;
import io.tedge.testkit.GenericMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestBridge;
import io.tedge.testkit.TestPki;

/**
 * The connector against a stand-in of the ACME cloud, without the agent: mosquitto with TLS that
 * requires the device's certificate, client id = the certificate's CN, each device on its own
 * {@code devices/<id>/...} topics, QoS 0/1, 256 KiB (the testkit's {@link GenericMqttStandIn}).
 * {@link TestBridge} runs the link that {@code link()} describes, as the agent's bridge would,
 * between a {@link FakeBus} and the stand-in: so the endpoint, the identity, the trusted root, the
 * rules and {@code check()} are tried against a real MQTT server.
 */
class AcmeCloudTest {
    static final Duration T = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void theLinkComesUpAndItsRulesAndCheckWorkAgainstTheCloud() throws Exception {
        TestPki pki = TestPki.create("acme-ca");                          // the cloud's private CA
        TestPki.Issued device = TestPki.selfSignedDevice("dev-1");        // as `tedge cert create --device-id dev-1`
        try (GenericMqttStandIn acme = GenericMqttStandIn.builder("acme", pki, new LiveTrust(device.cert()))
                .acl(Acl.readWrite("devices/%c/#"))
                .maxQos(1)
                .maxMessageSize(256 * 1024)
                .start()) {
            Map<String, String> config = Map.of(
                    "acme.url", "localhost",
                    "acme.mqtt", acme.hostPort(),
                    "acme.root.cert.path", pki.writeCaPem(dir.resolve("acme-ca.pem")).toString(),
                    "device.id", "dev-1",
                    "device.key.path", device.writeKey(dir.resolve("key.pem")).toString(),
                    "device.cert.path", device.writeCert(dir.resolve("cert.pem")).toString());
            AcmeConnector connector = new AcmeConnector();
            FakeBus bus = new FakeBus();
            try (TestBridge bridge = TestBridge.open(connector.link(config), bus, T)) {
                assertThat(connector.check(bus, config, T)).isEqualTo("Connection check to ACME is successful.");

                bus.publish("acme/telemetry/temperature", "{\"t\":21}".getBytes(StandardCharsets.UTF_8), 1, false);
                assertThat(acme.awaitReceived(r -> r.topic().equals("devices/dev-1/telemetry/temperature"), T).text()).isEqualTo("{\"t\":21}");

                acme.send("dev-1", "devices/dev-1/commands/restart", "now", 1);
                assertThat(bus.awaitPublished("acme/commands/restart", T).text()).isEqualTo("now");

                assertThat(acme.closures()).as("nothing the cloud refused").isEmpty();
                assertThat(bridge.errors()).isEmpty();
            }
        }
    }
}
