package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 13: what a new user meets in the first hour, each point as the user meets it. */
class FirstHourIT {
    @TempDir
    Path dir;

    /**
     * Item 2: in an interactive shell with job control (a pseudo-terminal made by script(1)),
     * {@code tedged &} must run headless; before, it took the terminal for the Gogo shell, the
     * kernel stopped the job and the broker accepted connections but never answered.
     */
    @Test
    void tedgedStartedAsABackgroundJobOfAnInteractiveShellServesClients() throws Exception {
        Path cfg = dir.resolve("cfg");
        Agent agent = new Agent(cfg); // writes tedge.toml with a free port
        Path transcript = dir.resolve("pty.log");
        Process shell = new ProcessBuilder("script", "-qfec", "bash --norc --noprofile -i", "/dev/null")
                .redirectErrorStream(true).redirectOutput(transcript.toFile()).start();
        OutputStream keys = shell.getOutputStream();
        try {
            type(keys, "PS1='$ '; export PATH=" + Agent.HOME.resolve("bin") + ":$PATH\n");
            type(keys, "tedged --config-dir " + cfg + " &\n");
            type(keys, "echo started $!\n");
            agent.awaitPort(agent.port, Duration.ofSeconds(60));
            // a client publishes at QoS 1 and gets its PUBACK
            MqttClient c = new MqttClient("tcp://127.0.0.1:" + agent.port, "first-hour-bg", new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setConnectionTimeout(20);
            c.setTimeToWait(20_000);
            c.connect(o);
            MqttMessage m = new MqttMessage("21.3".getBytes(StandardCharsets.UTF_8));
            m.setQos(1);
            c.publish("tedge/measurements", m); // returns once the PUBACK came, or throws after 20 s
            c.disconnect();
            c.close();
            assertThat(Agent.run(cfg, "mqtt", "pub", "-q", "1", "bg/x", "y").code()).isZero();
            type(keys, "jobs -l\n");
            type(keys, "kill -TERM %1; wait; echo job-ended-$?\n");
            // the typed line echoes "job-ended-$?"; the shell's answer has the job's exit code
            Agent.await("the background job ended on SIGTERM", Duration.ofSeconds(30),
                    () -> read(transcript).matches("(?s).*job-ended-\\d.*"));
            assertThat(read(transcript)).as(read(transcript)).doesNotContain("Stopped").contains("job-ended-0");
        } finally {
            type(keys, "exit\n");
            keys.close();
            if (!shell.waitFor(10, TimeUnit.SECONDS)) shell.destroyForcibly();
            // the job, if the shell could not stop it: by the pid the shell printed
            java.util.regex.Matcher pid = java.util.regex.Pattern.compile("started (\\d+)").matcher(read(transcript));
            if (pid.find()) ProcessHandle.of(Long.parseLong(pid.group(1))).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /**
     * Issue 11: {@code exit <code>} in the Gogo shell (a pseudo-terminal made by script(1)) stops
     * the agent with that code and prints no {@code java.lang.InterruptedException} (Gogo's own
     * exit ran System.exit as a shell job, and the framework's shutdown interrupted the shell
     * waiting for it); a bad code is refused with the usage and stops nothing.
     */
    @Test
    void exitInTheGogoShellStopsTheAgentCleanlyWithItsCode() throws Exception {
        Path cfg = dir.resolve("cfg-exit");
        Agent agent = new Agent(cfg);
        Path transcript = dir.resolve("gogo.log");
        Process shell = new ProcessBuilder("script", "-qfec", Agent.HOME.resolve("bin/tedged") + " --config-dir " + cfg
                + "; echo tedged-rc=$?", "/dev/null").redirectErrorStream(true).redirectOutput(transcript.toFile()).start();
        OutputStream keys = shell.getOutputStream();
        try {
            agent.awaitPort(agent.port, Duration.ofSeconds(60));
            Agent.await("the Gogo prompt", Duration.ofSeconds(60), () -> read(transcript).contains("g!"));
            type(keys, "exit now\n");
            Agent.await("the refusal of a bad exit code", Duration.ofSeconds(30),
                    () -> read(transcript).contains("exit: 'now' is not an exit code. Usage: exit [code]"));
            assertThat(Agent.listening(agent.port)).as("still running after a bad exit").isTrue();
            assertThat(read(transcript)).as("the message alone, as the README shows it").doesNotContain("IllegalArgumentException");
            int before = read(transcript).length();
            type(keys, "exit 3\n");
            Agent.await("tedged ended", Duration.ofSeconds(60), () -> read(transcript).contains("tedged-rc="));
            String afterExit = read(transcript).substring(before);
            assertThat(afterExit).as(read(transcript)).contains("gosh: stopping framework").contains("tedged-rc=3")
                    .doesNotContain("Exception");
        } finally {
            keys.close();
            if (!shell.waitFor(20, TimeUnit.SECONDS)) shell.destroyForcibly();
        }
    }

    private static void type(OutputStream keys, String line) throws IOException {
        keys.write(line.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /** Item 2, second half: a broker that accepts TCP connections but never answers cannot hang a command. */
    @Test
    void commandsTalkingToAHungBrokerFailWithAClearMessage() throws Exception {
        try (ServerSocket hung = new ServerSocket(0)) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) accepted.add(hung.accept()); // accepts, never answers
                } catch (IOException e) {
                    // closed
                }
            });
            acceptor.start();
            Path cfg = dir.resolve("hung");
            Files.createDirectories(cfg);
            Files.writeString(cfg.resolve("tedge.toml"), "[mqtt]\nport = " + hung.getLocalPort() + "\n");
            for (String[] cmd : new String[][] {{"mqtt", "pub", "-q", "1", "a/b", "c"}, {"mqtt", "sub", "a/#"}, {"status"}}) {
                Agent.Result r = Agent.run(cfg, cmd); // Agent.run fails the test after 60 s
                assertThat(r.code()).as(r.toString()).isEqualTo(1);
                assertThat(r.err()).as(r.toString()).contains("no CONNACK from the MQTT broker at 127.0.0.1:" + hung.getLocalPort())
                        .contains("accepts connections but does not answer").contains("Hint:");
            }
            hung.close();
            for (Socket s : accepted) s.close();
        }
    }

