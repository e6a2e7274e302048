package io.tedge.e2e;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import io.tedge.testkit.TestPki;

/**
 * A pub/sub cloud on Debian's mosquitto, as AWS IoT Core behaves for what a device uses: a TLS
 * listener on 127.0.0.1 that demands a client certificate trusted by {@code cafile} (the device's
 * self-signed certificate), and a plain listener for the test's observer, a Paho client that
 * records every message under {@code thinedge/#}, {@code $aws/things/#} and {@code devices/#} (the
 * connector template's topics) with the QoS it was
 * delivered with (subscribed with QoS 2, so a QoS 2 publish would arrive as 2). Stops with the
 * test, and on JVM exit.
 */
final class MosquittoCloud implements AutoCloseable {
    record Msg(String topic, String payload, int qos) {
    }

    final int tlsPort;
    final int plainPort;
    final Path caPem;
    private final Path dir;
    private Process process;
    private MqttClient observer;
    final List<Msg> seen = new CopyOnWriteArrayList<>();

    MosquittoCloud(Path dir, Path trustedClientCert) throws Exception {
        this.dir = dir;
        Files.createDirectories(dir);
        TestPki pki = TestPki.create("aws-standin-ca");
        TestPki.Issued server = pki.issueServer("localhost");
        caPem = pki.writeCaPem(dir.resolve("ca.pem"));
        server.writeChain(dir.resolve("server.pem"));
        server.writeKey(dir.resolve("server.key"));
        Files.copy(trustedClientCert, dir.resolve("clients.pem"));
        tlsPort = Agent.freePort();
        plainPort = Agent.freePort();
        String user = System.getProperty("user.name");
        Files.writeString(dir.resolve("mosquitto.conf"), String.join("\n",
                "user " + user,
                "per_listener_settings false",
                "allow_anonymous true",
                "persistence false",
                "log_dest stderr",
                "log_type error",
                "log_type warning",
                "log_type notice",
                "listener " + tlsPort + " 127.0.0.1",
                "cafile " + dir.resolve("clients.pem"),
                "certfile " + dir.resolve("server.pem"),
                "keyfile " + dir.resolve("server.key"),
                "require_certificate true",
                "use_identity_as_username true",
                "listener " + plainPort + " 127.0.0.1",
                ""));
        start();
    }

    static String binary() {
        for (String p : new String[] {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"}) {
            if (Files.isExecutable(Path.of(p))) return p;
        }
        return "mosquitto";
    }

    void start() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(binary(), "-c", dir.resolve("mosquitto.conf").toString());
        pb.redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("mosquitto.log").toFile()));
        process = pb.start();
        Process p = process;
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        Agent.await("mosquitto on " + plainPort, Duration.ofSeconds(20), () -> !p.isAlive() || Agent.listening(plainPort));
        if (!p.isAlive()) throw new IllegalStateException("mosquitto exited:\n" + Files.readString(dir.resolve("mosquitto.log")));
        observer = new MqttClient("tcp://127.0.0.1:" + plainPort, "observer-" + System.nanoTime(), new MemoryPersistence());
        observer.setCallback(new MqttCallback() {
            public void connectionLost(Throwable cause) {
            }

            public void messageArrived(String topic, MqttMessage m) {
                seen.add(new Msg(topic, new String(m.getPayload(), StandardCharsets.UTF_8), m.getQos()));
            }

            public void deliveryComplete(IMqttDeliveryToken t) {
            }
        });
        observer.connect();
        observer.subscribe(new String[] {"thinedge/#", "$aws/things/#", "devices/#"}, new int[] {2, 2, 2});
    }

    /** The cloud side publishes (as AWS would to the device). */
    void publish(String topic, String payload, int qos) throws MqttException {
        MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
        m.setQos(qos);
        observer.publish(topic, m);
    }

    Msg await(String topic, Duration timeout) throws InterruptedException {
        Agent.await(topic + " at the cloud", timeout, () -> seen.stream().anyMatch(m -> m.topic().equals(topic)));
        return seen.stream().filter(m -> m.topic().equals(topic)).findFirst().orElseThrow();
    }

    long count(String topic) {
        return seen.stream().filter(m -> m.topic().equals(topic)).count();
    }

    void stop() throws InterruptedException {
        try {
            if (observer != null && observer.isConnected()) observer.disconnectForcibly(500, 500);
            if (observer != null) observer.close(true);
        } catch (MqttException e) {
            // closing
        }
        observer = null;
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        }
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("mosquitto.log"));
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
