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
        Process mosquitto = mosquitto(port);
        try {
            Bus bus = externalBus(port);
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
            Bus again = whileTheBusIsDown(port, () -> {
                for (int i = 5; i < 10; i++) BusIT.pub(device, "it/ext/data/" + i, "a" + i, 1);
            });
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

    /**
     * Issue 9 over mosquitto: the retained messages the components see are mosquitto's, also
     * those published live (forwarded with retain = 0) and those cleared while the agent was
     * down; a component subscribed at the restart sees the clear as it would see a live one.
     */
    @Test
    void retainedMessagesFollowMosquittoAcrossARestart() throws Exception {
        int port = Support.freePort();
        Process mosquitto = mosquitto(port);
        try {
            Bus bus = externalBus(port);
            String base = "it/ext/ret/" + Long.toString(System.nanoTime(), 36);
            MqttClient device = BusIT.client(port, "it-ext-retainer");
            device.publish(base + "/cleared", "raised".getBytes(StandardCharsets.UTF_8), 1, true);
            device.publish(base + "/kept", "kept".getBytes(StandardCharsets.UTF_8), 1, true);
            // published live, so forwarded to the agent with retain = 0: still retained for a new subscriber
            awaitView(bus, device, base, java.util.Map.of(base + "/cleared", "raised", base + "/kept", "kept"));

            Bus again = whileTheBusIsDown(port, () -> {
                device.publish(base + "/cleared", new byte[0], 0, true); // QoS 0: not even queued for the agent
                device.publish(base + "/new", "while away".getBytes(StandardCharsets.UTF_8), 1, true);
            });
            // a component that subscribes at once (as the c8y mapper does) ends with mosquitto's state
            java.util.Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
            try (Bus.Subscription early = again.subscribe(List.of(base + "/#"), m -> {
                if (m.payload().length == 0) seen.put(m.topic(), "<cleared>");
                else seen.put(m.topic(), m.text());
            })) {
                // (it subscribes before or after the agent has caught up with mosquitto: it sees the
                // stale message and then its clear, or nothing)
                Support.await("the early subscriber ends with mosquitto's retained messages", Duration.ofSeconds(20),
                        () -> "kept".equals(seen.get(base + "/kept")) && "while away".equals(seen.get(base + "/new"))
                                && "<cleared>".equals(seen.getOrDefault(base + "/cleared", "<cleared>")));
            }
            // and the retained copy is mosquitto's: a new subscriber gets exactly what mosquitto retains
            awaitView(again, device, base, java.util.Map.of(base + "/kept", "kept", base + "/new", "while away"));
            device.disconnect();
            device.close();
        } finally {
            Support.writeToml("[mqtt]\nport = " + Support.freePort() + "\n");
            mosquitto.destroy();
            mosquitto.waitFor(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Waits until a new in-process subscription to base/# gets exactly these retained messages:
     * what it receives before a probe, published by the device after the subscription, is retained.
     */
    private static void awaitView(Bus bus, MqttClient device, String base, java.util.Map<String, String> expected) throws Exception {
        Support.await("the retained view " + expected, Duration.ofSeconds(20), () -> {
            java.util.Map<String, String> view = new java.util.TreeMap<>();
            BlockingQueue<BusMessage> q = new LinkedBlockingQueue<>();
            try (Bus.Subscription s = bus.subscribe(List.of(base + "/#"), q::add)) {
                String probe = base + "/probe";
                device.publish(probe, "p".getBytes(StandardCharsets.UTF_8), 1, false);
                BusMessage m;
                while ((m = q.poll(5, TimeUnit.SECONDS)) != null && !m.topic().equals(probe)) {
                    if (m.payload().length == 0) view.remove(m.topic());
                    else view.put(m.topic(), m.text());
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return view.equals(new java.util.TreeMap<>(expected));
        });
    }

    /** Debian's mosquitto on the port, listening (no persistence: it keeps its state while it runs). */
    private static Process mosquitto(int port) throws Exception {
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
        } catch (AssertionError e) {
            mosquitto.destroy();
            throw e;
        }
        return mosquitto;
    }

    interface Step {
        void run() throws Exception;
    }

    /** Stops the broker bundle (the agent's bus goes away, mosquitto keeps its session), runs the step, starts it again. */
    private static Bus whileTheBusIsDown(int port, Step step) throws Exception {
        Bundle broker = null;
        for (Bundle b : Support.context().getBundles()) {
            if (b.getSymbolicName().equals("io.tedge.broker")) broker = b;
        }
        broker.stop();
        step.run();
        broker.start();
        return Support.bus(port, Duration.ofSeconds(20));
    }

    /** Switches the agent to mqtt.broker = external on mosquitto's port and returns its bus. */
    private static Bus externalBus(int port) throws Exception {
        Support.writeToml("[mqtt]\nport = " + Support.freePort() + "\nbroker = \"external\"\nclient_port = " + port + "\n");
        return Support.bus(port, Duration.ofSeconds(20));
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
