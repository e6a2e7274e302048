package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BusMessage;
import io.tedge.broker.journal.Journal;

/** Acknowledged means durable: kill -9 of the container at random moments loses no acknowledged message. */
class DurabilityIT {
    /** CONNECT, MQTT 3.1.1, persistent session (flags 0), keep alive 60, client id "dup-client", as literal bytes. */
    static final byte[] CONNECT_DUP_CLIENT = {0x10, 22, 0, 4, 'M', 'Q', 'T', 'T', 4, 0, 0, 60, 0, 10, 'd', 'u', 'p', '-', 'c', 'l', 'i', 'e', 'n', 't'};

    @TempDir
    Path dir;

    /** One pipelined QoS 1 publisher that records every id it got a PUBACK for. */
    static final class Publisher implements Runnable {
        final int index;
        final int port;
        final Set<String> acked;
        final AtomicBoolean stop = new AtomicBoolean();
        final String topic;
        final String prefix;
        int next;

        Publisher(int index, int port, Set<String> acked, int next) {
            this(index, port, acked, next, "kill/" + index, "p" + index + "-");
        }

        /** Publishes {@code prefix + n} on {@code topic}, n counting up from {@code next}. */
        Publisher(int index, int port, Set<String> acked, int next, String topic, String prefix) {
            this.index = index;
            this.port = port;
            this.acked = acked;
            this.next = next;
            this.topic = topic;
            this.prefix = prefix;
        }

        @Override
        public void run() {
            MqttAsyncClient c = null;
            try {
                c = new MqttAsyncClient("tcp://127.0.0.1:" + port, "killer-" + index + "-" + System.nanoTime(), new MemoryPersistence());
                MqttConnectOptions o = new MqttConnectOptions();
                o.setMaxInflight(100);
                o.setConnectionTimeout(2);
                while (!stop.get()) {
                    try {
                        c.connect(o).waitForCompletion(3000);
                        break;
                    } catch (MqttException e) {
                        Thread.sleep(20); // the container is (re)starting
                    }
                }
                IMqttActionListener onAck = new IMqttActionListener() {
                    @Override
                    public void onSuccess(IMqttToken t) {
                        acked.add((String) t.getUserContext());
                    }

                    @Override
                    public void onFailure(IMqttToken t, Throwable e) {
                    }
                };
                while (!stop.get() && c.isConnected()) {
                    String id = prefix + next;
                    try {
                        c.publish(topic, id.getBytes(StandardCharsets.UTF_8), 1, false, id, onAck);
                        next++;
                    } catch (MqttException e) {
                        if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT) break;
                        Thread.onSpinWait();
                    }
                }
            } catch (Exception e) {
                // killed under our feet: expected
            } finally {
                if (c != null) {
                    try {
                        c.disconnectForcibly(100, 100);
                    } catch (MqttException e) {
                        // gone
                    }
                    try {
                        c.close(true);
                    } catch (MqttException e) {
                        // gone
                    }
                }
            }
        }
    }

    static Set<String> journaled(Path cfg) throws Exception {
        Set<String> ids = new HashSet<>();
        try (Journal j = Journal.open(cfg.resolve("data/journal"), 128L << 20, false)) {
            io.tedge.broker.journal.JournalReader r = j.reader(0);
            BusMessage m;
            while ((m = r.next()) != null) {
                if (m.topic().startsWith("kill/")) ids.add(m.text());
            }
        }
        return ids;
    }

    @Test
    void killNineAtRandomMomentsLosesNoAcknowledgedMessage() throws Exception {
        Path cfg = dir.resolve("cfg");
        Agent agent = new Agent(cfg);
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Random rnd = new Random(20261125);
        int[] next = new int[3];
        int cycles = 8;
        for (int cycle = 0; cycle < cycles; cycle++) {
            agent.start();
            boolean duringStartup = cycle % 4 == 0;
            List<Publisher> pubs = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            if (!duringStartup) {
                agent.awaitPort(agent.port, Duration.ofSeconds(30));
                for (int i = 0; i < 3; i++) {
                    Publisher p = new Publisher(i, agent.port, acked, next[i]);
                    pubs.add(p);
                    Thread t = new Thread(p, "publisher-" + i);
                    threads.add(t);
                    t.start();
                }
            }
            Thread.sleep(duringStartup ? 100 + rnd.nextInt(600) : 300 + rnd.nextInt(1200));
            agent.kill();
            for (Publisher p : pubs) p.stop.set(true);
            for (Thread t : threads) t.join(10_000);
            for (int i = 0; i < pubs.size(); i++) next[i] = pubs.get(i).next;
            // a reader of the journal after the crash sees every acknowledged id
            Set<String> inJournal = journaled(cfg);
            Set<String> missing = new HashSet<>(acked);
            missing.removeAll(inJournal);
            assertThat(missing).as("acknowledged but lost after kill -9 #" + cycle + " (" + acked.size() + " acknowledged so far)").isEmpty();
        }
        System.out.printf("kill -9 loop: %d cycles, %d acknowledged QoS 1 messages, none lost%n", cycles, acked.size());
        assertThat(acked.size()).as("the publishers got through").isGreaterThan(1000);
        // and the container still starts and serves after all that
        try (Agent last = new Agent(cfg, agent.port).startAndWait()) {
            assertThat(last.tedge("mqtt", "pub", "-q", "1", "kill/after", "fine").code()).isZero();
        }
    }

    @Test
    void aClientResendingWithDupAfterARestartIsServed() throws Exception {
        Path cfg = dir.resolve("dup");
        Agent agent = new Agent(cfg).startAndWait();
        try (Socket s = new Socket("127.0.0.1", agent.port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(CONNECT_DUP_CLIENT);
            out.flush();
            assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x00, 0x00); // CONNACK, no session present
        }
        agent.kill();
        try (Agent again = new Agent(cfg, agent.port).startAndWait()) {
            Process sub = new ProcessBuilder("mosquitto_sub", "-h", "127.0.0.1", "-p", Integer.toString(again.port), "-t", "dup/#", "-C", "1",
                    "-W", "20").redirectErrorStream(true).start();
            Thread.sleep(0);
            try (Socket s = new Socket("127.0.0.1", again.port)) {
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write(CONNECT_DUP_CLIENT);
                out.flush();
                assertThat(in.readNBytes(4)).containsExactly(0x20, 0x02, 0x01, 0x00); // CONNACK, session present
                // wait until mosquitto_sub is subscribed, then resend with DUP until it is seen
                long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
                int id = 1;
                while (sub.isAlive() && System.nanoTime() < deadline) {
                    // PUBLISH, DUP + QoS 1 (0x3a), "dup/resent", packet id, "again"
                    out.write(new byte[] {0x3a, 19, 0, 10, 'd', 'u', 'p', '/', 'r', 'e', 's', 'e', 'n', 't', (byte) (id >> 8), (byte) id, 'a', 'g', 'a', 'i', 'n'});
                    out.flush();
                    assertThat(in.readNBytes(4)).containsExactly(0x40, 0x02, id >> 8, id & 0xff); // PUBACK
                    id = id % 65535 + 1;
                    sub.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS);
                }
            }
            assertThat(sub.isAlive()).isFalse();
            assertThat(new String(sub.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim()).isEqualTo("again");
            assertThat(again.tedge("mqtt", "pub", "-q", "1", "dup/other", "still serving").code()).isZero();
        }
    }
}
