package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.C8yMqttStandIn;
import io.tedge.testkit.Json;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * Telemetry beyond measurements end to end (issue 9): the built agent against the Cumulocity
 * stand-ins, driven by bin/tedge and Paho as a device application would: alarms raised,
 * re-raised with extras and cleared, a child's alarm, events as SmartREST, JSON and over HTTP,
 * service health and its 102, health after the connector bundle is stopped, alarms cleared while
 * the mapper was not running, and a collectd burst.
 */
class TelemetryIT {
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
        rest.setTokenCheck(token -> {
            try {
                cloud.jwtClaims(token);
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        });
        cfg = dir.resolve("cfg");
        Path ca = pki.writeCaPem(dir.resolve("c8y-root.pem"));
        new Agent(cfg);
        Agent.useC8yStandIns(cfg, cloud.hostPort(), rest.hostPort(), ca);
    }

    @AfterEach
    void close() {
        cloud.close();
        rest.close();
    }

    private Agent connected(String device) throws Exception {
        Agent.createAndUploadC8yCert(cfg, device, "secret");
        Agent agent = new Agent(cfg, Agent.mqttPort(cfg)).startAndWait();
        C8yIT.ok(agent.tedge("connect", "c8y"));
        cloud.awaitConnected(device, T);
        return agent;
    }

    private static boolean startsWith(C8yMqttStandIn.SmartRestLine l, String child, String prefix) {
        return java.util.Objects.equals(l.child(), child) && l.line().startsWith(prefix);
    }

    @Test
    void alarmsEventsAndHealthReachCumulocity() throws Exception {
        try (Agent agent = connected("dev-tel")) {
            // an alarm raised (retained, as thin-edge.io wants alarms), raised again with extras, cleared
            C8yIT.ok(agent.tedge("mqtt", "pub", "-r", "-q", "1", "tedge/alarms/major/temperature_high", "{\"text\":\"Temperature high\"}"));
            C8yMqttStandIn.SmartRestLine raised = cloud.awaitSmartRest(l -> startsWith(l, null, "302,temperature_high,"), T);
            assertThat(raised.fields()).hasSize(4);
            assertThat(raised.fields().get(2)).isEqualTo("Temperature high");
            assertThat(raised.fields().get(3)).endsWith("Z");
            C8yIT.ok(agent.tedge("mqtt", "pub", "-r", "-q", "1", "tedge/alarms/major/temperature_high",
                    "{\"text\":\"Temperature higher\",\"time\":\"2023-01-25T18:41:14.776170774Z\",\"sensor\":{\"id\":\"t1\",\"value\":81.5}}"));
            C8yMqttStandIn.JsonMessage json = cloud.awaitJson(j -> j.topic().equals("alarm/alarms/create"), T);
            assertThat(json.json()).containsEntry("type", "temperature_high").containsEntry("severity", "MAJOR")
                    .containsEntry("text", "Temperature higher").containsEntry("time", "2023-01-25T18:41:14.776170774Z");
            assertThat(json.json().get("sensor").toString()).isEqualTo("{id=t1, value=81.5}");
            C8yIT.ok(agent.tedge("mqtt", "pub", "-r", "-q", "1", "tedge/alarms/major/temperature_high", ""));
            cloud.awaitSmartRest("306,temperature_high", T);

            // a child's alarm: the child is registered first, the alarm goes on its own topic
            C8yIT.ok(agent.tedge("mqtt", "pub", "-r", "-q", "1", "tedge/alarms/critical/overheat/child7", "{\"text\":\"hot\"}"));
            cloud.awaitSmartRest("101,child7,child7,thin-edge.io-child", T);
            C8yMqttStandIn.SmartRestLine child = cloud.awaitSmartRest(l -> startsWith(l, "child7", "301,overheat,"), T);
            assertThat(child.topic()).isEqualTo("s/us/child7");
            assertThat(cloud.children("dev-tel")).contains("child7");

            // events: SmartREST, JSON, and one of 20 KB over HTTP with the device's JWT
            C8yIT.ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/events/login", "{\"text\":\"user in\",\"time\":\"2021-04-23T19:00:00+05:00\"}"));
            cloud.awaitSmartRest("400,login,\"user in\",2021-04-23T19:00:00+05:00", T);
            C8yIT.ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/events/door", "{\"text\":\"open\",\"door\":{\"id\":7}}"));
            C8yMqttStandIn.JsonMessage door = cloud.awaitJson(j -> j.topic().equals("event/events/create"), T);
            assertThat(door.json()).containsEntry("type", "door").containsEntry("text", "open").containsKey("time");
            String big = "x".repeat(20 * 1024);
            try (Local app = new Local(agent.port, "event-app")) {
                app.publish("tedge/events/big_event", "{\"text\":\"" + big + "\",\"note\":\"large\"}", 1);
            }
            C8yHttpStandIn.Request post = rest.awaitRequest(r -> r.path().equals("/event/events"), T).orElseThrow();
            assertThat(post.method()).isEqualTo("POST");
            assertThat(cloud.jwtClaims(post.header("Authorization").substring("Bearer ".length()))).containsEntry("sub", "device_dev-tel");
            Map<String, Object> event = Json.parseObject(post.body());
            assertThat(event).containsEntry("type", "big_event").containsEntry("note", "large").containsKey("time");
            assertThat((String) event.get("text")).isEqualTo(big);
            assertThat(event.get("source")).isInstanceOf(Map.class);
            assertThat(cloud.jsonMessages()).noneMatch(j -> "big_event".equals(j.json().get("type")));
            assertThat(cloud.oversizeClosures()).isEmpty();

