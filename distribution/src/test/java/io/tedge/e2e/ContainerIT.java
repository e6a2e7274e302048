package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The container as a process: start, MQTT with mosquitto's clients, config changes, stop. */
class ContainerIT {
    @TempDir
    Path dir;

    @Test
    void mosquittoClientsAndTedgeMqttInteroperateBothWays() throws Exception {
        try (Agent agent = new Agent(dir.resolve("cfg")).startAndWait()) {
            String port = Integer.toString(agent.port);
            // mosquitto_sub receives what tedge mqtt pub sends (not tedge/#: health messages come and go there, e.g. the agent's at start)
            Process sub = new ProcessBuilder("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "tedge/probe", "-t", "tedge/measurements", "-v", "-C", "2", "-W", "20")
                    .redirectErrorStream(true).start();
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(sub.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) lines.add(l);
                } catch (java.io.IOException e) {
                    // process ended
                }
            });
            reader.start();
            // wait until the subscription is in place: retry a probe until it is seen
            Agent.await("mosquitto_sub subscribed", Duration.ofSeconds(15), () -> {
                try {
                    agent.tedge("mqtt", "pub", "tedge/probe", "p");
                    String l = lines.poll(300, TimeUnit.MILLISECONDS);
                    return l != null;
                } catch (Exception e) {
                    return false;
                }
            });
            Agent.Result r = agent.tedge("mqtt", "pub", "-q", "1", "tedge/measurements", "{\"temperature\": 21.3, \"note\": \"a 'quoted' \\\"text\\\"\"}");
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(lines.poll(10, TimeUnit.SECONDS)).isEqualTo("tedge/measurements {\"temperature\": 21.3, \"note\": \"a 'quoted' \\\"text\\\"\"}");
            sub.waitFor(10, TimeUnit.SECONDS);

