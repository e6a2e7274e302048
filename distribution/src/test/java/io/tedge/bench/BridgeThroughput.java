package io.tedge.bench;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.C8yMqttStandIn;
import io.tedge.testkit.Mosquitto;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * A load run, not a test: end-to-end QoS 1 throughput from the local broker to the Cumulocity
 * stand-in (TLS, device certificate), through tedge's bridge, and through thin-edge.io's own
 * transport on the same machine in the same run: Debian's mosquitto bridged to the same stand-in
 * with the c8y topic lines `tedge connect c8y` writes (cleansession false). Counts from the first
 * local publish to the last message seen by the stand-in, and reports messages that never arrived
 * (mosquitto's bridge queue holds 1000 messages by default and drops the rest of a burst).
 *
 * <pre>java -cp ... io.tedge.bench.BridgeThroughput DIST_HOME MESSAGES ROUNDS</pre>
 *
 * Also prints the CPU time per message of the container and of mosquitto. Options:
 * {@code -Dbench.inflight=N} sets {@code bridge.inflight}; {@code -Dbench.mosquitto.keepall=true}
 * adds {@code max_queued_messages 0} to mosquitto's configuration (no limit: it drops nothing);
 * {@code -Dbench.warmup=N} sends N messages through each before the measured rounds (default
 * min(MESSAGES, 2000); the JVM compiles the hot paths only after some tens of thousands).
 */
public final class BridgeThroughput {
    private BridgeThroughput() {
    }

    static final java.util.Map<String, Long> LOST = new java.util.concurrent.ConcurrentHashMap<>();

    static int run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) throw new IllegalStateException("timeout: " + cmd);
        if (p.exitValue() != 0) throw new IllegalStateException(cmd + " failed:\n" + out);
        return 0;
    }

    static int freePort() throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static void awaitPort(int port) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < end) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException e) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("nothing on port " + port);
    }

    /** CPU time (user + system) of a process so far, in ms, from /proc/PID/stat (100 ticks a second). */
    static long cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
        } catch (java.io.IOException e) {
            return 0;
        }
    }

    /** Publishes n QoS 1 messages with a window of 100 and waits until the stand-in has them all; msg/s. */
    static double load(C8yMqttStandIn cloud, int port, int n, String tag) throws Exception {
        String prefix = "200,c8y_Counter," + tag + ",";
        MqttAsyncClient c = new MqttAsyncClient("tcp://127.0.0.1:" + port, "bench-" + tag, new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setMaxInflight(100);
        c.connect(o).waitForCompletion(10_000);
        Semaphore window = new Semaphore(100);
        IMqttActionListener l = new IMqttActionListener() {
            public void onSuccess(IMqttToken t) {
                window.release();
            }

            public void onFailure(IMqttToken t, Throwable e) {
                window.release();
            }
        };
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            window.acquire();
            c.publish("c8y/s/us", (prefix + i).getBytes(StandardCharsets.UTF_8), 1, false, null, l);
        }
        // wait for all of them, or until nothing more arrives for 5 s (a bridge that drops messages)
        long got = 0;
        long lastChange = System.nanoTime();
        long lastArrival = lastChange;
        // counted incrementally (the stand-in's list only grows): a full scan every poll cost the
        // bench's JVM more CPU with each round, taken from the two cores the bridges run on
        java.util.Set<String> seen = new java.util.HashSet<>();
        int scanned = 0;
        while (got < n && System.nanoTime() - lastChange < TimeUnit.SECONDS.toNanos(5)) {
            // only what is new (a copy of every line so far, every 5 ms, took more CPU with each
            // round), as soon as it is there
            List<C8yMqttStandIn.SmartRestLine> lines = cloud.smartRestLines(scanned, Duration.ofMillis(200));
            for (C8yMqttStandIn.SmartRestLine line : lines) {
                if (line.line().startsWith(prefix)) seen.add(line.line());
            }
            scanned += lines.size();
            long now = seen.size();
            if (now != got) {
                got = now;
                lastChange = System.nanoTime();
                lastArrival = lastChange;
            }
        }
        long ns = lastArrival - t0;
        c.disconnect().waitForCompletion(5000);
        c.close();
        if (got != n) {
            System.out.printf("%s: only %d of %d messages reached the cloud%n", tag, got, n);
            LOST.merge(tag.replaceAll("\\d+$", ""), n - got, Long::sum);
        }
        return got / (ns / 1e9);
    }

    public static void main(String[] a) throws Exception {
        Path home = Path.of(a[0]).toAbsolutePath();
        int n = Integer.parseInt(a[1]);
        int rounds = Integer.parseInt(a[2]);
        Path dir = Files.createTempDirectory("bench-bridge");
        TestPki pki = TestPki.create("bench-c8y-ca");
        LiveTrust trust = new LiveTrust();
        try (C8yMqttStandIn cloud = C8yMqttStandIn.start(pki, trust); C8yHttpStandIn rest = C8yHttpStandIn.start(pki, trust, "pw")) {
            Path ca = pki.writeCaPem(dir.resolve("ca.pem"));
            Path cfg = dir.resolve("cfg");
            int port = freePort();
            String tedge = home.resolve("bin/tedge").toString();
            Map<String, String> env = Map.of("C8YPASS", "pw");
            for (String[] kv : new String[][] {{"mqtt.port", Integer.toString(port)}, {"c8y.url", "localhost"}, {"c8y.mqtt", cloud.hostPort()},
                    {"c8y.http", rest.hostPort()}, {"c8y.root.cert.path", ca.toString()},
                    {"bridge.inflight", System.getProperty("bench.inflight", "100")}}) {
                run(List.of(tedge, "--config-dir", cfg.toString(), "config", "set", kv[0], kv[1]), env);
            }
            run(List.of(tedge, "--config-dir", cfg.toString(), "cert", "create", "--device-id", "dev-bench"), env);
            run(List.of(tedge, "--config-dir", cfg.toString(), "cert", "upload", "c8y", "--user", "admin"), env);

            // ours
            Process agent = new ProcessBuilder(home.resolve("bin/tedged").toString(), "--config-dir", cfg.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("agent.log").toFile()).start();
            awaitPort(port);
            run(List.of(tedge, "--config-dir", cfg.toString(), "connect", "c8y"), env);

            // mosquitto, bridged as thin-edge.io does it
            int mport = freePort();
            Path certs = cfg.resolve("device-certs");
            List<String> conf = new ArrayList<>(List.of("user " + System.getProperty("user.name"), "listener " + mport + " 127.0.0.1", "allow_anonymous true", "persistence false",
                    "connection edge_to_c8y", "address " + cloud.hostPort(), "bridge_cafile " + ca, "remote_clientid dev-bench",
                    "bridge_certfile " + certs.resolve("tedge-certificate.pem"), "bridge_keyfile " + certs.resolve("tedge-private-key.pem"),
                    "try_private false", "start_type automatic", "cleansession false", "notifications false", "bridge_attempt_unsubscribe false"));
            for (String t : List.of("s/us", "t/us", "q/us", "c/us", "s/uat", "measurement/measurements/create")) conf.add("topic " + t + " out 1 c8y/ \"\"");
            for (String t : List.of("s/ds", "s/dat", "s/e")) conf.add("topic " + t + " in 1 c8y/ \"\"");
            // -Dbench.mosquitto.keepall=true: mosquitto told to queue without limit, so that it loses nothing either
            if (Boolean.getBoolean("bench.mosquitto.keepall")) conf.add(1, "max_queued_messages 0");
            Files.write(dir.resolve("mosquitto.conf"), conf);

            List<Double> ours = new ArrayList<>();
            List<Double> theirs = new ArrayList<>();
            double theirsCpu = 0;
            int warm = Integer.getInteger("bench.warmup", Math.min(n, 2000));
            load(cloud, port, warm, "warm-ours");
            // ours, mosquitto, ours again: this JVM (publisher and stand-in, about a core) gets faster as it
            // runs, so whichever went second had a faster load generator; half of ours now runs after mosquitto
            long cpu0 = cpuMillis(agent.pid());
            for (int r = 0; r < rounds; r++) {
                ours.add(load(cloud, port, n, "ours" + r));
            }
            long oursCpuMs = cpuMillis(agent.pid()) - cpu0;
            run(List.of(tedge, "--config-dir", cfg.toString(), "disconnect", "c8y"), env);
            cloud.awaitDisconnected("dev-bench", Duration.ofSeconds(30));
            Process mosquitto = new ProcessBuilder(Mosquitto.binary().toString(), "-c", dir.resolve("mosquitto.conf").toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
            try {
                awaitPort(mport);
                cloud.awaitConnected("dev-bench", Duration.ofSeconds(30));
                load(cloud, mport, warm, "warm-mosquitto");
                long mcpu0 = cpuMillis(mosquitto.pid());
                for (int r = 0; r < rounds; r++) {
                    theirs.add(load(cloud, mport, n, "mosquitto" + r));
                }
                theirsCpu = (cpuMillis(mosquitto.pid()) - mcpu0) * 1000.0 / ((double) n * rounds);
            } finally {
                mosquitto.destroy();
                mosquitto.waitFor(10, TimeUnit.SECONDS);
            }
            cloud.awaitDisconnected("dev-bench", Duration.ofSeconds(30));
            run(List.of(tedge, "--config-dir", cfg.toString(), "connect", "c8y"), env);
            cpu0 = cpuMillis(agent.pid());
            for (int r = 0; r < rounds; r++) {
                ours.add(load(cloud, port, n, "ours" + (rounds + r)));
            }
            oursCpuMs += cpuMillis(agent.pid()) - cpu0;
            double oursCpu = oursCpuMs * 1000.0 / (2.0 * n * rounds);
            agent.destroy();
            agent.waitFor(20, TimeUnit.SECONDS);
            String oursInOrder = fmt(ours.subList(0, rounds)) + " then " + fmt(ours.subList(rounds, ours.size()));
            ours.sort(null);
            theirs.sort(null);
            double o = median(ours);
            double m = median(theirs);
            System.out.printf("QoS 1 local -> c8y stand-in (TLS), %d msgs x %d rounds (tedge: %d before and %d after mosquitto's): tedge bridge median %.0f msg/s %s lost %d, mosquitto bridge median %.0f msg/s %s lost %d, ratio %.2f%n",
                    n, rounds, rounds, rounds, o, oursInOrder, LOST.getOrDefault("ours", 0L), m, fmt(theirs), LOST.getOrDefault("mosquitto", 0L), o / m);
            // the cost on the gateway: CPU of the whole container (broker, journal, bridge, TLS) and of mosquitto
            // (broker and bridge) per message offered, over the measured rounds
            System.out.printf("CPU per message: tedge container %.1f us, mosquitto %.1f us (of which it dropped %d)%n", oursCpu, theirsCpu,
                    LOST.getOrDefault("mosquitto", 0L));
        }
    }

    /** The median of a sorted list (the mean of the middle two for an even size). */
    static double median(List<Double> sorted) {
        int k = sorted.size();
        return k % 2 == 1 ? sorted.get(k / 2) : (sorted.get(k / 2 - 1) + sorted.get(k / 2)) / 2;
    }

    private static String fmt(List<Double> l) {
        StringBuilder sb = new StringBuilder("(");
        for (double d : l) sb.append(sb.length() > 1 ? " " : "").append(Math.round(d));
        return sb.append(")").toString();
    }
}