            // errors are upstream's, on tedge/errors, and nothing reaches the cloud for them
            try (Local app = new Local(agent.port, "bad-app").subscribe("tedge/errors")) {
                app.publish("tedge/alarms/fatal/x", "{}", 1);
                assertThat(app.await("tedge/errors", 30)).isEqualTo("tedge/errors Parsing of alarm message received on topic: tedge/alarms/fatal/x "
                        + "failed due to error: Unsupported alarm severity in topic: fatal. Snipped payload: {}");
            }
            assertThat(cloud.smartRestLines()).noneMatch(l -> l.line().contains(",x,"));

            // health: each mapper and the link, retained; the c8y mapper reports services with 102
            cloud.awaitSmartRest("102,dev-tel_tedge-mapper-c8y,\"thin-edge.io\",tedge-mapper-c8y,\"up\"", T);
            cloud.awaitSmartRest("102,dev-tel_tedge-mapper-collectd,\"thin-edge.io\",tedge-mapper-collectd,\"up\"", T);
            try (Local app = new Local(agent.port, "health-app").subscribe("tedge/health/+")) {
                assertThat(app.await("tedge/health/tedge-mapper-c8y ", 30)).matches("tedge/health/tedge-mapper-c8y \\{\"pid\":\\d+,\"status\":\"up\",\"time\":\\d+}");
            }
            // the health check is answered: on a subscription to that one health, its retained copy comes
            // first, then the answer (other services' retained healths cannot be taken for it)
            try (Local app = new Local(agent.port, "health-check-app").subscribe("tedge/health/tedge-mapper-collectd")) {
                app.await("tedge/health/tedge-mapper-collectd {", 30);
                app.publish("tedge/health-check/tedge-mapper-collectd", "", 0);
                assertThat(app.await("tedge/health/", 30)).startsWith("tedge/health/tedge-mapper-collectd {");
            }
            Agent.Result status = C8yIT.ok(agent.tedge("status"));
            assertThat(status.out()).contains("Services (tedge/health):").containsPattern("tedge-mapper-c8y +up +pid=\\d+")
                    .containsPattern("tedge-mapper-bridge-c8y +up").containsPattern("tedge-mapper-collectd +up");
        }
    }

    @Test
    void healthAfterTheConnectorBundleIsStopped() throws Exception {
        Path jar = Agent.HOME.resolve("deploy/tedge-c8y.jar");
        Path aside = dir.resolve("tedge-c8y.jar");
        try (Agent agent = connected("dev-health"); Local app = new Local(agent.port, "health-watch").subscribe("tedge/health/+")) {
            app.await("tedge/health/tedge-mapper-c8y {\"pid\":", 30);
            // FileInstall uninstalls the bundle when its jar leaves deploy/
            Files.move(jar, aside, StandardCopyOption.REPLACE_EXISTING);
            assertThat(app.await("tedge/health/tedge-mapper-c8y ", 60)).contains("\"status\":\"down\"");
            Agent.await("the link health down", T, () -> linkDown(agent));
            assertThat(C8yIT.ok(agent.tedge("status")).out()).containsPattern("tedge-mapper-c8y +down");
            // and back
            Files.move(aside, jar, StandardCopyOption.REPLACE_EXISTING);
            assertThat(app.await("tedge/health/tedge-mapper-c8y {", 60)).contains("\"status\":\"up\"");
        } finally {
            if (Files.exists(aside)) Files.move(aside, jar, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static boolean linkDown(Agent agent) {
        try {
            return agent.tedge("status").out().matches("(?s).*tedge-mapper-bridge-c8y +down.*");
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void alarmsClearedWhileTheMapperWasNotRunningAreClearedAfterARestart() throws Exception {
        Agent agent = connected("dev-sync");
        try {
            // raised with tedge mqtt pub's default QoS 0: retained on the broker, not journaled
            C8yIT.ok(agent.tedge("mqtt", "pub", "-r", "tedge/alarms/major/door_open", "{\"text\":\"door open\"}"));
            C8yIT.ok(agent.tedge("mqtt", "pub", "-r", "tedge/alarms/minor/battery_low", "{\"text\":\"battery low\"}"));
            cloud.awaitSmartRest(l -> l.line().startsWith("302,door_open,"), T);
            cloud.awaitSmartRest(l -> l.line().startsWith("303,battery_low,"), T);
            C8yIT.ok(agent.tedge("disconnect", "c8y"));
            cloud.awaitDisconnected("dev-sync", T);
            // while the c8y mapper is not running: one alarm cleared, another raised
            C8yIT.ok(agent.tedge("mqtt", "pub", "-r", "tedge/alarms/major/door_open", ""));
            C8yIT.ok(agent.tedge("mqtt", "pub", "-r", "tedge/alarms/critical/smoke", "{\"text\":\"smoke\"}"));
            agent.terminate();
            agent = new Agent(cfg, agent.port).startAndWait();
            int linesBefore = cloud.smartRestLines().size();
            C8yIT.ok(agent.tedge("connect", "c8y"));
            cloud.awaitSmartRest("306,door_open", T);
            cloud.awaitSmartRest(l -> l.line().startsWith("301,smoke,\"smoke\","), T);
            // the alarm that did not change is not raised again: an alarm raised after the sync goes
            // through the same mapper and bridge in order, so a re-raise would arrive before it
            C8yIT.ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/alarms/warning/marker", "{\"text\":\"marker\"}"));
            cloud.awaitSmartRest(l -> l.line().startsWith("304,marker,"), T);
            assertThat(cloud.smartRestLines().subList(linesBefore, cloud.smartRestLines().size())).noneMatch(l -> l.line().startsWith("303,battery_low"));
        } finally {
            agent.close();
        }
    }

    @Test
    void aCollectdBurstBecomesOneMeasurement() throws Exception {
        try (Agent agent = connected("dev-collectd"); Local app = new Local(agent.port, "measure-watch").subscribe("tedge/measurements")) {
            MqttClient collectd = new MqttClient("tcp://127.0.0.1:" + agent.port, "collectd", new MemoryPersistence());
            collectd.connect();
            String ts = String.format(Locale.ROOT, "%.3f", System.currentTimeMillis() / 1000.0);
            for (int i = 0; i < 50; i++) {
                MqttMessage m = new MqttMessage((ts + ":" + (i + 0.5) + "\0").getBytes(StandardCharsets.UTF_8));
                m.setQos(0);
                collectd.publish("collectd/raspberrypi/plugin" + (i % 5) + "/value" + i, m);
            }
            collectd.disconnect();
            collectd.close();
            String measurement = app.await("tedge/measurements ", 30);
            for (int i = 0; i < 50; i++) assertThat(measurement).contains("\"value" + i + "\":" + (i + 0.5));
            C8yMqttStandIn.JsonMessage c8y = cloud.awaitMeasurement(j -> j.json().containsKey("plugin0"), T);
            assertThat(c8y.json().get("plugin4").toString()).contains("value49={value=49.5}");
            // one measurement, not two: a value of a later round is batched and published after
            // anything left of this one (batches close in the order of their times)
            MqttClient later = new MqttClient("tcp://127.0.0.1:" + agent.port, "collectd", new MemoryPersistence());
            later.connect();
            String ts2 = String.format(Locale.ROOT, "%.3f", System.currentTimeMillis() / 1000.0);
            later.publish("collectd/raspberrypi/marker/value", new MqttMessage((ts2 + ":1\0").getBytes(StandardCharsets.UTF_8)));
            later.disconnect();
            later.close();
            assertThat(app.await("tedge/measurements ", 30)).contains("\"marker\"").doesNotContain("plugin0");
            cloud.awaitMeasurement(j -> j.json().containsKey("marker"), T);
            assertThat(app.inbox).isEmpty();
            assertThat(cloud.measurements().stream().filter(j -> j.json().containsKey("plugin0"))).hasSize(1);
            List<String> errors;
            try (Local e = new Local(agent.port, "err-watch").subscribe("tedge/errors")) {
                MqttClient bad = new MqttClient("tcp://127.0.0.1:" + agent.port, "collectd-bad", new MemoryPersistence());
                bad.connect();
                bad.publish("collectd/raspberrypi/cpu", new MqttMessage("1:2".getBytes(StandardCharsets.UTF_8)));
                bad.disconnect();
                bad.close();
                errors = List.of(e.await("tedge/errors", 30));
            }
            assertThat(errors.get(0)).isEqualTo("tedge/errors Message received on invalid collectd topic: collectd/raspberrypi/cpu. "
                    + "Collectd message topics must be in the format collectd/<hostname>/<metric-plugin-name>/<metric-key>");
        }
    }
}
