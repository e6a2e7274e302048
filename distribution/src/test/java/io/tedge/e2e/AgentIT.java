package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent in the running container, through its local command topics: restart with a test
 * reboot command that restarts the container, software operations with a test plug-in and with
 * the real apt plug-in, and a restart of the container while a software update runs.
 */
class AgentIT {
    @TempDir
    Path dir;

    /** A device application with a persistent session: it gets what was published while the container restarted. */
    static final class Client implements AutoCloseable {
        final MqttClient client;
        final BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        final MqttConnectOptions options = new MqttConnectOptions();

        Client(int port, String id) throws MqttException {
            client = new MqttClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
            options.setCleanSession(false);
            options.setAutomaticReconnect(true);
            options.setMaxReconnectDelay(500);
            client.setCallback(new MqttCallback() {
                public void connectionLost(Throwable cause) {
                }

                public void messageArrived(String topic, MqttMessage m) {
                    inbox.add(topic + " " + new String(m.getPayload(), StandardCharsets.UTF_8));
                }

                public void deliveryComplete(IMqttDeliveryToken t) {
                }
            });
            client.connect(options);
            client.subscribe("tedge/commands/res/#", 1);
        }

        void publish(String topic, String payload) throws MqttException {
            MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
            m.setQos(1);
            client.publish(topic, m);
        }

        String await(String prefix, long seconds) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (true) {
                long left = end - System.nanoTime();
                if (left <= 0) throw new AssertionError("no message starting with '" + prefix + "' within " + seconds + " s; inbox " + inbox);
                String m = inbox.poll(left, TimeUnit.NANOSECONDS);
                if (m != null && m.startsWith(prefix)) return m;
            }
        }