    /** Item 3: a second tedged on the same config dir exits at once, non-zero, with one line naming the first one's config dir. */
    @Test
    void aSecondContainerOnTheSameConfigDirIsRefusedInOneLine() throws Exception {
        try (Agent first = new Agent(dir.resolve("cfg")).startAndWait()) {
            Agent.Result second = Agent.exec(List.of(Agent.HOME.resolve("bin/tedged").toString(), "--config-dir", first.configDir.toString()),
                    Duration.ofSeconds(60));
            assertThat(second.code()).as(second.toString()).isEqualTo(1);
            String all = (second.out() + second.err()).strip();
            assertThat(all.lines()).as(all).hasSize(1);
            assertThat(all).contains("already running").contains(first.configDir.toString())
                    .contains("pid " + first.process().pid());
            // the first one is unharmed
            assertThat(first.tedge("mqtt", "pub", "-q", "1", "still/up", "1").code()).isZero();
        }
    }

    /** Item 7: the agent's data and logs are for its user only (0700 folders, 0600 files), whatever the umask. */
    @Test
    void dataAndLogsAreNotReadableByOthersWhateverTheUmask() throws Exception {
        Path cfg = dir.resolve("cfg");
        try (Agent agent = new Agent(cfg)) {
            agent.startVia("umask 000; exec \"$@\"");
            agent.awaitPort(agent.port, Duration.ofSeconds(60));
            assertThat(agent.tedge("mqtt", "pub", "-q", "1", "stored/x", "a journaled message").code()).isZero();
            assertThat(agent.terminate()).isPositive();
        }
        Set<PosixFilePermission> groupOrOther = PosixFilePermissions.fromString("---rwxrwx");
        List<String> open = new ArrayList<>();
        int files = 0;
        for (Path top : List.of(cfg.resolve("data"), cfg.resolve("logs"))) {
            assertThat(mode(top)).as(top.toString()).isEqualTo("rwx------");
            try (Stream<Path> s = Files.walk(top)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    if (Files.isSymbolicLink(p)) continue;
                    files++;
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS);
                    perms.retainAll(groupOrOther);
                    if (!perms.isEmpty()) open.add(mode(p) + " " + p);
                }
            }
        }
        assertThat(files).as("files under data/ and logs/").isGreaterThan(10);
        assertThat(open).as("open to group or others").isEmpty();
        assertThat(mode(cfg.resolve("logs/tedge.log"))).isEqualTo("rw-------");
        assertThat(mode(cfg.resolve("data/framework"))).isEqualTo("rwx------");
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    /** A cloud host that does not resolve is named as such, not just echoed (the JDK's message is the bare host name). */
    @Test
    void connectingToAnUnknownHostSaysSo() throws Exception {
        Path cfg = dir.resolve("cfg");
        new Agent(cfg);
        assertThat(Agent.run(cfg, "cert", "create", "--device-id", "first-hour").code()).isZero();
        Path ca = io.tedge.testkit.TestPki.create("first-hour-ca").writeCaPem(dir.resolve("ca.pem"));
        assertThat(Agent.run(cfg, "config", "set", "c8y.url", "tenant.invalid").code()).isZero();
        assertThat(Agent.run(cfg, "config", "set", "c8y.root.cert.path", ca.toString()).code()).isZero();
        try (Agent agent = new Agent(cfg, Agent.mqttPort(cfg)).startAndWait()) {
            Agent.Result c = agent.tedge("connect", "c8y");
            assertThat(c.code()).as(c.toString()).isEqualTo(1);
            assertThat(c.err()).contains("The c8y link did not come up: cannot reach tenant.invalid:8883: unknown host (check c8y.url");
        }
    }

    /** Item 8: a clean stop on SIGTERM exits 0 (the JVM alone exits 143). */
    @Test
    void sigtermExitsZero() throws Exception {
        Agent agent = new Agent(dir.resolve("cfg")).startAndWait();
        agent.terminate();
        assertThat(agent.process().exitValue()).isZero();
        assertThat(Files.readString(dir.resolve("cfg/logs/tedge.log"))).contains("Bus stopped");
    }
}
