package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.C8yMqttStandIn;
import io.tedge.testkit.CloudMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/** The Cumulocity story end to end: the built agent against TLS stand-ins of Cumulocity's MQTT and REST endpoints. */
class C8yIT {
    static final Duration T = Duration.ofSeconds(30);
    @TempDir
    Path dir;
    TestPki pki;
    LiveTrust trust;
    C8yMqttStandIn cloud;
    C8yHttpStandIn rest;
    Path cfg;

    @BeforeEach
    void standIns() throws Exception {
        pki = TestPki.create("c8y-cloud-ca");
        trust = new LiveTrust();
        cloud = C8yMqttStandIn.start(pki, trust);
        rest = C8yHttpStandIn.start(pki, trust, "secret");
        cfg = dir.resolve("cfg");
        Path ca = pki.writeCaPem(dir.resolve("c8y-root.pem"));
        new Agent(cfg); // writes tedge.toml with a free mqtt.port
        Agent.useC8yStandIns(cfg, cloud.hostPort(), rest.hostPort(), ca);
    }

    @AfterEach
    void close() {
        cloud.close();
        rest.close();
    }

    private int port() throws Exception {
        return Agent.mqttPort(cfg);
    }

    private void createAndUpload(String id) throws Exception {
        Agent.createAndUploadC8yCert(cfg, id, "secret");
    }

    @Test
    void connectThenTelemetryOperationsErrorsRestartAndDisconnect() throws Exception {
        createAndUpload("dev-c8y");
        try (Agent agent = new Agent(cfg, port()).startAndWait()) {
            Agent.Result c = agent.tedge("connect", "c8y");
            assertThat(c.code()).as(c.toString()).isZero();
            assertThat(c.out()).contains("Validating the bridge certificates.").contains("Connection check to c8y cloud is successful.");
            cloud.awaitConnected("dev-c8y", T);

            // SmartREST from the command line, as in thin-edge.io's tutorial
            ok(agent.tedge("mqtt", "pub", "c8y/s/us", "211,20"));
            cloud.awaitSmartRest("211,20", T);

            // Thin Edge JSON through the mapper
            ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"temperature\": 21.3, \"pressure\": {\"in\": 1.5}}"));
            C8yMqttStandIn.JsonMessage m = cloud.awaitMeasurement(j -> j.json().containsKey("temperature"), T);
            assertThat(m.json().get("type")).isEqualTo("ThinEdgeMeasurement");
            assertThat(m.json().toString()).contains("temperature={temperature={value=21.3}}").contains("pressure={in={value=1.5}}");
            assertThat(m.json()).containsKey("time");

