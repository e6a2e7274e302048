package io.tedge.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.tedge.broker.journal.Journal;
import io.tedge.broker.mqtt.Broker;
import io.tedge.broker.mqtt.MqttServer;

/**
 * A load run, not a test: the cost of routing one publish with 20 and with 20 000 subscriptions
 * (MQTT clients with 100 filters each, thin-edge.io-like topics, exact and wildcard), measured
 * in-process on the broker core (QoS 0 to a topic one filter matches).
 *
 * <pre>java -cp ... io.tedge.bench.RoutingBench [PUBLISHES=200000]</pre>
 */
public final class RoutingBench {
    private RoutingBench() {
    }

    static double run(int filters, int publishes) throws Exception {
        Path dir = Files.createTempDirectory("tedge-routing");
        try (Journal j = Journal.open(dir.resolve("journal"), 64 << 20, false)) {
            Broker b = new Broker(j, dir.resolve("state"), Broker.Settings.defaults());
            MqttServer s = MqttServer.start(b, "127.0.0.1", 0);
            List<Socket> clients = new ArrayList<>();
            int perClient = Math.min(100, filters);
            for (int c = 0; c * perClient < filters; c++) {
                Socket sock = new Socket("127.0.0.1", s.port());
                OutputStream out = sock.getOutputStream();
                InputStream in = sock.getInputStream();
                out.write(Packets.connect("sub-" + c, 0));
                in.readNBytes(4);
                List<byte[]> parts = new ArrayList<>();
                parts.add(new byte[] {0, 1});
                for (int f = 0; f < perClient; f++) {
                    int n = c * perClient + f;
                    String filter = switch (n % 4) {
                        case 0 -> "te/device/child" + n + "///m/+";
                        case 1 -> "te/device/child" + n + "/#";
                        case 2 -> "c8y/s/ds/child" + n;
                        default -> "tedge/child" + n + "/commands/req/+/+";
                    };
                    parts.add(Packets.str(filter));
                    parts.add(new byte[] {0});
                }
                out.write(Packets.packet(0x82, parts.toArray(new byte[0][])));
                in.readNBytes(2 + 2 + perClient + (2 + 2 + perClient > 127 ? 1 : 0));
                clients.add(sock);
            }
            byte[] payload = "{\"temperature\": 21.5}".getBytes(StandardCharsets.UTF_8);
            // warm-up, then measure: a topic that one filter of the first client matches
            for (int i = 0; i < publishes / 4; i++) b.publish("te/device/child4///m/env", payload, 0, false);
            long t0 = System.nanoTime();
            for (int i = 0; i < publishes; i++) b.publish("te/device/child4///m/env", payload, 0, false);
            double us = (System.nanoTime() - t0) / 1000.0 / publishes;
            for (Socket c : clients) c.close();
            s.close();
            b.close();
            return us;
        }
    }

    public static void main(String[] a) throws Exception {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 200_000;
        // sub-microsecond figures: the first run of a JVM is slower whichever size it has, so one run
        // of each is not counted, then 20 and 20 000 alternate and the medians are compared
        run(20, n);
        run(20_000, n);
        double[] small = new double[5];
        double[] large = new double[5];
        for (int i = 0; i < 5; i++) {
            small[i] = run(20, n);
            large[i] = run(20_000, n);
        }
        java.util.Arrays.sort(small);
        java.util.Arrays.sort(large);
        System.out.printf("routing one publish: %.2f us with 20 filters, %.2f us with 20 000 filters, medians of 5 alternated runs (ratio %.2f; %s vs %s)%n",
                small[2], large[2], large[2] / small[2], fmt(small), fmt(large));
    }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double d : v) sb.append(sb.length() == 0 ? "" : " ").append(String.format("%.2f", d));
        return sb.toString();
    }
}
