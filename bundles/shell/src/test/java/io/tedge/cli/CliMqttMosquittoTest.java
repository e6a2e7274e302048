package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.os.Executables;

/**
 * The command line's own MQTT client ({@link CliMqttClient}) against an independent broker,
 * Debian's mosquitto, checked with mosquitto's own clients: the oracle is not our code.
 */
class CliMqttMosquittoTest {
    @TempDir
    Path tmp;
    Process mosquitto;
    int port;
    CliRunner cli;

    @BeforeEach
    void startMosquitto() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path conf = tmp.resolve("mosquitto.conf");
        Files.writeString(conf, "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\n");
        mosquitto = new ProcessBuilder(Executables.find("mosquitto").toString(), "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("mosquitto.log").toFile()).start();
        await("mosquitto listening on " + port, () -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        Path cfg = Files.createDirectories(tmp.resolve("etc"));
        Files.writeString(cfg.resolve("tedge.toml"), "[mqtt]\nport = " + port + "\n");
        cli = new CliRunner(cfg);
    }

    @AfterEach
    void stopMosquitto() throws InterruptedException {
        mosquitto.destroy();
        if (!mosquitto.waitFor(10, TimeUnit.SECONDS)) mosquitto.destroyForcibly();
    }

    interface Cond {
        boolean ok() throws Exception;
    }

    static void await(String what, Cond c) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!c.ok()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    private String mosquittoSub(String filter, int count, String... extra) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Executables.find("mosquitto_sub").toString(), "-h", "127.0.0.1", "-p",
                Integer.toString(port), "-t", filter, "-v", "-C", Integer.toString(count), "-W", "20"));
        cmd.addAll(List.of(extra));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void pubAtEachQosIsReceivedByMosquittoSubWithRetain(int qos) throws Exception {
        String topic = "cli/q" + qos;
        CliRunner.Result r = cli.run("mqtt", "pub", "-q", Integer.toString(qos), "-r", topic, "{\"temperature\": 21.3, \"é\": \"ü\"}");
        assertThat(r.code()).as(r.err()).isZero();
        // retained, so a late mosquitto_sub gets it, with its QoS as published
        assertThat(mosquittoSub(topic, 1, "-q", "2", "-F", "%t %q %r %p")).isEqualTo(topic + " " + qos + " 1 {\"temperature\": 21.3, \"é\": \"ü\"}\n");
    }

    @Test
    void subPrintsWhatMosquittoPubSendsAtEachQos() throws Exception {
        Thread t = new Thread(() -> cli.run("mqtt", "sub", "-q", "2", "from/#"));
        t.start();
        try {
            await("tedge mqtt sub output", () -> {
                Process p = new ProcessBuilder(Executables.find("mosquitto_pub").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
                        "-q", "1", "-t", "from/probe", "-m", "p").start();
                p.waitFor(10, TimeUnit.SECONDS);
                return cli.out.text().contains("[from/probe] p");
            });
            for (int q = 0; q <= 2; q++) {
                Process p = new ProcessBuilder(Executables.find("mosquitto_pub").toString(), "-h", "127.0.0.1", "-p", Integer.toString(port),
                        "-q", Integer.toString(q), "-t", "from/q" + q, "-m", "payload " + q).start();
                assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isZero();
            }
            assertThat(cli.out.await(o -> o.contains("[from/q0] payload 0") && o.contains("[from/q1] payload 1") && o.contains("[from/q2] payload 2"),
                    Duration.ofSeconds(20))).as(cli.out.text()).isTrue();
        } finally {
            t.interrupt();
            t.join(10_000);
        }
        assertThat(t.isAlive()).as("tedge mqtt sub stops on an interrupt").isFalse();
    }

    /**
     * Right after the broker listens, the container's plug-in inventory may not be subscribed yet:
     * a request nobody hears is gone, so the command asks again. The responder here (Paho, on
     * mosquitto) ignores the first request, as an inventory that subscribes a moment too late.
     */
    @Test
    void thePluginListIsAskedAgainWhenTheFirstRequestIsNotHeard() throws Exception {
        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        org.eclipse.paho.client.mqttv3.MqttClient inventory = new org.eclipse.paho.client.mqttv3.MqttClient("tcp://127.0.0.1:" + port,
                "late-inventory", new org.eclipse.paho.client.mqttv3.persist.MemoryPersistence());
        inventory.connect();
        try {
            java.util.concurrent.ExecutorService answers = java.util.concurrent.Executors.newSingleThreadExecutor();
            inventory.subscribe("tedge/plugins/list", 1, (topic, m) -> {
                if (requests.incrementAndGet() < 2) return;
                String id = new String(m.getPayload(), StandardCharsets.UTF_8);
                answers.execute(() -> {
                    try {
                        inventory.publish("tedge/plugins/list/" + id, ("{\"plugins\":[{\"kind\":\"connector\",\"name\":\"acme\",\"bundle\":"
                                + "\"com.acme\",\"version\":\"1.0.0\",\"state\":\"ACTIVE\",\"backlog\":0}],\"settled\":false,\"settling\":\"com.acme.mapper is RESOLVED\"}")
                                .getBytes(StandardCharsets.UTF_8), 1, false);
                    } catch (org.eclipse.paho.client.mqttv3.MqttException e) {
                        throw new IllegalStateException(e);
                    }
                });
            });
            CliRunner.Result r = cli.run("plugins");
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).containsPattern("connector +acme +com.acme +1.0.0 +ACTIVE")
                    .contains("deploy/ is still being started: com.acme.mapper is RESOLVED");
            assertThat(requests.get()).isGreaterThanOrEqualTo(2);
            answers.shutdown();
        } finally {
            inventory.disconnect();
            inventory.close();
        }
    }
}
