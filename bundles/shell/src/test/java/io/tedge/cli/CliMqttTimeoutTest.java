package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13 item 2: a broker that accepts connections but does not answer (a stopped process)
 * makes each command fail with a message saying so, instead of hanging. The fake broker here
 * answers what the test says, in literal MQTT 3.1.1 bytes, and nothing more.
 */
class CliMqttTimeoutTest {
    @TempDir
    Path tmp;
    ServerSocket server;
    final List<Socket> accepted = new ArrayList<>();
    CliRunner cli;
    int savedTimeout;

    /** What the fake broker writes after reading the CONNECT. */
    volatile byte[] answer = new byte[0];

    @BeforeEach
    void start() throws IOException {
        savedTimeout = MqttCommand.timeoutMs;
        MqttCommand.timeoutMs = 1000;
        server = new ServerSocket(0);
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    Socket s = server.accept();
                    synchronized (accepted) {
                        accepted.add(s);
                    }
                    InputStream in = s.getInputStream();
                    in.read(); // CONNECT's first byte
                    int len = in.read();
                    in.readNBytes(len);
                    s.getOutputStream().write(answer);
                    s.getOutputStream().flush();
                }
            } catch (IOException e) {
                // closed
            }
        });
        t.setDaemon(true);
        t.start();
        Path cfg = Files.createDirectories(tmp.resolve("etc"));
        Files.writeString(cfg.resolve("tedge.toml"), "[mqtt]\nport = " + server.getLocalPort() + "\n");
        cli = new CliRunner(cfg);
    }

    @AfterEach
    void stop() throws IOException {
        MqttCommand.timeoutMs = savedTimeout;
        server.close();
        synchronized (accepted) {
            for (Socket s : accepted) s.close();
        }
    }

    private CliRunner.Result run(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> cli.run(args), "the command hung");
    }

    @Test
    void noConnackFailsEveryBrokerCommand() {
        for (String[] cmd : new String[][] {{"mqtt", "pub", "a/b", "c"}, {"mqtt", "sub", "a/#"}, {"status"}}) {
            CliRunner.Result r = run(cmd);
            assertThat(r.code()).as(String.join(" ", cmd) + ": " + r.err()).isEqualTo(1);
            assertThat(r.err()).contains("Error: MQTT connection error: no CONNACK from the MQTT broker at 127.0.0.1:" + server.getLocalPort()
                    + " within 1.0 s: it accepts connections but does not answer").contains("Hint: Is the agent stopped");
        }
    }

    @Test
    void noPubackFailsAQos1Publish() {
        answer = new byte[] {0x20, 2, 0, 0};
        CliRunner.Result r = run("mqtt", "pub", "-q", "1", "a/b", "c");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("MQTT publish on a/b failed: no PUBACK from the MQTT broker");
        // QoS 0 needs no answer
        assertThat(run("mqtt", "pub", "a/b", "c").code()).isZero();
    }

    @Test
    void noPubcompFailsAQos2Publish() {
        answer = new byte[] {0x20, 2, 0, 0, 0x50, 2, 0, 1};
        CliRunner.Result r = run("mqtt", "pub", "-q", "2", "a/b", "c");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no PUBCOMP from the MQTT broker");
    }

    @Test
    void aRefusedConnectionSaysWhy() {
        answer = new byte[] {0x20, 2, 0, 5};
        CliRunner.Result r = run("mqtt", "pub", "a/b", "c");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("the broker refused the connection: not authorized (5)");
    }

    @Test
    void noSubackFailsASubscription() {
        answer = new byte[] {0x20, 2, 0, 0};
        CliRunner.Result r = run("mqtt", "sub", "a/#");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("MQTT subscribe to a/# failed: no SUBACK from the MQTT broker");
    }
}
