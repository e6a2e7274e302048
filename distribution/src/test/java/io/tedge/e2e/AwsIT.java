package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.AwsMqttStandIn;
import io.tedge.testkit.CloudMqttStandIn.Received;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * The AWS IoT Core connector (deploy/tedge-aws.jar, a vendor-style bundle) end to end against the
 * testkit's AWS IoT Core stand-in (mosquitto: mutual TLS with the registered thing's certificate,
 * thin-edge.io's policy, QoS 0/1, 128 KiB, the shadow service); with it, what `tedge connect`,
 * `tedge plugins` and `tedge status` say.
 */
class AwsIT {
    static final Duration T = Duration.ofSeconds(30);
    @TempDir
    Path dir;

    static Agent.Result ok(Agent.Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    /** The stand-in's server CA, written for aws.root.cert.path. */
    private final TestPki pki = TestPki.create("aws-standin-ca");

    private Path configure(AwsMqttStandIn cloud, Path cfg) throws Exception {
        Path ca = pki.writeCaPem(dir.resolve("aws-ca.pem"));
        for (String[] kv : new String[][] {{"aws.url", "localhost"}, {"aws.mqtt", "localhost:" + cloud.port()},
                {"aws.root.cert.path", ca.toString()}, {"bridge.reconnect.initial_ms", "200"}, {"bridge.reconnect.max_ms", "1000"},
                {"bridge.reconnect.jitter_ms", "100"}}) {
            ok(Agent.run(cfg, "config", "set", kv[0], kv[1]));
        }
        return cfg;
    }

    @Test
    void telemetryCommandsShadowCheckLimitsAndStatus() throws Exception {
        Path cfg = dir.resolve("cfg");
        new Agent(cfg);
        ok(Agent.run(cfg, "cert", "create", "--device-id", "dev-aws"));
        try (AwsMqttStandIn cloud = AwsMqttStandIn.start(pki, new LiveTrust())) {
            cloud.registerThing("dev-aws", TestPki.readCertificate(cfg.resolve("device-certs/tedge-certificate.pem")));
            configure(cloud, cfg);
            // without a container the list is the clouds whose <cloud>.url the jars of bundle/ and deploy/ declare
            byte[] toml = Files.readAllBytes(cfg.resolve("tedge.toml"));
            Agent.Result offline = Agent.run(cfg, "connect", "nosuch");
            assertThat(offline.code()).as(offline.toString()).isEqualTo(1);
            assertThat(offline.err()).contains("No connector for 'nosuch' is installed. Installed connectors: aws, az, c8y.");
            assertThat(Files.readAllBytes(cfg.resolve("tedge.toml"))).isEqualTo(toml);
            try (Agent agent = new Agent(cfg, port(cfg)).startAndWait()) {
                // issue 13 item 4: a cloud that no bundle provides is refused at once, tedge.toml untouched
                byte[] before = Files.readAllBytes(cfg.resolve("tedge.toml"));
                Agent.Result unknown = agent.tedge("connect", "nosuch");
                assertThat(unknown.code()).as(unknown.toString()).isEqualTo(1);
                assertThat(unknown.err()).contains("No connector for 'nosuch' is installed. Installed connectors: aws, az, c8y.")
                        // at once: mappers that wait for their cloud's connection are not start-up still going on
                        .doesNotContain("has not finished starting");
                assertThat(Files.readAllBytes(cfg.resolve("tedge.toml"))).isEqualTo(before);
                assertThat(agent.tedge("disconnect", "nosuch").out()).contains("already disconnected");

                Agent.Result c = agent.tedge("connect", "aws");
                assertThat(c.code()).as(c.toString()).isZero();
                assertThat(c.out()).contains("Connection check to AWS IoT Core is successful.");
                assertThat(cloud.awaitReceived(r -> r.topic().equals("thinedge/devices/dev-aws/test-connection"), T).text()).contains("tedge-check");
                assertThat(cloud.awaitConnectAttempt(a -> a.returnCode() == 0, T).clientId()).isEqualTo("dev-aws");

                try (Local app = new Local(agent.port, "aws-app").subscribe("aws/#").subscribe("tedge/errors")) {
                    // td out, QoS 2 sent as 1 (AWS IoT has no QoS 2)
                    ok(agent.tedge("mqtt", "pub", "-q", "2", "aws/td/temp", "{\"t\":1}"));
                    Received td = await(cloud, "thinedge/dev-aws/td/temp", T);
                    assertThat(td.text()).isEqualTo("{\"t\":1}");
                    assertThat(td.qos()).isEqualTo(1);

                    // the mapper: Thin Edge JSON with a time, invalid JSON to tedge/errors only
                    ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"temperature\": 21.3}"));
                    assertThat(await(cloud, "thinedge/dev-aws/td/measurements", T).text()).startsWith("{\"temperature\":21.3,\"time\":\"");
                    app.publish("tedge/measurements", "{\"temperature\": \"hot\"}", 1);
                    assertThat(app.await("tedge/errors", 30)).contains("Invalid Thin Edge JSON on tedge/measurements");

                    // cmd in
                    cloud.send("dev-aws", "thinedge/dev-aws/cmd/restart", "now", 1);
                    assertThat(app.await("aws/cmd/", 30)).isEqualTo("aws/cmd/restart now");

                    // shadow both ways: the shadow service's answers come in, and are not echoed back out
                    // (the policy lets a device publish only update, get and delete: an echo would close the link)
                    app.publish("aws/shadow/update", "{\"state\":{\"reported\":{\"on\":true}}}", 1);
                    assertThat(await(cloud, "$aws/things/dev-aws/shadow/update", T).text()).contains("reported");
                    assertThat(app.await("aws/shadow/update/accepted", 30)).startsWith("aws/shadow/update/accepted {")
                            .contains("\"state\":{\"reported\":{\"on\":true}}").contains("\"version\":1");
                    assertThat(cloud.reported("dev-aws")).isEqualTo(Map.of("on", true));
                    cloud.updateDesired("dev-aws", "{\"on\":false}");
                    assertThat(app.await("aws/shadow/update/delta", 30)).contains("\"state\":{\"on\":false}").contains("\"version\":2");

                    // over 128 KiB: refused locally with a message, never sent
                    app.publish("aws/td/big", "x".repeat(200_000), 1);
                    assertThat(app.await("tedge/errors", 30)).contains("aws/td/big").contains("131072");
                    app.publish("aws/td/after", "1", 1);
                    await(cloud, "thinedge/dev-aws/td/after", T);
                    assertThat(cloud.receivedOn("thinedge/dev-aws/td/big")).isEmpty();
                    assertThat(cloud.receivedOn("$aws/things/dev-aws/shadow/update")).hasSize(1);
                    // nothing the cloud refused: no topic outside the policy, no QoS 2, nothing over 128 KiB
                    assertThat(cloud.closures()).isEmpty();
                }

                Agent.Result plugins = ok(agent.tedge("plugins"));
                assertThat(plugins.out()).containsPattern("connector +aws +io.tedge.aws +1\\.0\\.0 +ACTIVE +up ")
                        .containsPattern("mapper +aws +io.tedge.aws +1\\.0\\.0 +ACTIVE ")
                        .containsPattern("connector +c8y +io.tedge.c8y");
                // the counters are published at most once a second: the big message's refusal shows within a few
                Agent.await("refused=1 in tedge status", T, () -> {
                    try {
                        return agent.tedge("status").out().contains("refused=1");
                    } catch (Exception e) {
                        return false;
                    }
                });
                Agent.Result status = ok(agent.tedge("status"));
                assertThat(status.out()).containsPattern("aws +up +endpoint=localhost:" + cloud.port() + " since=")
                        .contains("refused=1");

                // issue 13 item 5: --test while the link is down says so, and queues nothing
                cloud.setAvailable(false);
                Agent.await("aws link down", T, () -> {
                    try {
                        return agent.tedge("status").out().matches("(?s).*aws +down .*");
                    } catch (Exception e) {
                        return false;
                    }
                });
                long checks = cloud.receivedOn("thinedge/devices/dev-aws/test-connection").size();
                Agent.Result test = agent.tedge("connect", "aws", "--test");
                assertThat(test.code()).as(test.toString()).isEqualTo(1);
                assertThat(test.err()).contains("The aws link is down: ").contains("Nothing was sent");
                cloud.setAvailable(true);
                ok(agent.tedge("mqtt", "pub", "-q", "1", "aws/td/marker", "m"));
                await(cloud, "thinedge/dev-aws/td/marker", Duration.ofSeconds(60));
                assertThat(cloud.receivedOn("thinedge/devices/dev-aws/test-connection")).hasSize((int) checks);
                assertThat(checks).isGreaterThan(0);

                Agent.Result d = ok(agent.tedge("disconnect", "aws"));
                assertThat(d.out()).contains("aws bridge has been removed.");
                assertThat(agent.tedge("status").out()).containsPattern("aws +disconnected ");
                assertThat(agent.console()).doesNotContain("ClosedByInterruptException");
            }
        }
    }

    @Test
    void connectFailsFastWithTheReasonWhenTheCloudRefusesTheCertificate() throws Exception {
        Path cfg = dir.resolve("cfg");
        new Agent(cfg);
        ok(Agent.run(cfg, "cert", "create", "--device-id", "dev-untrusted"));
        Path other = dir.resolve("other");
        ok(Agent.run(other, "cert", "create", "--device-id", "someone-else"));
        try (AwsMqttStandIn cloud = AwsMqttStandIn.start(pki, new LiveTrust())) {
            // another thing's certificate is registered; this device's is not
            cloud.registerThing("someone-else", TestPki.readCertificate(other.resolve("device-certs/tedge-certificate.pem")));
            configure(cloud, cfg);
            try (Agent agent = new Agent(cfg, port(cfg)).startAndWait()) {
                Agent.Result c = agent.tedge("connect", "aws");
                assertThat(c.code()).as(c.toString()).isEqualTo(1);
                assertThat(c.err()).contains("The aws link did not come up: TLS");
                assertThat(cloud.awaitConnectAttempt(a -> a.returnCode() == -1, T).reason()).startsWith("TLS");
                assertThat(cloud.connectCount()).isZero();
            }
        }
    }

    /**
     * Two versions of one plug-in side by side in deploy/ (tedge-aws.jar and a tedge-aws-1.0.1.jar):
     * the one that came first stays in use, the other waits and says so on tedge/errors, and each
     * message reaches the cloud once, not once per copy; taking the waiting one out leaves the link up.
     */
    @Test
    void aSecondVersionOfAPluginWaitsAndEachMessageReachesTheCloudOnce() throws Exception {
        Path cfg = dir.resolve("cfg");
        Path vendor = Files.createDirectories(cfg.resolve("deploy")); // watched when it exists at start
        new Agent(cfg);
        ok(Agent.run(cfg, "cert", "create", "--device-id", "dev-twice"));
        try (AwsMqttStandIn cloud = AwsMqttStandIn.start(pki, new LiveTrust())) {
            cloud.registerThing("dev-twice", TestPki.readCertificate(cfg.resolve("device-certs/tedge-certificate.pem")));
            configure(cloud, cfg);
            try (Agent agent = new Agent(cfg, port(cfg)).startAndWait();
                    Local app = new Local(agent.port, "twice-app").subscribe("tedge/errors")) {
                ok(agent.tedge("connect", "aws"));
                Path copy = vendor.resolve("tedge-aws-1.0.1.jar");
                Path tmp = dir.resolve("tedge-aws-1.0.1.jar");
                withVersion(Agent.HOME.resolve("deploy/tedge-aws.jar"), "1.0.1", tmp);
                Files.move(tmp, copy);
                String first = app.await("tedge/errors Two ", 60);
                String second = app.await("tedge/errors Two ", 60);
                assertThat(List.of(first, second)).containsExactlyInAnyOrder(
                        "tedge/errors Two connectors for 'aws' are installed: io.tedge.aws 1.0.0 (tedge-aws.jar) is used, io.tedge.aws 1.0.1 "
                                + "(tedge-aws-1.0.1.jar) waits until that one is taken out. Take one of the two jars out of deploy/.",
                        "tedge/errors Two mappers named 'aws' are installed: io.tedge.aws 1.0.0 (tedge-aws.jar) runs, io.tedge.aws 1.0.1 "
                                + "(tedge-aws-1.0.1.jar) waits until that one is taken out. Take one of the two jars out of deploy/.");
                assertThat(ok(agent.tedge("plugins")).out()).containsPattern("connector +aws +io.tedge.aws +1\\.0\\.0 +ACTIVE +up ")
                        .containsPattern("connector +aws +io.tedge.aws +1\\.0\\.1 +WAITING +- +-")
                        .containsPattern("mapper +aws +io.tedge.aws +1\\.0\\.0 +ACTIVE ")
                        .containsPattern("mapper +aws +io.tedge.aws +1\\.0\\.1 +WAITING ");

                for (int i = 1; i <= 3; i++) ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"n\": " + i + "}"));
                ok(agent.tedge("mqtt", "pub", "-q", "1", "aws/td/raw", "r1"));
                cloud.awaitReceived(r -> r.topic().equals("thinedge/dev-twice/td/measurements") && r.text().startsWith("{\"n\":3,"), T);
                await(cloud, "thinedge/dev-twice/td/raw", T);
                // a marker after them, through the mapper as well: a second mapper would have sent its copies first
                ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"marker\": 1}"));
                cloud.awaitReceived(r -> r.topic().equals("thinedge/dev-twice/td/measurements") && r.text().startsWith("{\"marker\":1,"), T);
                assertThat(cloud.receivedOn("thinedge/dev-twice/td/measurements")).hasSize(4);
                assertThat(cloud.receivedOn("thinedge/dev-twice/td/raw")).containsExactly("r1");

                // the waiting copy taken out: the first stays in use, the link stays up
                Files.delete(copy);
                Agent.await("the copy uninstalled", T, () -> {
                    try {
                        return !agent.tedge("plugins").out().contains("1.0.1");
                    } catch (Exception e) {
                        return false;
                    }
                });
                ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"after\": 1}"));
                cloud.awaitReceived(r -> r.topic().equals("thinedge/dev-twice/td/measurements") && r.text().startsWith("{\"after\":1,"), T);
                assertThat(agent.tedge("status").out()).containsPattern("aws +up ");
                assertThat(cloud.connectCount()).isEqualTo(1);
            }
        }
    }

    /** A copy of a bundle jar with another Bundle-Version. */
    static void withVersion(Path jar, String version, Path to) throws Exception {
        try (JarFile in = new JarFile(jar.toFile())) {
            Manifest mf = new Manifest(in.getManifest());
            mf.getMainAttributes().putValue("Bundle-Version", version);
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(to), mf)) {
                for (java.util.Enumeration<JarEntry> e = in.entries(); e.hasMoreElements();) {
                    JarEntry entry = e.nextElement();
                    if (entry.getName().equals("META-INF/MANIFEST.MF")) continue;
                    out.putNextEntry(new JarEntry(entry.getName()));
                    try (var is = in.getInputStream(entry)) {
                        is.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
        }
    }

    /** The first message the stand-in received on exactly this topic. */
    static Received await(AwsMqttStandIn cloud, String topic, Duration timeout) {
        return cloud.awaitReceived(r -> r.topic().equals(topic), timeout);
    }

    static int port(Path cfg) throws Exception {
        return Agent.mqttPort(cfg);
    }
}
