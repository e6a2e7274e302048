package io.tedge.e2e;

import static io.tedge.bench.Packets.connect;
import static io.tedge.bench.Packets.packet;
import static io.tedge.bench.Packets.str;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded broker of the built container (96 MiB heap, as shipped) under abuse by local
 * clients: thousands of idle connections, a subscriber that never reads under 1 MiB messages,
 * random and mutated packets, oversize packets, silent clients, too many clients. After each, the
 * container is alive, never ran out of memory, and a well-behaved client is served.
 */
class AbuseIT {
    @TempDir
    static Path dir;
    static Agent agent;
    static final int MAX_CONNECTIONS = 2100;

    @BeforeAll
    static void start() throws Exception {
        Path cfg = dir.resolve("cfg");
        Agent a = new Agent(cfg);
        Files.writeString(cfg.resolve("tedge.toml"), "[mqtt]\nport = " + a.port + "\nmax_connections = " + MAX_CONNECTIONS + "\n");
        agent = a.startAndWait();
    }

    @AfterAll
    static void stop() throws Exception {
        if (agent != null) {
            agent.close();
            assertThat(agent.console()).doesNotContain("OutOfMemoryError");
        }
    }

    /** A Paho client that publishes QoS 1 and receives it back: the service every client keeps. */
    static void served(String why) throws Exception {
        BlockingQueue<String> got = new LinkedBlockingQueue<>();
        MqttClient c = new MqttClient("tcp://127.0.0.1:" + agent.port, "canary-" + System.nanoTime(), new MemoryPersistence());
        c.setTimeToWait(20_000);
        c.setCallback(new MqttCallback() {
            public void connectionLost(Throwable cause) {
            }

            public void messageArrived(String topic, MqttMessage m) {
                got.add(new String(m.getPayload(), StandardCharsets.UTF_8));
            }

            public void deliveryComplete(IMqttDeliveryToken t) {
            }
        });
        MqttConnectOptions o = new MqttConnectOptions();
        o.setConnectionTimeout(20);
        try {
            c.connect(o);
            c.subscribe("canary/echo", 1);
            c.publish("canary/echo", why.getBytes(StandardCharsets.UTF_8), 1, false);
            assertThat(got.poll(20, TimeUnit.SECONDS)).as("a well-behaved client is served " + why).isEqualTo(why);
            c.disconnect();
        } finally {
            c.close(true);
        }
        assertThat(agent.process().isAlive()).isTrue();
    }

