package io.tedge.bench;

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;

import com.sun.net.httpserver.HttpServer;

/**
 * A load run, not a test: the RSS one REST client costs in a JVM that already has TLS set up (as
 * the container has for its cloud links), 20 GETs to a local HTTP server; the JDK's
 * {@code java.net.http.HttpClient} against {@code HttpURLConnection}, which the c8y bundle uses.
 * Run each mode in its own JVM with the container's heap flags, e.g.
 *
 * <pre>for m in none httpclient urlconnection; do
 *   java -XX:+UseSerialGC -Xms8m -Xmx96m -Xmn3m -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 \
 *     -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=5 -Xss512k -cp target/test-classes io.tedge.bench.HttpClientCost $m
 * done</pre>
 */
public final class HttpClientCost {
    private HttpClientCost() {
    }

    static long rssKib() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return -1;
    }

    public static void main(String[] a) throws Exception {
        String mode = a.length > 0 ? a[0] : "none";
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            byte[] b = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            try (var out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/x");
        // the server's own first-request costs paid beforehand, with a raw request
        for (int i = 0; i < 3; i++) {
            try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), server.getAddress().getPort())) {
                s.getOutputStream().write("GET /x HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getInputStream().readAllBytes();
            }
        }
        // TLS set up beforehand, as in the container
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new TrustManager[0], null);
        SSLEngine e = tls.createSSLEngine();
        e.setUseClientMode(true);
        e.beginHandshake();
        System.gc();
        Thread.sleep(500);
        long before = rssKib();
        HttpClient client = null;
        int status = 0;
        for (int i = 0; i < 20; i++) {
            switch (mode) {
                case "httpclient" -> {
                    if (client == null) client = HttpClient.newBuilder().sslContext(tls).version(HttpClient.Version.HTTP_1_1).build();
                    status = client.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode();
                }
                case "urlconnection" -> {
                    HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection(Proxy.NO_PROXY);
                    status = c.getResponseCode();
                    try (InputStream in = c.getInputStream()) {
                        in.readAllBytes();
                    }
                }
                default -> {
                }
            }
        }
        System.gc();
        Thread.sleep(1000);
        long after = rssKib();
        System.out.printf("%s: %+d KiB RSS for 20 GETs (status %d)%n", mode, after - before, status);
        server.stop(0);
    }
}
