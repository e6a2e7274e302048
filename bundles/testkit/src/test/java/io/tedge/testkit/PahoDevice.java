package io.tedge.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/** A device for the tests: Eclipse Paho over TLS with a client certificate; every wait is bounded. */
final class PahoDevice implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);

    record Msg(String topic, String text, int qos, boolean retained) {
    }

    final MqttClient client;
    final MqttConnectOptions options;
    final BlockingQueue<Msg> inbox = new LinkedBlockingQueue<>();
    final BlockingQueue<Throwable> losses = new LinkedBlockingQueue<>();

    PahoDevice(int port, String clientId, TestPki.Issued identity, TestPki serverPki, String username) throws MqttException {
        client = new MqttClient("ssl://127.0.0.1:" + port, clientId, new MemoryPersistence());
        client.setTimeToWait(WAIT.toMillis());
        options = new MqttConnectOptions();
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        options.setCleanSession(true);
        options.setKeepAliveInterval(60);
        options.setConnectionTimeout((int) WAIT.toSeconds());
        options.setSocketFactory(TestPki.clientContext(identity, new LiveTrust(serverPki.caCert())).getSocketFactory());
        if (username != null) options.setUserName(username);
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                losses.add(cause == null ? new IllegalStateException("connection lost") : cause);
            }

            @Override
            public void messageArrived(String topic, MqttMessage m) {
                inbox.add(new Msg(topic, new String(m.getPayload(), StandardCharsets.UTF_8), m.getQos(), m.isRetained()));
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
    }

    PahoDevice connect() throws MqttException {
        client.connect(options);
        return this;
    }

    void subscribe(String filter, int qos) throws MqttException {
        client.subscribe(filter, qos);
    }

    void pub(String topic, String payload, int qos) throws MqttException {
        pub(topic, payload, qos, false);
    }

    void pub(String topic, String payload, int qos, boolean retain) throws MqttException {
        MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
        m.setQos(qos);
        m.setRetained(retain);
        client.publish(topic, m);
    }

    /** The next message that arrives. */
    Msg next() throws InterruptedException {
        Msg m = inbox.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (m == null) throw new AssertionError("no message within " + WAIT);
        return m;
    }

    /** The first message that matches (others before it are consumed). */
    Msg await(Predicate<Msg> match) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Msg> skipped = new ArrayList<>();
        while (true) {
            long left = deadline - System.nanoTime();
            Msg m = left <= 0 ? null : inbox.poll(left, TimeUnit.NANOSECONDS);
            if (m == null) throw new AssertionError("no matching message within " + WAIT + "; got " + skipped);
            if (match.test(m)) return m;
            skipped.add(m);
        }
    }

    /** Waits until the server closed the connection. */
    Throwable awaitLost() throws InterruptedException {
        Throwable t = losses.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (t == null) throw new AssertionError("the connection was not closed within " + WAIT);
        return t;
    }

    @Override
    public void close() {
        try {
            if (client.isConnected()) client.disconnectForcibly(100, 100);
            client.close(true);
        } catch (MqttException e) {
            // end of test
        }
    }
}