    static long rssKiB(Process p) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }

    /** The names of the process's threads (as the kernel keeps them: the first 15 bytes). */
    static List<String> threadNames(Process p) throws IOException {
        List<String> names = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/" + p.pid() + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    names.add(Files.readString(t.resolve("comm")).trim());
                } catch (IOException e) {
                    // the thread ended meanwhile
                }
            }
        }
        return names;
    }

    @Test
    void twoThousandIdleClientsAndTheConnectionLimit() throws Exception {
        long before = rssKiB(agent.process());
        List<String> threadsBefore = threadNames(agent.process());
        List<Socket> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 2000; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress("127.0.0.1", agent.port), 10_000);
                s.setSoTimeout(20_000);
                s.getOutputStream().write(connect("idle-" + i, 0));
                idle.add(s);
            }
            for (Socket s : idle) assertThat(s.getInputStream().readNBytes(4)).containsExactly(0x20, 2, 0, 0);
            long after = rssKiB(agent.process());
            System.out.printf("2000 idle clients: RSS %d -> %d KiB (%d bytes per client)%n", before, after, (after - before) * 1024 / 2000);
            // connections cost buffers, not threads (a few may come and go: pools, the canary)
            assertThat(threadNames(agent.process()).size()).as("threads with 2000 idle clients").isLessThanOrEqualTo(threadsBefore.size() + 4);
            served("with 2000 idle clients");
            // up to the limit (the canary's slot is free again), then CONNACK 3
            List<Socket> more = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                Socket s = new Socket("127.0.0.1", agent.port);
                s.setSoTimeout(20_000);
                s.getOutputStream().write(connect("extra-" + more.size(), 0));
                byte[] ack = s.getInputStream().readNBytes(4);
                more.add(s);
                if (ack[3] == 3) break;
                assertThat(ack).containsExactly(0x20, 2, 0, 0);
            }
            idle.addAll(more);
            // (the canary's slot may still be counted for a moment)
            assertThat(more.size()).as("connections accepted up to the limit, then one refused").isBetween(MAX_CONNECTIONS - 2000, MAX_CONNECTIONS - 2000 + 1);
            Socket refused = more.get(more.size() - 1);
            assertThat(refused.getInputStream().read()).as("closed after CONNACK 3").isEqualTo(-1);
            // the clients already connected are not affected
            OutputStream o = idle.get(0).getOutputStream();
            o.write(new byte[] {(byte) 0xc0, 0});
            assertThat(idle.get(0).getInputStream().readNBytes(2)).containsExactly(0xd0, 0);
        } finally {
            for (Socket s : idle) s.close();
        }
        Agent.await("the log line of the connection limit", Duration.ofSeconds(10), () -> {
            try {
                return agent.console().contains("Connection limit reached (mqtt.max_connections = " + MAX_CONNECTIONS + ")");
            } catch (IOException e) {
                return false;
            }
        });
        served("after 2000 idle clients left");
    }

    @Test
    void aSubscriberThatNeverReadsWhile300MiBArrive() throws Exception {
        Socket lazy = new Socket();
        lazy.setReceiveBufferSize(8192);
        lazy.connect(new InetSocketAddress("127.0.0.1", agent.port));
        lazy.getOutputStream().write(connect("never-reads", 0));
        lazy.getOutputStream().write(packet(0x82, new byte[] {0, 1}, str("big/#"), new byte[] {0}));
        try {
            MqttClient pub = new MqttClient("tcp://127.0.0.1:" + agent.port, "big-publisher", new MemoryPersistence());
            pub.setTimeToWait(30_000);
            pub.connect();
            byte[] mib = new byte[1 << 20];
            for (int i = 0; i < 300; i++) pub.publish("big/x", mib, 0, false);
            assertThat(pub.isConnected()).as("the publisher stays connected").isTrue();
            pub.publish("big/done", "done".getBytes(StandardCharsets.UTF_8), 1, false); // acknowledged
            pub.disconnect();
            pub.close();
            served("while a subscriber never reads");
        } finally {
            lazy.close();
        }
    }

    @Test
    void a100000RandomAndMutatedPacketsFromManyConnections() throws Exception {
        Random rnd = new Random(8_2026);
        List<byte[]> corpus = List.of(
                packet(0x30, str("a/b"), "zero".getBytes(StandardCharsets.UTF_8)),
                packet(0x32, str("a/b"), new byte[] {0, 1}, "one".getBytes(StandardCharsets.UTF_8)),
                packet(0x34, str("a/c"), new byte[] {0, 2}, "two".getBytes(StandardCharsets.UTF_8)),
                packet(0x31, str("r/x"), "retained".getBytes(StandardCharsets.UTF_8)),
                packet(0x82, new byte[] {0, 3}, str("a/#"), new byte[] {1}, str("+/+"), new byte[] {2}),
                packet(0xa2, new byte[] {0, 4}, str("a/#")),
                new byte[] {(byte) 0xc0, 0}, new byte[] {0x40, 2, 0, 1}, new byte[] {0x50, 2, 0, 2}, new byte[] {0x62, 2, 0, 2},
                new byte[] {0x70, 2, 0, 2}, new byte[] {(byte) 0xe0, 0},
                connect("fuzz-again", 5));
        AtomicLong sent = new AtomicLong();
        int threads = 8;
        List<Thread> workers = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < threads; t++) {
            long seed = rnd.nextLong();
            Thread w = new Thread(() -> {
                Random r = new Random(seed);
                int conn = 0;
                while (sent.get() < 100_000) {
                    try (Socket s = new Socket("127.0.0.1", agent.port)) {
                        s.setSoTimeout(2000);
                        OutputStream out = s.getOutputStream();
                        InputStream in = s.getInputStream();
                        out.write(r.nextInt(10) == 0 ? mutate(connect("fuzz-" + seed + "-" + conn, 5), r) : connect("fuzz-" + seed + "-" + conn, 5));
                        conn++;
                        int n = 1 + r.nextInt(200);
                        ByteArrayOutputStream batch = new ByteArrayOutputStream();
                        for (int i = 0; i < n; i++) {
                            int kind = r.nextInt(10);
                            byte[] p = corpus.get(r.nextInt(corpus.size()));
                            batch.writeBytes(kind < 5 ? p : kind < 9 ? mutate(p, r) : random(r));
                        }
                        sent.addAndGet(n);
                        out.write(batch.toByteArray());
                        out.flush();
                        s.shutdownOutput(); // the broker sees the end: no waiting for a packet that never completes
                        // read whatever comes back until the broker closes or is quiet
                        byte[] sink = new byte[8192];
                        try {
                            while (in.read(sink) >= 0) {
                                // drain
                            }
                        } catch (IOException e) {
                            // quiet (timeout) or reset: both fine
                        }
                    } catch (IOException e) {
                        // refused or reset: fine, go on
                    } catch (RuntimeException e) {
                        errors.add(e);
                        return;
                    }
                }
            }, "fuzz-" + t);
            workers.add(w);
            w.start();
        }
        for (Thread w : workers) w.join(600_000);
        assertThat(errors).isEmpty();
        assertThat(sent.get()).isGreaterThanOrEqualTo(100_000);
        System.out.printf("fuzz: %d random and mutated packets sent%n", sent.get());
        served("after 100 000 random and mutated packets");
        assertThat(agent.console()).doesNotContain("OutOfMemoryError").doesNotContain("Unexpected error");
    }

    static byte[] mutate(byte[] p, Random r) {
        byte[] m = p.clone();
        switch (r.nextInt(5)) {
            case 0 -> m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));           // a flipped bit
            case 1 -> m[Math.min(1, m.length - 1)] = (byte) r.nextInt(256);          // a wrong remaining length
            case 2 -> m = java.util.Arrays.copyOf(m, r.nextInt(m.length) + 1);       // cut short
            case 3 -> m[0] = (byte) r.nextInt(256);                                  // another type or flags
            default -> {
                byte[] longer = java.util.Arrays.copyOf(m, m.length + 1 + r.nextInt(16)); // trailing garbage
                for (int i = m.length; i < longer.length; i++) longer[i] = (byte) r.nextInt(256);
                m = longer;
            }
        }
        return m;
    }

    static byte[] random(Random r) {
        byte[] b = new byte[1 + r.nextInt(64)];
        r.nextBytes(b);
        return b;
    }

    @Test
    void oversizePacketsAndSilentClientsAreClosed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", agent.port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(connect("oversize", 0));
            assertThat(s.getInputStream().readNBytes(4)).containsExactly(0x20, 2, 0, 0);
            // a PUBLISH announcing 200 MB (remaining length ff ff ff 5f): closed on its header
            s.getOutputStream().write(new byte[] {0x30, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x5f, 0, 1, 'x'});
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket s = new Socket("127.0.0.1", agent.port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(connect("silent", 1)); // keep alive 1 s, then nothing
            assertThat(s.getInputStream().readNBytes(4)).containsExactly(0x20, 2, 0, 0);
            long t0 = System.nanoTime();
            assertThat(s.getInputStream().read()).as("closed after 1.5 x keep alive").isEqualTo(-1);
            System.out.printf("keep alive 1 s: closed after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
        served("after oversize and silent clients");
    }
}