            // tedge mqtt sub receives what mosquitto_pub sends
            Path out = dir.resolve("sub.out");
            Process tsub = new ProcessBuilder(Agent.HOME.resolve("bin/tedge").toString(), "--config-dir", agent.configDir.toString(),
                    "mqtt", "sub", "c8y/#").redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                Agent.await("tedge mqtt sub output", Duration.ofSeconds(20), () -> {
                    try {
                        Agent.exec(List.of("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "1", "-t", "c8y/s/us", "-m", "211,20"),
                                Duration.ofSeconds(10));
                        return Files.readString(out).contains("[c8y/s/us] 211,20");
                    } catch (Exception e) {
                        return false;
                    }
                });
            } finally {
                tsub.destroy();
                tsub.waitFor(5, TimeUnit.SECONDS);
            }
            Path noTopic = dir.resolve("sub2.out");
            Process tsub2 = new ProcessBuilder(Agent.HOME.resolve("bin/tedge").toString(), "--config-dir", agent.configDir.toString(),
                    "mqtt", "sub", "--no-topic", "-q", "2", "raw/x").redirectErrorStream(true).redirectOutput(noTopic.toFile()).start();
            try {
                Agent.await("--no-topic output", Duration.ofSeconds(20), () -> {
                    try {
                        Agent.exec(List.of("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-q", "2", "-t", "raw/x", "-m", "only payload"),
                                Duration.ofSeconds(10));
                        return Files.readString(noTopic).contains("only payload");
                    } catch (Exception e) {
                        return false;
                    }
                });
                assertThat(Files.readString(noTopic)).doesNotContain("[raw/x]");
            } finally {
                tsub2.destroy();
                tsub2.waitFor(5, TimeUnit.SECONDS);
            }
            // retained, through the agent, to a late mosquitto_sub
            assertThat(agent.tedge("mqtt", "pub", "-r", "-q", "1", "status/agent", "up").code()).isZero();
            Agent.Result late = Agent.exec(List.of("mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-t", "status/agent", "-C", "1", "-W", "10"),
                    Duration.ofSeconds(20));
            assertThat(late.out().trim()).isEqualTo("up");
        }
    }

    @Test
    void pubWithoutABrokerFailsWithAHint() throws Exception {
        Path cfg = dir.resolve("nobroker");
        Files.createDirectories(cfg);
        Files.writeString(cfg.resolve("tedge.toml"), "[mqtt]\nport = " + Agent.freePort() + "\n");
        Agent.Result r = Agent.run(cfg, "mqtt", "pub", "a/b", "c");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("Is MQTT server running?");
    }

    @Test
    void sigtermStopsTheContainerWithinFiveSecondsAndCacheAndConfigSurvive() throws Exception {
        Path cfg = dir.resolve("cfg");
        Agent agent = new Agent(cfg).startAndWait();
        Path cache = cfg.resolve("data/framework");
        assertThat(Files.isDirectory(cache)).isTrue();
        // the broker listens before FileInstall has installed and started deploy/: wait for its
        // connectors, then the cache holds the system bundle, every jar of bundle/ and of deploy/
        agent.awaitShippedConnectors();
        long bundles = bundleDirs(cache);
        assertThat(bundles).isEqualTo(1 + jars(Agent.HOME.resolve("bundle")) + jars(Agent.HOME.resolve("deploy")));
        long ms = agent.terminate();
        assertThat(ms).as("stop on SIGTERM").isLessThan(5000);
        assertThat(Agent.listening(agent.port)).isFalse();
        assertThat(Files.readString(cfg.resolve("logs/tedge.log"))).contains("MQTT broker listening").contains("Bus stopped");

        // the second start reuses the framework cache rather than installing everything again
        try (Agent again = new Agent(cfg, agent.port).startAndWait()) {
            again.awaitShippedConnectors();
            assertThat(bundleDirs(cache)).isEqualTo(bundles);
        }
        // FileInstall started deploy/ by itself both times: the launcher had nothing to catch up on
        assertThat(Files.readString(cfg.resolve("logs/tedge.log"))).doesNotContain("was installed but not started");
    }

    @Test
    void aConnectorWhoseFirstStartWasInterruptedRunsAtTheNextStart() throws Exception {
        Path cfg = dir.resolve("cfg");
        Agent agent = new Agent(cfg).startAndWait();
        agent.awaitShippedConnectors();
        assertThat(agent.terminate()).isLessThan(5000);

        // what FileInstall leaves when the container dies between installing a scan's jars and
        // starting them: the bundle in the cache, from the jar's location, never started. Made
        // with Felix itself on the container's cache (not started: nothing of the agent runs).
        Path jar = Agent.HOME.resolve("deploy/tedge-aws.jar").toAbsolutePath().normalize();
        org.apache.felix.framework.Felix fw = new org.apache.felix.framework.Felix(
                java.util.Map.of(org.osgi.framework.Constants.FRAMEWORK_STORAGE, cfg.resolve("data/framework").toString()));
        fw.init();
        try {
            org.osgi.framework.Bundle aws = fw.getBundleContext().getBundle(jar.toFile().toURI().normalize().toString());
            assertThat(aws).as("the aws connector in the cache").isNotNull();
            aws.uninstall();
            try (java.io.InputStream in = Files.newInputStream(jar)) {
                fw.getBundleContext().installBundle(jar.toFile().toURI().normalize().toString(), in);
            }
        } finally {
            fw.stop();
            fw.waitForStop(10_000);
        }

        try (Agent again = new Agent(cfg, agent.port).startAndWait()) {
            // FileInstall alone would leave it RESOLVED for good (it restarts only what was started)
            again.awaitShippedConnectors();
            assertThat(Files.readString(cfg.resolve("logs/tedge.log")))
                    .contains("Plug-in io.tedge.aws from tedge-aws.jar was installed but not started");
        }
    }

    private static long jars(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jar")).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long bundleDirs(Path cache) {
        try (Stream<Path> s = Files.list(cache)) {
            return s.filter(p -> p.getFileName().toString().startsWith("bundle")).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aConfigChangeMovesTheRunningBrokerAndBadValuesChangeNothing() throws Exception {
        try (Agent agent = new Agent(dir.resolve("cfg")).startAndWait()) {
            Path toml = agent.configDir.resolve("tedge.toml");
            byte[] before = Files.readAllBytes(toml);
            for (String[] bad : new String[][] {{"mqtt.port", "66000"}, {"mqtt.port", "http"}, {"c8y.url", "https://t.example.com"},
                    {"c8y.url", "t.example.com:443"}, {"az.mapper.timestamp", "yes"}, {"no.such.key", "1"}, {"device.id", "x"}}) {
                Agent.Result r = agent.tedge("config", "set", bad[0], bad[1]);
                assertThat(r.code()).as(r.toString()).isEqualTo(1);
                assertThat(r.err()).as(r.toString()).contains(bad[0]);
                assertThat(Files.readAllBytes(toml)).as("tedge.toml unchanged after " + String.join(" ", bad)).isEqualTo(before);
            }
            int moved = Agent.freePort();
            assertThat(agent.tedge("config", "set", "mqtt.port", Integer.toString(moved)).code()).isZero();
            agent.awaitPort(moved, Duration.ofSeconds(15));
            Agent.await("old port released", Duration.ofSeconds(15), () -> !Agent.listening(agent.port));
            assertThat(agent.tedge("mqtt", "pub", "-q", "1", "moved/x", "y").code()).isZero();
            assertThat(Files.readString(agent.configDir.resolve("logs/tedge.log"))).contains("listening on 127.0.0.1:" + moved);
        }
    }
}
