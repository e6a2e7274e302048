package io.tedge.e2e;

import java.nio.charset.StandardCharsets;
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

/** A device application on the local broker: a real MQTT client. */
final class Local implements AutoCloseable {
    final MqttClient client;
    final BlockingQueue<String> inbox = new LinkedBlockingQueue<>();

    Local(int port, String id) throws MqttException {
        this(port, id, new MqttConnectOptions());
    }

    /** With these options, e.g. a persistent session that gets what was published while the container restarted. */
    Local(int port, String id, MqttConnectOptions options) throws MqttException {
        client = new MqttClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
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
    }

    Local subscribe(String filter) throws MqttException {
        client.subscribe(filter, 1);
        return this;
    }

    void publish(String topic, String payload, int qos) throws MqttException {
        MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
        m.setQos(qos);
        client.publish(topic, m);
    }

    /** The next message whose "topic payload" line starts with the prefix, within the time. */
    String await(String prefix, long seconds) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            long left = end - System.nanoTime();
            if (left <= 0) throw new AssertionError("no local message starting with '" + prefix + "' within " + seconds + " s");
            String m = inbox.poll(left, TimeUnit.NANOSECONDS);
            if (m != null && m.startsWith(prefix)) return m;
        }
    }

    @Override
    public void close() {
        try {
            client.disconnect(1000);
        } catch (MqttException e) {
            // closing
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            // closing
        }
    }
}
