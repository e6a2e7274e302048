package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.AzMqttStandIn;
import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.C8yMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/** Azure IoT Hub end to end, alone and beside Cumulocity, against TLS stand-ins. */
class AzIT {
    static final Duration T = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    TestPki pki;
    LiveTrust trust;
    AzMqttStandIn hub;
    Path cfg;
    int port;

    @BeforeEach
    void standIn() throws Exception {
        pki = TestPki.create("az-cloud-ca");
        trust = new LiveTrust();
        hub = AzMqttStandIn.start(pki, trust);
        cfg = dir.resolve("cfg");
        port = new Agent(cfg).port;
        Path ca = pki.writeCaPem(dir.resolve("az-root.pem"));
        set("az.url", "myhub.azure-devices.net");
        set("az.mqtt", hub.hostPort());
        set("az.root.cert.path", ca.toString());
        set("bridge.reconnect.initial_ms", "200");
        set("bridge.reconnect.max_ms", "1000");
        ok(Agent.run(cfg, "cert", "create", "--device-id", "dev-az"));
        String show = Agent.run(cfg, "cert", "show").out();
        String thumb = show.substring(show.indexOf("Thumbprint: ") + 12).trim();
        // as on the portal: the device is registered with the thumbprint `tedge cert show` prints
        X509Certificate cert;
        try (java.io.InputStream in = Files.newInputStream(cfg.resolve("device-certs/tedge-certificate.pem"))) {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        assertThat(thumb).isEqualTo(AzMqttStandIn.thumbprint(cert));
        hub.registerDevice("dev-az", cert);
    }

    @AfterEach
    void close() {
        hub.close();
    }

    private void set(String k, String v) throws Exception {
        Agent.Result r = Agent.run(cfg, "config", "set", k, v);
        assertThat(r.code()).as(r.toString()).isZero();
    }

    @Test
    void connectTelemetryMethodsCloudToDeviceAndDisconnect() throws Exception {
        try (Agent agent = new Agent(cfg, port).startAndWait(); Local app = new Local(port, "az-app")) {
            Agent.Result c = agent.tedge("connect", "az");
            assertThat(c.code()).as(c.toString()).isZero();
            assertThat(c.out()).contains("Connection check to Azure IoT Hub is successful.");
            hub.awaitConnected("dev-az", T);
            assertThat(hub.connectAttempts()).anyMatch(a -> "myhub.azure-devices.net/dev-az/?api-version=2021-04-12".equals(a.username()));

            // Thin Edge JSON through the az mapper, with a timestamp
            ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"temperature\": 12}"));
            AzMqttStandIn.Telemetry t = hub.awaitTelemetry(x -> x.text().contains("temperature"), T);
            assertThat(t.topic()).startsWith("devices/dev-az/messages/events/");
            assertThat(t.text()).contains("\"temperature\":12").contains("\"time\":");

            // raw telemetry passes through as it is; QoS 2 goes up as QoS 1
            ok(agent.tedge("mqtt", "pub", "-q", "2", "az/messages/events/", "{\"raw\":true}"));
            AzMqttStandIn.Telemetry raw = hub.awaitTelemetry(x -> x.text().equals("{\"raw\":true}"), T);
            assertThat(raw.topic()).isEqualTo("devices/dev-az/messages/events/");
            assertThat(raw.qos()).isEqualTo(1); // as mosquitto delivered it to the stand-in's QoS 2 subscription
            assertThat(hub.qos2Violations()).isEmpty();
            assertThat(hub.received()).allMatch(r -> r.qos() <= 1);

            // a direct method and a cloud-to-device message come down
            app.subscribe("az/methods/POST/#").subscribe("az/messages/devicebound/#");
            hub.awaitSubscribed("dev-az", "$iothub/methods/POST/#", T);
            String rid = hub.invokeMethod("dev-az", "reboot", "{\"delay\":1}");
            String call = app.await("az/methods/POST/reboot/", 30);
            assertThat(call).contains("?$rid=" + rid).endsWith("{\"delay\":1}");
            app.publish("az/methods/res/200/?$rid=" + rid, "{\"done\":true}", 1);
            AzMqttStandIn.MethodResponse resp = hub.awaitMethodResponse(rid, T);
            assertThat(resp.status()).isEqualTo(200);
            assertThat(resp.body()).isEqualTo("{\"done\":true}");
            hub.sendC2D("dev-az", "hello device");
            assertThat(app.await("az/messages/devicebound/", 30)).endsWith(" hello device");

            // invalid Thin Edge JSON: an error, nothing to the hub
            app.subscribe("tedge/errors");
            app.publish("tedge/measurements", "[1,2]", 1);
            assertThat(app.await("tedge/errors", 30)).isNotEmpty();

            Agent.Result d = agent.tedge("disconnect", "az");
            assertThat(d.code()).isZero();
            hub.awaitDisconnected("dev-az", T);
            int before = hub.telemetry().size();
            ok(agent.tedge("mqtt", "pub", "-q", "1", "az/messages/events/", "{\"after\":1}"));
            assertThat(hub.connectedDevices()).doesNotContain("dev-az");
            assertThat(hub.telemetry()).hasSize(before);
            Agent.Result test = agent.tedge("connect", "az", "--test");
            assertThat(test.code()).isEqualTo(1);
        }
    }

    @Test
    void azTimestampCanBeSwitchedOff() throws Exception {
        set("az.mapper.timestamp", "false");
        try (Agent agent = new Agent(cfg, port).startAndWait()) {
            ok(agent.tedge("connect", "az"));
            ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"humidity\": 40}"));
            AzMqttStandIn.Telemetry t = hub.awaitTelemetry(x -> x.text().contains("humidity"), T);
            assertThat(t.text()).isEqualTo("{\"humidity\":40}");
        }
    }

    @Test
    void c8yAndAzConnectedAtOnceEachGetOnlyTheirOwnTraffic() throws Exception {
        TestPki c8yPki = TestPki.create("c8y-cloud-ca");
        LiveTrust c8yTrust = new LiveTrust();
        try (C8yMqttStandIn c8y = C8yMqttStandIn.start(c8yPki, c8yTrust); C8yHttpStandIn rest = C8yHttpStandIn.start(c8yPki, c8yTrust, "pw")) {
            set("c8y.url", "localhost");
            set("c8y.mqtt", c8y.hostPort());
            set("c8y.http", rest.hostPort());
            set("c8y.root.cert.path", c8yPki.writeCaPem(dir.resolve("c8y-root.pem")).toString());
            ok(Agent.runWithEnv(cfg, Map.of("C8YPASS", "pw"), "cert", "upload", "c8y", "--user", "admin"));
            try (Agent agent = new Agent(cfg, port).startAndWait()) {
                ok(agent.tedge("connect", "c8y"));
                ok(agent.tedge("connect", "az"));
                String status = agent.tedge("status").out();
                assertThat(status).contains("c8y").contains("az");

                ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"both\": 1}"));
                c8y.awaitMeasurement(j -> j.json().containsKey("both"), T);
                hub.awaitTelemetry(x -> x.text().contains("\"both\":1"), T);

                ok(agent.tedge("mqtt", "pub", "-q", "1", "c8y/s/us", "211,7"));
                ok(agent.tedge("mqtt", "pub", "-q", "1", "az/messages/events/", "{\"azonly\":1}"));
                c8y.awaitSmartRest("211,7", T);
                hub.awaitTelemetry(x -> x.text().contains("azonly"), T);
                assertThat(c8y.received()).noneMatch(r -> r.text().contains("azonly") || r.topic().startsWith("devices/"));
                assertThat(hub.received()).noneMatch(r -> r.text().contains("211,7") || r.topic().startsWith("s/") || r.topic().startsWith("measurement/"));

                // disconnecting one leaves the other running
                ok(agent.tedge("disconnect", "c8y"));
                c8y.awaitDisconnected("dev-az", T);
                ok(agent.tedge("mqtt", "pub", "-q", "1", "az/messages/events/", "{\"still\":1}"));
                hub.awaitTelemetry(x -> x.text().contains("still"), T);
            }
        }
        assertThat(Files.readString(cfg.resolve("tedge.toml"))).contains("[az]");
    }

    static Agent.Result ok(Agent.Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }
}