            // a child device is registered first
            ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements/child1", "{\"t\": 5}"));
            cloud.awaitSmartRest(l -> l.line().equals("101,child1,child1,thin-edge.io-child"), T);
            C8yMqttStandIn.JsonMessage child = cloud.awaitMeasurement(j -> j.json().containsKey("externalSource"), T);
            assertThat(child.json().get("externalSource").toString()).contains("child1").contains("c8y_Serial");

            try (Local app = new Local(agent.port, "device-app").subscribe("c8y/s/ds").subscribe("tedge/errors")) {
                // an operation comes down
                cloud.sendOperation("dev-c8y", "510,dev-c8y");
                assertThat(app.await("c8y/s/ds", 30)).isEqualTo("c8y/s/ds 510,dev-c8y");
                // invalid Thin Edge JSON gives an error, and the mapper goes on
                app.publish("tedge/measurements", "{\"temperature\": \"hot\"}", 1);
                assertThat(app.await("tedge/errors", 30)).startsWith("tedge/errors ");
                app.publish("tedge/measurements", "{\"after\": 1}", 1);
                cloud.awaitMeasurement(j -> j.json().containsKey("after"), T);
            }

            Agent.Result again = agent.tedge("connect", "c8y");
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.err()).contains("Connection is already established");

            assertThat(agent.tedge("status").out()).contains("c8y").contains("up");

            // a restart keeps the connection
            int connects = cloud.connectCount();
            agent.terminate();
            try (Agent restarted = new Agent(cfg, agent.port).startAndWait()) {
                cloud.awaitConnectCount(connects + 1, T);
                Agent.Result test = restarted.tedge("connect", "c8y", "--test");
                assertThat(test.code()).as(test.toString()).isZero();

                Agent.Result d = restarted.tedge("disconnect", "c8y");
                assertThat(d.code()).as(d.toString()).isZero();
                cloud.awaitDisconnected("dev-c8y", T);
                ok(restarted.tedge("mqtt", "pub", "-q", "1", "c8y/s/us", "211,99"));
                Agent.Result notConnected = restarted.tedge("connect", "c8y", "--test");
                assertThat(notConnected.code()).isEqualTo(1);
                assertThat(notConnected.err()).contains("not connected");
                assertThat(cloud.connectedDevices()).doesNotContain("dev-c8y");
                assertThat(cloud.smartRestLines()).noneMatch(l -> l.line().equals("211,99"));
                assertThat(restarted.tedge("disconnect", "c8y").out()).contains("already disconnected");
            }
        }
    }

    @Test
    void aCertificateTheCloudDoesNotTrustFailsConnectClearly() throws Exception {
        ok(Agent.run(cfg, "cert", "create", "--device-id", "dev-unknown"));
        try (Agent agent = new Agent(cfg, port()).startAndWait()) {
            Agent.Result c = agent.tedge("connect", "c8y");
            assertThat(c.code()).isEqualTo(1);
            assertThat(c.err()).contains("did not come up").containsAnyOf("not authorized", "TLS", "certificate");
        }
    }

    @Test
    void connectWithoutAContainerSavesTheConfigAndSaysHowToStartIt() throws Exception {
        createAndUpload("dev-offline");
        Agent.Result c = Agent.run(cfg, "connect", "c8y");
        assertThat(c.code()).isEqualTo(1);
        assertThat(c.err()).contains("not running").contains("tedged");
        assertThat(Files.readString(cfg.resolve("tedge.toml"))).contains("connect = \"true\"");
        // and the container brings the link up when it starts
        try (Agent agent = new Agent(cfg, port()).startAndWait()) {
            cloud.awaitConnected("dev-offline", T);
        }
    }

    @Test
    void aCloudOutageAndAKillNineLoseNoQos1Message() throws Exception {
        createAndUpload("dev-outage");
        Agent agent = new Agent(cfg, port()).startAndWait();
        try {
            ok(agent.tedge("connect", "c8y"));
            long outageStart = System.nanoTime();
            cloud.setAvailable(false);
            cloud.awaitDisconnected("dev-outage", T);
            int n = 1000;
            MqttAsyncClient pub = new MqttAsyncClient("tcp://127.0.0.1:" + agent.port, "outage-publisher", new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setMaxInflight(n);
            pub.connect(o).waitForCompletion(10_000);
            List<IMqttDeliveryToken> tokens = new ArrayList<>();
            for (int i = 0; i < n; i++) tokens.add(pub.publish("c8y/s/us", ("200,c8y_Counter,n," + i).getBytes(StandardCharsets.UTF_8), 1, false));
            for (IMqttDeliveryToken t : tokens) t.waitForCompletion(10_000);
            pub.disconnect().waitForCompletion(5000);
            pub.close();
            // all acknowledged locally while the cloud is away; now the container crashes
            agent.kill();
            agent = new Agent(cfg, agent.port).startAndWait();
            long left = Duration.ofSeconds(30).toNanos() - (System.nanoTime() - outageStart);
            if (left > 0) Thread.sleep(left / 1_000_000); // the outage lasts 30 s, as the issue asks
            cloud.setAvailable(true);
            cloud.awaitSmartRest("200,c8y_Counter,n," + (n - 1), Duration.ofSeconds(60));
            Set<String> seen = new LinkedHashSet<>();
            for (C8yMqttStandIn.SmartRestLine l : cloud.smartRestLines()) {
                if (l.line().startsWith("200,c8y_Counter,n,")) seen.add(l.line());
            }
            List<String> order = new ArrayList<>(seen);
            for (int i = 0; i < n; i++) assertThat(order.get(i)).isEqualTo("200,c8y_Counter,n," + i);
            assertThat(order).hasSize(n);
        } finally {
            agent.close();
        }
    }


    @Test
    void updatingTheConnectorBundleWhileMessagesFlowLosesNone() throws Exception {
        createAndUpload("dev-swap");
        try (Agent agent = new Agent(cfg, port()).startAndWait()) {
            ok(agent.tedge("connect", "c8y"));
            cloud.awaitConnected("dev-swap", T);
            int connects = cloud.connectCount();
            int n = 3000;
            MqttAsyncClient pub = new MqttAsyncClient("tcp://127.0.0.1:" + agent.port, "swap-publisher", new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setMaxInflight(1000);
            pub.connect(o).waitForCompletion(10_000);
            List<IMqttDeliveryToken> tokens = new ArrayList<>();
            Path jar = Agent.HOME.resolve("deploy/tedge-c8y.jar");
            for (int i = 0; i < n; i++) {
                if (tokens.size() >= 150) tokens.remove(0).waitForCompletion(10_000);
                tokens.add(pub.publish("c8y/s/us", ("200,c8y_Swap,n," + i).getBytes(StandardCharsets.UTF_8), 1, false));
                if (i == n / 3) {
                    // FileInstall sees a new jar: it stops, updates and restarts the connector bundle
                    Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
                    cloud.awaitConnectCount(connects + 1, T);
                }
            }
            for (IMqttDeliveryToken t : tokens) t.waitForCompletion(10_000);
            pub.disconnect().waitForCompletion(5000);
            pub.close();
            cloud.awaitSmartRest("200,c8y_Swap,n," + (n - 1), Duration.ofSeconds(60));
            Set<String> seen = new LinkedHashSet<>();
            for (C8yMqttStandIn.SmartRestLine l : cloud.smartRestLines()) {
                if (l.line().startsWith("200,c8y_Swap,n,")) seen.add(l.line());
            }
            List<String> order = new ArrayList<>(seen);
            assertThat(order).hasSize(n);
            for (int i = 0; i < n; i++) assertThat(order.get(i)).isEqualTo("200,c8y_Swap,n," + i);
        }
    }

    static Agent.Result ok(Agent.Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }
}
