package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AWS IoT Core connector (deploy/tedge-aws.jar, a vendor-style bundle) end to end against a
 * mosquitto TLS stand-in; with it, what `tedge connect`, `tedge plugins` and `tedge status` say.
 */
class AwsIT {
    static final Duration T = Duration.ofSeconds(30);
    @TempDir
    Path dir;

    static Agent.Result ok(Agent.Result r) {
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    private Path configure(MosquittoCloud cloud, Path cfg) throws Exception {
        for (String[] kv : new String[][] {{"aws.url", "localhost"}, {"aws.mqtt", "localhost:" + cloud.tlsPort},
                {"aws.root.cert.path", cloud.caPem.toString()}, {"bridge.reconnect.initial_ms", "200"}, {"bridge.reconnect.max_ms", "1000"},
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
        try (MosquittoCloud cloud = new MosquittoCloud(dir.resolve("cloud"), cfg.resolve("device-certs/tedge-certificate.pem"))) {
            configure(cloud, cfg);
            try (Agent agent = new Agent(cfg, port(cfg)).startAndWait()) {
                // issue 13 item 4: a cloud that no bundle provides is refused at once, tedge.toml untouched
                byte[] before = Files.readAllBytes(cfg.resolve("tedge.toml"));
                Agent.Result unknown = agent.tedge("connect", "nosuch");
                assertThat(unknown.code()).as(unknown.toString()).isEqualTo(1);
                assertThat(unknown.err()).contains("No connector for 'nosuch' is installed. Installed connectors: aws, az, c8y.");
                assertThat(Files.readAllBytes(cfg.resolve("tedge.toml"))).isEqualTo(before);
                assertThat(agent.tedge("disconnect", "nosuch").out()).contains("already disconnected");

                Agent.Result c = agent.tedge("connect", "aws");
                assertThat(c.code()).as(c.toString()).isZero();
                assertThat(c.out()).contains("Connection check to AWS IoT Core is successful.");
                assertThat(cloud.await("thinedge/devices/dev-aws/test-connection", T).payload()).contains("tedge-check");

                try (Local app = new Local(agent.port, "aws-app").subscribe("aws/#").subscribe("tedge/errors")) {
                    // td out, QoS 2 sent as 1 (AWS IoT has no QoS 2)
                    ok(agent.tedge("mqtt", "pub", "-q", "2", "aws/td/temp", "{\"t\":1}"));
                    MosquittoCloud.Msg td = cloud.await("thinedge/dev-aws/td/temp", T);
                    assertThat(td.payload()).isEqualTo("{\"t\":1}");
                    assertThat(td.qos()).isEqualTo(1);

                    // the mapper: Thin Edge JSON with a time, invalid JSON to tedge/errors only
                    ok(agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"temperature\": 21.3}"));
                    assertThat(cloud.await("thinedge/dev-aws/td/measurements", T).payload()).startsWith("{\"temperature\":21.3,\"time\":\"");
                    app.publish("tedge/measurements", "{\"temperature\": \"hot\"}", 1);
                    assertThat(app.await("tedge/errors", 30)).contains("Invalid Thin Edge JSON on tedge/measurements");

                    // cmd in
                    cloud.publish("thinedge/dev-aws/cmd/restart", "now", 1);
                    assertThat(app.await("aws/cmd/", 30)).isEqualTo("aws/cmd/restart now");

                    // shadow both ways, and our own update is not echoed back out
                    app.publish("aws/shadow/update", "{\"state\":{\"reported\":{\"on\":true}}}", 1);
                    assertThat(cloud.await("$aws/things/dev-aws/shadow/update", T).payload()).contains("reported");
                    cloud.publish("$aws/things/dev-aws/shadow/update/accepted", "{\"version\":2}", 1);
                    assertThat(app.await("aws/shadow/update/accepted", 30)).isEqualTo("aws/shadow/update/accepted {\"version\":2}");

                    // over 128 KiB: refused locally with a message, never sent
                    app.publish("aws/td/big", "x".repeat(200_000), 1);
                    assertThat(app.await("tedge/errors", 30)).contains("aws/td/big").contains("131072");
                    app.publish("aws/td/after", "1", 1);
                    cloud.await("thinedge/dev-aws/td/after", T);
                    assertThat(cloud.count("thinedge/dev-aws/td/big")).isZero();
                    assertThat(cloud.count("$aws/things/dev-aws/shadow/update")).isEqualTo(1);
                }

                Agent.Result plugins = ok(agent.tedge("plugins"));
                assertThat(plugins.out()).containsPattern("connector +aws +io.tedge.aws +1\\.0\\.0 +ACTIVE +up ")
                        .containsPattern("mapper +aws +io.tedge.aws +1\\.0\\.0 +ACTIVE ")
                        .containsPattern("connector +c8y +io.tedge.c8y");
                Agent.Result status = ok(agent.tedge("status"));
                assertThat(status.out()).containsPattern("aws +up +endpoint=localhost:" + cloud.tlsPort + " since=")
                        .contains("refused=1");

                // issue 13 item 5: --test while the link is down says so, and queues nothing
                cloud.stop();
                Agent.await("aws link down", T, () -> {
                    try {
                        return agent.tedge("status").out().matches("(?s).*aws +down .*");
                    } catch (Exception e) {
                        return false;
                    }
                });
                long checks = cloud.count("thinedge/devices/dev-aws/test-connection");
                Agent.Result test = agent.tedge("connect", "aws", "--test");
                assertThat(test.code()).as(test.toString()).isEqualTo(1);
                assertThat(test.err()).contains("The aws link is down: ").contains("Nothing was sent");
                cloud.start();
                ok(agent.tedge("mqtt", "pub", "-q", "1", "aws/td/marker", "m"));
                cloud.await("thinedge/dev-aws/td/marker", Duration.ofSeconds(60));
                assertThat(cloud.count("thinedge/devices/dev-aws/test-connection")).isEqualTo(checks);
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
        try (MosquittoCloud cloud = new MosquittoCloud(dir.resolve("cloud"), other.resolve("device-certs/tedge-certificate.pem"))) {
            configure(cloud, cfg);
            try (Agent agent = new Agent(cfg, port(cfg)).startAndWait()) {
                Agent.Result c = agent.tedge("connect", "aws");
                assertThat(c.code()).as(c.toString()).isEqualTo(1);
                assertThat(c.err()).contains("The aws link did not come up: TLS");
            }
        }
    }

    static int port(Path cfg) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("port = (\\d+)").matcher(Files.readString(cfg.resolve("tedge.toml")));
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
