package io.tedge.broker.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.tedge.api.BusMessage;
import io.tedge.broker.journal.Journal;
import io.tedge.broker.journal.JournalConsumer;

/** The embedded broker against a real MQTT client (Paho) and raw packets. */
class BrokerTest {
    @TempDir
    Path dir;
    Journal journal;
    Broker broker;
    MqttServer server;
    final List<MqttClient> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        open();
    }

    private void open() throws IOException {
        journal = Journal.open(dir.resolve("journal"), 16 << 20, false);
        broker = new Broker(journal, dir.resolve("state"), Broker.Settings.defaults());
        server = MqttServer.start(broker, "127.0.0.1", 0);
    }

    private void restart() throws IOException {
        int port = server.port();
        server.close();
        broker.close();
        journal.close();
        journal = Journal.open(dir.resolve("journal"), 16 << 20, false);
        broker = new Broker(journal, dir.resolve("state"), Broker.Settings.defaults());
        server = MqttServer.start(broker, "127.0.0.1", port);
    }

    @AfterEach
    void stop() {
        for (MqttClient c : clients) {
            try {
                if (c.isConnected()) c.disconnectForcibly(100, 100);
                c.close(true);
            } catch (MqttException e) {
                // test end
            }
        }
        server.close();
        broker.close();
        journal.close();
    }

    private MqttClient client(String id, boolean clean, BlockingQueue<String> inbox) throws MqttException {
        MqttClient c = new MqttClient("tcp://127.0.0.1:" + server.port(), id, new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(clean);
        o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        if (inbox != null) {
            c.setCallback(new org.eclipse.paho.client.mqttv3.MqttCallback() {
                public void connectionLost(Throwable cause) {
                }

                public void messageArrived(String topic, MqttMessage m) {
                    inbox.add(topic + " " + new String(m.getPayload(), StandardCharsets.UTF_8) + " q" + m.getQos() + (m.isRetained() ? " r" : ""));
                }

                public void deliveryComplete(org.eclipse.paho.client.mqttv3.IMqttDeliveryToken t) {
                }
            });
        }
        c.connect(o);
        clients.add(c);
        return c;
    }

    private static void pub(MqttClient c, String topic, String payload, int qos, boolean retain) throws MqttException {
        MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
        m.setQos(qos);
        m.setRetained(retain);
        c.publish(topic, m);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void publishAndSubscribeAtEachQos(int qos) throws Exception {
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        MqttClient sub = client("sub", true, inbox);
        sub.subscribe("tedge/#", 2);
        MqttClient pub = client("pub", true, null);
        pub(pub, "tedge/measurements", "{\"t\":1}", qos, false);
        assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("tedge/measurements {\"t\":1} q" + qos);
    }

    @Test
    void deliveredQosIsTheMinimumOfPublishAndSubscription() throws Exception {
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        client("sub", true, inbox).subscribe("a", 1);
        pub(client("pub", true, null), "a", "x", 2, false);
        assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("a x q1");
    }

    @Test
    void qos1And2PublishesAreInTheJournalWhenAcknowledged() throws Exception {
        JournalConsumer c = new JournalConsumer(journal, journal.cursor("test", List.of("#")));
        MqttClient pub = client("pub", true, null);
        pub(pub, "q0", "zero", 0, false);
        pub(pub, "q1", "one", 1, false);
        pub(pub, "q2", "two", 2, false);
        // acknowledged means already visible: no waiting
        List<BusMessage> got = c.poll(10, Duration.ZERO);
        assertThat(got).extracting(BusMessage::topic).containsExactly("q1", "q2");
    }

    @Test
    void retainedMessagesGoToLaterSubscribersAndSurviveARestart() throws Exception {
        MqttClient pub = client("pub", true, null);
        pub(pub, "status/a", "up", 1, true);
        pub(pub, "status/b", "down", 0, true);
        pub(pub, "status/c", "x", 1, true);
        pub(pub, "status/c", "", 1, true); // clears
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        client("late", true, inbox).subscribe("status/+", 1);
        List<String> got = new ArrayList<>();
        for (int i = 0; i < 2; i++) got.add(inbox.poll(5, TimeUnit.SECONDS));
        assertThat(got).containsExactlyInAnyOrder("status/a up q1 r", "status/b down q0 r");
        assertThat(inbox.poll(200, TimeUnit.MILLISECONDS)).isNull();
        stop();
        clients.clear();
        open();
        BlockingQueue<String> inbox2 = new LinkedBlockingQueue<>();
        client("after", true, inbox2).subscribe("status/+", 1);
        List<String> got2 = new ArrayList<>();
        for (int i = 0; i < 2; i++) got2.add(inbox2.poll(5, TimeUnit.SECONDS));
        assertThat(got2).containsExactlyInAnyOrder("status/a up q1 r", "status/b down q0 r");
    }

    @Test
    void persistentSessionGetsWhatWasPublishedWhileOffline() throws Exception {
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        MqttClient sub = client("durable", false, inbox);
        sub.subscribe("jobs/#", 1);
        sub.disconnect();
        MqttClient pub = client("pub", true, null);
        for (int i = 0; i < 5; i++) pub(pub, "jobs/" + i, "j" + i, 1, false);
        pub(pub, "jobs/qos0", "dropped while offline", 0, false);
        sub.connect(opts(false));
        for (int i = 0; i < 5; i++) assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("jobs/" + i + " j" + i + " q1");
        assertThat(inbox.poll(200, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void persistentSessionAndItsQueueSurviveABrokerRestart() throws Exception {
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        MqttClient sub = client("durable", false, inbox);
        sub.subscribe("jobs/#", 2);
        sub.disconnect();
        MqttClient pub = client("pub", true, null);
        for (int i = 0; i < 3; i++) pub(pub, "jobs/" + i, "j" + i, 2, false);
        restart();
        sub.connect(opts(false));
        for (int i = 0; i < 3; i++) assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("jobs/" + i + " j" + i + " q2");
        // and the subscription itself was kept
        MqttClient pub2 = client("pub2", true, null);
        pub(pub2, "jobs/new", "n", 1, false);
        assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("jobs/new n q1");
    }

    private static MqttConnectOptions opts(boolean clean) {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(clean);
        o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        return o;
    }

    @Test
    void aQos1ResendWithDupIsAcknowledgedAndDeliveredAndTheBrokerKeepsServing() throws Exception {
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        client("sub", true, inbox).subscribe("dup/#", 1);
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.connect("resender", false));
            assertThat(Raw.hex(r.read(4))).isEqualTo("20020000");
            for (int i = 1; i <= 3; i++) {
                r.send(Raw.publish("dup/x", "again" + i, 1, 7, true));
                assertThat(Raw.hex(r.read(4))).isEqualTo("40020007"); // PUBACK 7
            }
        }
        for (int i = 1; i <= 3; i++) assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("dup/x again" + i + " q1");
        MqttClient other = client("other", true, null);
        pub(other, "dup/y", "still serving", 1, false);
        assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("dup/y still serving q1");
    }

    @Test
    void qos2DuplicateBeforeReleaseIsDeliveredOnce() throws Exception {
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        client("sub", true, inbox).subscribe("x", 2);
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.connect("q2", true));
            assertThat(Raw.hex(r.read(4))).isEqualTo("20020000");
            r.send(Raw.publish("x", "once", 2, 9, false), Raw.publish("x", "once", 2, 9, true));
            assertThat(Raw.hex(r.read(8))).isEqualTo("50020009" + "50020009"); // PUBREC 9 twice
            r.send(Raw.hex("62020009")); // PUBREL 9
            assertThat(Raw.hex(r.read(4))).isEqualTo("70020009"); // PUBCOMP 9
        }
        assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("x once q2");
        assertThat(inbox.poll(300, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void emptyClientIdIsAcceptedWithACleanSessionOnly() throws Exception {
        assertThat(rawConnect("MQTT", 4, "", true)).isEqualTo("20020000");
        assertThat(rawConnect("MQTT", 4, "", false)).isEqualTo("20020002"); // identifier rejected
    }

    @Test
    void mqtt31IsAcceptedAndMqtt5IsRefusedWithUnacceptableProtocolVersion() throws Exception {
        assertThat(rawConnect("MQIsdp", 3, "old", true)).isEqualTo("20020000");
        assertThat(rawConnect("MQTT", 5, "new", true)).isEqualTo("20020001");
    }

    private String rawConnect(String proto, int level, String id, boolean clean) throws IOException {
        try (Raw r = new Raw(server.port())) {
            r.send(Raw.packet(0x10, Raw.str(proto), new byte[] {(byte) level, (byte) (clean ? 2 : 0), 0, 60}, Raw.str(id)));
            return Raw.hex(r.read(4));
        }
    }

    @Test
    void willMessageIsPublishedWhenAClientVanishes() throws Exception {
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        client("watcher", true, inbox).subscribe("will/#", 1);
        Raw r = new Raw(server.port());
        // CONNECT with a will: flags 0x0e = will QoS 1, will flag, clean session
        r.send(Raw.packet(0x10, Raw.str("MQTT"), new byte[] {4, 0x0e, 0, 60}, Raw.str("mortal"), Raw.str("will/mortal"), Raw.str("gone")));
        assertThat(Raw.hex(r.read(4))).isEqualTo("20020000");
        r.close();
        assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("will/mortal gone q1");
    }

    @Test
    void aSecondConnectionWithTheSameIdTakesOver() throws Exception {
        MqttClient first = client("same", true, null);
        MqttClient second = client("same", true, null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (first.isConnected() && System.nanoTime() < deadline) Thread.onSpinWait();
        assertThat(first.isConnected()).isFalse();
        assertThat(second.isConnected()).isTrue();
    }

    @Test
    void inProcessSubscribersSeeClientPublishesAndClientsSeeInProcessPublishes() throws Exception {
        BlockingQueue<BusMessage> internal = new LinkedBlockingQueue<>();
        try (var sub = broker.subscribeInternal(List.of("in/#"), internal::add)) {
            pub(client("pub", true, null), "in/a", "hello", 1, false);
            BusMessage m = internal.poll(5, TimeUnit.SECONDS);
            assertThat(m.topic()).isEqualTo("in/a");
            assertThat(m.text()).isEqualTo("hello");
        }
        BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
        client("ext", true, inbox).subscribe("out/#", 1);
        broker.publishDurably("out/b", "from inside".getBytes(StandardCharsets.UTF_8), 1, false);
        assertThat(inbox.poll(5, TimeUnit.SECONDS)).isEqualTo("out/b from inside q1");
    }

    @Test
    void manyPipelinedQos1PublishesAreAllAcknowledgedAndJournaled() throws Exception {
        MqttClient pub = new MqttClient("tcp://127.0.0.1:" + server.port(), "bulk", new MemoryPersistence());
        MqttConnectOptions o = opts(true);
        o.setMaxInflight(200);
        pub.connect(o);
        clients.add(pub);
        JournalConsumer c = new JournalConsumer(journal, journal.cursor("count", List.of("bulk/#")));
        List<org.eclipse.paho.client.mqttv3.IMqttDeliveryToken> tokens = new ArrayList<>();
        org.eclipse.paho.client.mqttv3.MqttAsyncClient async = new org.eclipse.paho.client.mqttv3.MqttAsyncClient(
                "tcp://127.0.0.1:" + server.port(), "bulk-async", new MemoryPersistence());
        async.connect(o).waitForCompletion(5000);
        for (int i = 0; i < 2000; i++) {
            while (true) {
                try {
                    tokens.add(async.publish("bulk/x", ("m" + i).getBytes(StandardCharsets.UTF_8), 1, false));
                    break;
                } catch (MqttException e) {
                    if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT) throw e;
                    tokens.get(tokens.size() - 100).waitForCompletion(5000);
                }
            }
        }
        for (var t : tokens) t.waitForCompletion(10_000);
        async.disconnect().waitForCompletion(5000);
        async.close();
        long n = 0;
        List<BusMessage> batch;
        while (!(batch = c.poll(1000, Duration.ZERO)).isEmpty()) {
            for (BusMessage m : batch) assertThat(m.text()).isEqualTo("m" + n++);
        }
        assertThat(n).isEqualTo(2000);
    }
}
