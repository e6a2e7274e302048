package io.tedge.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import io.tedge.testkit.AzMqttStandIn;
import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.C8yMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * A load run, not a test: what the built container costs at rest. RSS with 0, 1 000 and 2 000
 * idle MQTT clients; RSS with Cumulocity and Azure connected (the stand-ins); and the bytes it
 * writes to storage (/proc/PID/io write_bytes, logs included) over an idle period with c8y
 * connected and a persistent local session subscribed.
 *
 * <pre>java -cp ... io.tedge.bench.IdleBench DIST_HOME [IDLE_SECONDS=60]</pre>
 */
public final class IdleBench {
    private IdleBench() {
    }

    static long status(long pid, String key) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (l.startsWith(key + ":")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }

    static long writeBytes(long pid) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/io"))) {
            if (l.startsWith("write_bytes:")) return Long.parseLong(l.substring(12).trim());
        }
        return -1;
    }

    static void settle() throws Exception {
        Thread.sleep(5000);
    }

    public static void main(String[] a) throws Exception {
        Path home = Path.of(a[0]).toAbsolutePath();
        int idleSeconds = a.length > 1 ? Integer.parseInt(a[1]) : 60;
        Path dir = Files.createTempDirectory("tedge-idle");
        TestPki pki = TestPki.create("bench-ca");
        LiveTrust trust = new LiveTrust();
        try (C8yMqttStandIn cloud = C8yMqttStandIn.start(pki, trust); C8yHttpStandIn rest = C8yHttpStandIn.start(pki, trust, "pw");
             AzMqttStandIn hub = AzMqttStandIn.start(pki, trust)) {
            Path ca = pki.writeCaPem(dir.resolve("ca.pem"));
            Path cfg = dir.resolve("cfg");
            int port = BridgeThroughput.freePort();
            String tedge = home.resolve("bin/tedge").toString();
            Map<String, String> env = Map.of("C8YPASS", "pw");
            for (String[] kv : new String[][] {{"mqtt.port", Integer.toString(port)}, {"mqtt.max_connections", "2100"}, {"c8y.url", "localhost"},
                    {"c8y.mqtt", cloud.hostPort()}, {"c8y.http", rest.hostPort()}, {"c8y.root.cert.path", ca.toString()},
                    {"az.url", "bench.azure-devices.net"}, {"az.mqtt", hub.hostPort()}, {"az.root.cert.path", ca.toString()}}) {
                BridgeThroughput.run(List.of(tedge, "--config-dir", cfg.toString(), "config", "set", kv[0], kv[1]), env);
            }
            BridgeThroughput.run(List.of(tedge, "--config-dir", cfg.toString(), "cert", "create", "--device-id", "dev-idle"), env);
            BridgeThroughput.run(List.of(tedge, "--config-dir", cfg.toString(), "cert", "upload", "c8y", "--user", "admin"), env);
            try (InputStream in = Files.newInputStream(cfg.resolve("device-certs/tedge-certificate.pem"))) {
                hub.registerDevice("dev-idle", (X509Certificate)
                        CertificateFactory.getInstance("X.509").generateCertificate(in));
            }

            Process agent = new ProcessBuilder(home.resolve("bin/tedged").toString(), "--config-dir", cfg.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("agent.log").toFile()).start();
            long pid = agent.pid();
            BridgeThroughput.awaitPort(port);
            settle();
            long rss0 = status(pid, "VmRSS");
            System.out.printf("container RSS, idle, no cloud, 0 clients: %d KiB (%.1f MiB)%n", rss0, rss0 / 1024.0);
            List<Socket> idle = new ArrayList<>();
            long[] rssAt = new long[3];
            rssAt[0] = rss0;
            for (int step = 1; step <= 2; step++) {
                int first = idle.size();
                while (idle.size() < step * 1000) {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                    OutputStream o = s.getOutputStream();
                    o.write(Packets.connect("idle-" + idle.size(), 0));
                    s.setSoTimeout(20_000);
                    idle.add(s);
                }
                for (Socket s : idle.subList(first, idle.size())) {
                    if (s.getInputStream().readNBytes(4).length < 4) throw new IllegalStateException("no CONNACK");
                }
                settle();
                rssAt[step] = status(pid, "VmRSS");
                System.out.printf("container RSS with %d idle clients: %d KiB (%+d KiB, %.1f KiB per client)%n", idle.size(), rssAt[step],
                        rssAt[step] - rss0, (rssAt[step] - rss0) / (double) idle.size());
            }
            for (Socket s : idle) s.close();
            idle.clear();
            // a fresh container for the connected figures: the heap grown by the clients above does not shrink
            agent.destroy();
            agent.waitFor(20, TimeUnit.SECONDS);
            agent = new ProcessBuilder(home.resolve("bin/tedged").toString(), "--config-dir", cfg.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("agent2.log").toFile()).start();
            pid = agent.pid();
            BridgeThroughput.awaitPort(port);

            BridgeThroughput.run(List.of(tedge, "--config-dir", cfg.toString(), "connect", "c8y"), env);
            BridgeThroughput.run(List.of(tedge, "--config-dir", cfg.toString(), "connect", "az"), env);
            // a persistent local session, as a device application keeps one
            MqttClient app = new MqttClient("tcp://127.0.0.1:" + port, "idle-app", new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(false);
            o.setKeepAliveInterval(60);
            app.connect(o);
            app.subscribe("tedge/commands/#", 1);
            app.publish("tedge/measurements", "{\"temperature\": 21.5}".getBytes(StandardCharsets.UTF_8), 1, false);
            Thread.sleep(15_000); // let start-up writes (cursors, sessions, retained) happen
            long rssConnected = status(pid, "VmRSS");
            System.out.printf("container RSS with c8y and az connected, 1 persistent local session: %d KiB (%.1f MiB)%n", rssConnected,
                    rssConnected / 1024.0);
            long w0 = writeBytes(pid);
            long t0 = System.nanoTime();
            long since = System.currentTimeMillis();
            Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
            long w1 = writeBytes(pid);
            double minutes = (System.nanoTime() - t0) / 60e9;
            System.out.printf("idle writes with c8y and az connected and a persistent local session: %d bytes in %.1f min = %.1f KiB per minute%n",
                    w1 - w0, minutes, (w1 - w0) / 1024.0 / minutes);
            // the same RSS after the idle window: pools that grew during the start and the connect
            // (the framework's resolver threads, connection checks) have shrunk by then
            long rssLater = status(pid, "VmRSS");
            System.out.printf("container RSS with c8y and az connected, after %d s more idle: %d KiB (%.1f MiB), %d threads%n", idleSeconds,
                    rssLater, rssLater / 1024.0, status(pid, "Threads"));
            try (java.util.stream.Stream<Path> files = Files.walk(cfg)) {
                files.filter(Files::isRegularFile).forEach(f -> {
                    try {
                        if (Files.getLastModifiedTime(f).toMillis() >= since) System.out.printf("  written meanwhile: %s (%d bytes)%n", cfg.relativize(f), Files.size(f));
                    } catch (IOException e) {
                        // gone
                    }
                });
            }
            app.disconnect();
            app.close();
            agent.destroy();
            agent.waitFor(20, TimeUnit.SECONDS);
        }
    }
}
