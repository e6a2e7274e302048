package io.tedge.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;
import io.tedge.testkit.os.Executables;

/**
 * mqtt.broker = external: Debian's mosquitto replaces the embedded broker. The agent's
 * persistent session journals what it receives, so what was published while the agent's bus was
 * down still reaches its durable consumers.
 */
class ExternalBrokerIT {

    @Test
    void mosquittoCanReplaceTheEmbeddedBroker() throws Exception {
        int port = Support.freePort();
        Path dir = Files.createTempDirectory("it-mosquitto");
        Path conf = dir.resolve("mosquitto.conf");
        Files.writeString(conf, "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\n");
        Process mosquitto = new ProcessBuilder(Executables.find("mosquitto").toString(), "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
        try {
            Support.await("mosquitto listening", Duration.ofSeconds(10), () -> {
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                    return true;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            Support.writeToml("[mqtt]\nport = " + Support.freePort() + "\nbroker = \"external\"\nclient_port = " + port + "\n");
            Bus bus = Support.bus(port, Duration.ofSeconds(20));
            Support.await("the agent's session on mosquitto", Duration.ofSeconds(10), () -> {
                try {
                    bus.publish("it/ext/probe", new byte[0], 0, false);
                    return true;
                } catch (Bus.BusException e) {
                    return false;
                }
            });
            String run = Long.toString(System.nanoTime(), 36); // the config dir outlives a test run
            DurableConsumer consumer = bus.consumer("it-external-" + run, List.of("it/ext/data/#"));
            MqttClient device = BusIT.client(port, "it-ext-device");
            for (int i = 0; i < 5; i++) BusIT.pub(device, "it/ext/data/" + i, "a" + i, 1);
            List<String> got = drain(consumer, 5);
            assertThat(got).containsExactly("a0", "a1", "a2", "a3", "a4");
            consumer.close();

            // the agent's bus goes away; mosquitto keeps its persistent session
            Bundle broker = null;
            for (Bundle b : Support.context().getBundles()) {
                if (b.getSymbolicName().equals("io.tedge.broker")) broker = b;
            }
            broker.stop();
            for (int i = 5; i < 10; i++) BusIT.pub(device, "it/ext/data/" + i, "a" + i, 1);
            broker.start();
            Bus again = Support.bus(port, Duration.ofSeconds(20));
            DurableConsumer resumed = again.consumer("it-external-" + run, List.of("it/ext/data/#"));
            assertThat(drain(resumed, 5)).containsExactly("a5", "a6", "a7", "a8", "a9");
            resumed.close();

            // and the other way round: a component's publish reaches a client of mosquitto
            BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
            device.setCallback(new MqttCallback() {
                public void connectionLost(Throwable t) {
                }

                public void messageArrived(String topic, MqttMessage m) {
                    inbox.add(topic + " " + new String(m.getPayload(), StandardCharsets.UTF_8));
                }

                public void deliveryComplete(IMqttDeliveryToken t) {
                }
            });
            device.subscribe("it/ext/down", 1);
            again.publish("it/ext/down", "to the device".getBytes(StandardCharsets.UTF_8), 1, false);
            assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("it/ext/down to the device");
            device.disconnect();
            device.close();
        } finally {
            Support.writeToml("[mqtt]\nport = " + Support.freePort() + "\n");
            mosquitto.destroy();
            mosquitto.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static List<String> drain(DurableConsumer c, int n) throws InterruptedException {
        List<String> out = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (out.size() < n && System.nanoTime() < end) {
            for (BusMessage m : c.poll(n, Duration.ofMillis(500))) {
                out.add(m.text());
                c.commit(m.position());
            }
        }
        return out;
    }
}
