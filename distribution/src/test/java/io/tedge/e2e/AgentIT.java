package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent in the running container, through its local command topics: restart with a test
 * reboot command that restarts the container, software operations with a test plug-in, and a
 * restart of the container while a software update runs. The real apt plug-in is exercised
 * through Cumulocity, in {@link C8yOperationsIT}.
 */
class AgentIT {
    @TempDir
    Path dir;

    /** A device application with a persistent session: it gets what was published while the container restarted. */
    private static Local client(int port, String id) throws MqttException, InterruptedException {
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setAutomaticReconnect(true);
        options.setMaxReconnectDelay(500);
        Local c = new Local(port, id, options).subscribe("tedge/commands/res/#");
        awaitAgentUp(port);
        return c;
    }

    /** Requests are taken once the agent is up (as the mapper waits for it): its retained health says so. */
    private static void awaitAgentUp(int port) throws MqttException, InterruptedException {
        try (Local health = new Local(port, "health-" + System.nanoTime()).subscribe("tedge/health/tedge-agent")) {
            health.await("tedge/health/tedge-agent {\"status\":\"up\"", 60);
        }
    }

    private static void publish(Local c, String topic, String payload) throws MqttException {
        c.publish(topic, payload, 1);
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
            try (Local c = client(port, "restart-test")) {
                publish(c, "tedge/commands/req/control/restart", "{\"id\":\"restart-1\"}");
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
            try (Local c = client(port, "restart-fail")) {
                publish(c, "tedge/commands/req/control/restart", "{\"id\":\"restart-2\"}");
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
            try (Local c = client(port, "software-test")) {
                publish(c, "tedge/commands/req/software/update", "{\"id\":\"u1\",\"updateList\":[{\"type\":\"test\",\"modules\":["
                        + "{\"name\":\"nodered\",\"version\":\"1.0.0\",\"action\":\"install\"},{\"name\":\"base\",\"action\":\"remove\"}]}]}");
                assertThat(c.await("tedge/commands/res/software/update", 60))
                        .isEqualTo("tedge/commands/res/software/update {\"id\":\"u1\",\"status\":\"executing\"}");
                assertThat(c.await("tedge/commands/res/software/update", 60)).isEqualTo("tedge/commands/res/software/update "
                        + "{\"id\":\"u1\",\"status\":\"successful\",\"currentSoftwareList\":[{\"type\":\"test\",\"modules\":[{\"name\":\"nodered\",\"version\":\"1.0.0\"}]}]}");

                publish(c, "tedge/commands/req/software/update", "{\"id\":\"u2\",\"updateList\":[{\"type\":\"test\",\"modules\":["
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
            try (Local c = client(port, "software-restart")) {
                publish(c, "tedge/commands/req/software/update", "{\"id\":\"u3\",\"updateList\":[{\"type\":\"test\",\"modules\":["
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
}