        @Override
        public void close() {
            try {
                client.disconnect(1000);
                client.close(true);
            } catch (MqttException e) {
                // closing
            }
        }
    }

    private Path script(Path p, String body) throws Exception {
        Files.createDirectories(p.getParent());
        Files.writeString(p, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private Agent agent(Path cfg, int port) throws Exception {
        Files.createDirectories(cfg);
        Files.writeString(cfg.resolve("tedge.toml"), "[mqtt]\nport = " + port + "\n[tmp]\npath = \"" + cfg.resolve("tmp") + "\"\n");
        return new Agent(cfg, port);
    }

    /** A plug-in keeping its packages in a file; "slow" takes a minute, "bad" fails. */
    private void testPlugin(Path cfg) throws Exception {
        Path db = cfg.resolve("packages.tsv");
        Files.writeString(db, "base\t1.0\n");
        script(cfg.resolve("sm-plugins/test"), "cmd=$1; shift\ncase $cmd in\n"
                + "  list) cat " + db + " ;;\n  prepare|finalize) ;;\n  update-list) exit 1 ;;\n"
                + "  install) [ \"$1\" = bad ] && { echo 'bad is broken' >&2; exit 2; }\n"
                + "    [ \"$1\" = slow ] && exec sleep 120\n"
                + "    v=''; [ \"$2\" = --module-version ] && v=$3; printf '%s\\t%s\\n' \"$1\" \"$v\" >> " + db + " ;;\n"
                + "  remove) grep -v \"^$1\t\" " + db + " > " + db + ".n; mv " + db + ".n " + db + " ;;\n"
                + "  *) exit 1 ;;\nesac\n");
    }

    @Test
    void restartWithATestRebootCommandThatRestartsTheContainer() throws Exception {
        Path cfg = dir.resolve("etc");
        int port = Agent.freePort();
        try (Agent a = agent(cfg, port)) {
            // the test's "reboot": as a real one, /tmp is emptied and the agent is stopped
            Path reboot = script(dir.resolve("reboot.sh"), "rm -f " + cfg.resolve("tmp") + "/tedge_agent_restart\n"
                    + "touch " + dir.resolve("rebooted") + "\nkill -TERM $PPID\n");
            Files.writeString(cfg.resolve("system.toml"), "[system]\nreboot = [\"" + reboot + "\"]\n");
            a.startAndWait();
            try (Client c = new Client(port, "restart-test")) {
                c.publish("tedge/commands/req/control/restart", "{\"id\":\"restart-1\"}");
                assertThat(c.await("tedge/commands/res/control/restart", 60))
                        .isEqualTo("tedge/commands/res/control/restart {\"id\":\"restart-1\",\"status\":\"executing\"}");
                assertThat(a.process().waitFor(60, TimeUnit.SECONDS)).as("the reboot command stopped the container").isTrue();
                assertThat(dir.resolve("rebooted")).exists();
                assertThat(Agent.run(cfg, "operations").out()).contains("restart  Restarting  id=restart-1");
                a.startAndWait();
                assertThat(c.await("tedge/commands/res/control/restart", 60))
                        .isEqualTo("tedge/commands/res/control/restart {\"id\":\"restart-1\",\"status\":\"successful\"}");
                assertThat(Agent.run(cfg, "operations").out()).endsWith("In flight (" + cfg.resolve("data/agent") + "):\n  none\n");
            }
        }
    }

    @Test
    void aRebootCommandThatDoesNotRebootFails() throws Exception {
        Path cfg = dir.resolve("etc");
        int port = Agent.freePort();
        try (Agent a = agent(cfg, port)) {
            Path reboot = script(dir.resolve("reboot.sh"), "echo 'reboot: Operation not permitted' >&2\nexit 1\n");
            Files.writeString(cfg.resolve("system.toml"), "[system]\nreboot = [\"" + reboot + "\"]\n");
            a.startAndWait();
            try (Client c = new Client(port, "restart-fail")) {
                c.publish("tedge/commands/req/control/restart", "{\"id\":\"restart-2\"}");
                c.await("tedge/commands/res/control/restart {\"id\":\"restart-2\",\"status\":\"executing\"}", 60);
                assertThat(c.await("tedge/commands/res/control/restart", 60)).startsWith(
                        "tedge/commands/res/control/restart {\"id\":\"restart-2\",\"status\":\"failed\",\"reason\":\"The reboot command [")
                        .endsWith("failed: reboot: Operation not permitted\"}");
            }
        }
    }

    @Test
    void softwareUpdateWithATestPlugin() throws Exception {
        Path cfg = dir.resolve("etc");
        int port = Agent.freePort();
        try (Agent a = agent(cfg, port)) {
            testPlugin(cfg);
            a.startAndWait();
            try (Client c = new Client(port, "software-test")) {
                c.publish("tedge/commands/req/software/update", "{\"id\":\"u1\",\"updateList\":[{\"type\":\"test\",\"modules\":["
                        + "{\"name\":\"nodered\",\"version\":\"1.0.0\",\"action\":\"install\"},{\"name\":\"base\",\"action\":\"remove\"}]}]}");
                assertThat(c.await("tedge/commands/res/software/update", 60))
                        .isEqualTo("tedge/commands/res/software/update {\"id\":\"u1\",\"status\":\"executing\"}");
                assertThat(c.await("tedge/commands/res/software/update", 60)).isEqualTo("tedge/commands/res/software/update "
                        + "{\"id\":\"u1\",\"status\":\"successful\",\"currentSoftwareList\":[{\"type\":\"test\",\"modules\":[{\"name\":\"nodered\",\"version\":\"1.0.0\"}]}]}");

                c.publish("tedge/commands/req/software/update", "{\"id\":\"u2\",\"updateList\":[{\"type\":\"test\",\"modules\":["
                        + "{\"name\":\"bad\",\"action\":\"install\"}]}]}");
                c.await("tedge/commands/res/software/update {\"id\":\"u2\",\"status\":\"executing\"}", 60);
                String failed = c.await("tedge/commands/res/software/update", 60);
                assertThat(failed).contains("\"status\":\"failed\"", "\"reason\":\"1 error(s), see device log file " + cfg.resolve("logs/agent/software-update-"),
                        "\"failures\":[{\"type\":\"test\",\"modules\":[{\"name\":\"bad\",\"action\":\"install\",\"reason\":\"bad is broken\"}]}]");
            }
        }
    }

    @Test
    void aRestartOfTheContainerDuringASoftwareUpdateReportsItFailed() throws Exception {
        Path cfg = dir.resolve("etc");
        int port = Agent.freePort();
        try (Agent a = agent(cfg, port)) {
            testPlugin(cfg);
            a.startAndWait();
            try (Client c = new Client(port, "software-restart")) {
                c.publish("tedge/commands/req/software/update", "{\"id\":\"u3\",\"updateList\":[{\"type\":\"test\",\"modules\":["
                        + "{\"name\":\"slow\",\"action\":\"install\"}]}]}");
                c.await("tedge/commands/res/software/update {\"id\":\"u3\",\"status\":\"executing\"}", 60);
                assertThat(Agent.run(cfg, "operations").out()).contains("software  update  id=u3");
                a.terminate();
                a.startAndWait();
                assertThat(c.await("tedge/commands/res/software/update", 60)).startsWith(
                        "tedge/commands/res/software/update {\"id\":\"u3\",\"status\":\"failed\",\"reason\":\"tedge-agent was stopped while the software update was executing");
                Agent.await("no operation in flight", Duration.ofSeconds(30), () -> {
                    try {
                        return Agent.run(cfg, "operations").out().endsWith("  none\n");
                    } catch (Exception e) {
                        return false;
                    }
                });
            }
        }
    }

    /** On CI (root, Debian): the shipped apt plug-in lists, installs and removes a small package. */
    @Test
    void theAptPluginInstallsAndRemovesAPackage() throws Exception {
        Path cfg = dir.resolve("etc");
        int port = Agent.freePort();
        try (Agent a = agent(cfg, port)) {
            a.startAndWait();
            Agent.await("the apt plug-in installed", Duration.ofSeconds(30), () -> Files.isExecutable(cfg.resolve("sm-plugins/apt")));
            try (Client c = new Client(port, "apt-test")) {
                c.publish("tedge/commands/req/software/list", "{\"id\":\"l1\"}");
                c.await("tedge/commands/res/software/list {\"id\":\"l1\",\"status\":\"executing\"}", 60);
                assertThat(c.await("tedge/commands/res/software/list", 120)).contains("\"type\":\"apt\"", "{\"name\":\"dpkg\",\"version\":\"");

                c.publish("tedge/commands/req/software/update", "{\"id\":\"a1\",\"updateList\":[{\"type\":\"apt\",\"modules\":["
                        + "{\"name\":\"hello\",\"action\":\"install\"}]}]}");
                c.await("tedge/commands/res/software/update {\"id\":\"a1\",\"status\":\"executing\"}", 60);
                assertThat(c.await("tedge/commands/res/software/update", 600)).contains("\"id\":\"a1\",\"status\":\"successful\"", "{\"name\":\"hello\",\"version\":\"");
                assertThat(Agent.exec(java.util.List.of("dpkg-query", "-W", "hello"), Duration.ofSeconds(30)).code()).isZero();

                c.publish("tedge/commands/req/software/update", "{\"id\":\"a2\",\"updateList\":[{\"type\":\"apt\",\"modules\":["
                        + "{\"name\":\"hello\",\"action\":\"remove\"}]}]}");
                c.await("tedge/commands/res/software/update {\"id\":\"a2\",\"status\":\"executing\"}", 60);
                String done = c.await("tedge/commands/res/software/update", 600);
                assertThat(done).contains("\"id\":\"a2\",\"status\":\"successful\"").doesNotContain("{\"name\":\"hello\"");
            }
        }
    }
}
