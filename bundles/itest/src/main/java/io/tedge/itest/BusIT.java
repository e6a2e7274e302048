package io.tedge.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;

/** The bus service in the container, against a real MQTT client. */
class BusIT {

    static MqttClient client(int port, String id) throws Exception {
        MqttClient c = new MqttClient("tcp://127.0.0.1:" + port, id, new MemoryPersistence());
        c.connect();
        return c;
    }

    static void pub(MqttClient c, String topic, String payload, int qos) throws Exception {
        MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
        m.setQos(qos);
        c.publish(topic, m);
    }

    @Test
    void mqttClientsAndInProcessComponentsShareOneTopicSpace() throws Exception {
        int port = Support.embeddedBrokerOnFreePort();
        Bus bus = Support.bus(port, Duration.ofSeconds(10));
        BlockingQueue<BusMessage> internal = new LinkedBlockingQueue<>();
        MqttClient c = client(port, "it-client");
        try (Bus.Subscription s = bus.subscribe(List.of("it/in/#"), internal::add)) {
            pub(c, "it/in/x", "hello bus", 1);
            BusMessage m = internal.poll(5, TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            assertThat(m.text()).isEqualTo("hello bus");
        }
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        c.setCallback(new MqttCallback() {
            public void connectionLost(Throwable t) {
            }

            public void messageArrived(String topic, MqttMessage m) {
                got.add(topic + " " + new String(m.getPayload(), StandardCharsets.UTF_8));
            }

            public void deliveryComplete(IMqttDeliveryToken t) {
            }
        });
        c.subscribe("it/out/#", 1);
        bus.publish("it/out/y", "from a component".getBytes(StandardCharsets.UTF_8), 1, false);
        assertThat(got.poll(5, TimeUnit.SECONDS)).isEqualTo("it/out/y from a component");
        c.disconnect();
        c.close();
    }

    @Test
    void aDurableConsumerResumesAfterTheBrokerBundleIsRestarted() throws Exception {
        int port = Support.embeddedBrokerOnFreePort();
        Bus bus = Support.bus(port, Duration.ofSeconds(10));
        String run = Long.toString(System.nanoTime(), 36); // the config dir outlives a test run
        String name = "it-durable-" + run;
        String filter = "it/durable/" + run + "/#";
        DurableConsumer consumer = bus.consumer(name, List.of(filter));
        MqttClient c = client(port, "it-durable-pub");
        for (int i = 0; i < 10; i++) pub(c, "it/durable/" + run + "/" + i, "m" + i, 1);
        List<BusMessage> first = consumer.poll(3, Duration.ofSeconds(5));
        assertThat(first).extracting(BusMessage::text).containsExactly("m0", "m1", "m2");
        consumer.commit(first.get(2).position());
        consumer.close();
        c.disconnect();
        c.close();

        Bundle broker = null;
        for (Bundle b : Support.context().getBundles()) {
            if (b.getSymbolicName().equals("io.tedge.broker")) broker = b;
        }
        assertThat(broker).isNotNull();
        broker.stop();
        broker.start();
        Bus again = Support.bus(port, Duration.ofSeconds(20));
        DurableConsumer resumed = again.consumer(name, List.of(filter));
        List<String> rest = new ArrayList<>();
        List<BusMessage> batch;
        while (!(batch = resumed.poll(100, Duration.ofMillis(500))).isEmpty()) {
            for (BusMessage m : batch) rest.add(m.text());
        }
        assertThat(rest).containsExactly("m3", "m4", "m5", "m6", "m7", "m8", "m9");
        resumed.close();
    }

    @Test
    void changingMqttPortMovesTheBroker() throws Exception {
        int first = Support.embeddedBrokerOnFreePort();
        int second = Support.freePort();
        Support.writeToml("[mqtt]\nport = " + second + "\n");
        Support.bus(second, Duration.ofSeconds(20));
        MqttClient c = client(second, "it-moved");
        assertThat(c.isConnected()).isTrue();
        c.disconnect();
        c.close();
        Support.await("old port closed", Duration.ofSeconds(10), () -> {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", first)) {
                return false;
            } catch (java.io.IOException e) {
                return true;
            }
        });
    }
}
