package io.tedge.c8y.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.api.BusMessage;
import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.FakeBus;
import io.tedge.testkit.Json;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * The shared REST client's device-management calls against the HTTPS stand-in: the managed
 * object PUT (identity look-up, JWT), an event with a binary attachment, downloads with the JWT
 * only on the tenant's own host, bounds and retries.
 */
class C8yHttpTest {
    @TempDir
    Path dir;
    C8yHttpStandIn rest;
    FakeBus bus;
    C8yHttp http;
    HttpServer plain;
    final AtomicInteger tokens = new AtomicInteger();
    final List<String> plainAuth = new CopyOnWriteArrayList<>();
    final AtomicInteger plainStatus = new AtomicInteger(200);

    @BeforeEach
    void start() throws Exception {
        TestPki pki = TestPki.create("c8y-ca");
        rest = C8yHttpStandIn.start(pki, new LiveTrust(), "secret");
        rest.setTokenCheck(t -> t.equals("jwt-" + tokens.get()));
        Path roots = pki.writeCaPem(dir.resolve("roots.pem"));
        bus = new FakeBus().respond(m -> m.topic().equals("c8y/s/uat")
                ? List.of(BusMessage.of("c8y/s/dat", "71,jwt-" + tokens.incrementAndGet(), 1)) : List.of());
        Clock clock = Clock.fixed(Instant.parse("2023-01-02T03:04:05.678Z"), ZoneOffset.UTC);
        // as tedge.toml: c8y.url = localhost, c8y.http = 127.0.0.1:<port>
        http = new C8yHttp(bus, C8yHttp.Settings.of(Map.of("device.id", "dev1", "c8y.url", "localhost", "c8y.http", rest.hostPort(),
                "c8y.root.cert.path", roots.toString())), Duration.ofSeconds(2), clock, 10);
        plain = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        plain.createContext("/", ex -> {
            try (ex) {
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                plainAuth.add(auth == null ? "none" : auth);
                byte[] b = "plain file".getBytes(StandardCharsets.UTF_8);
                int status = plainStatus.get();
                ex.sendResponseHeaders(status, status == 200 ? b.length : -1);
                if (status == 200) {
                    try (OutputStream out = ex.getResponseBody()) {
                        out.write(b);
                    }
                }
            }
        });
        plain.start();
    }

    @AfterEach
    void stop() {
        rest.close();
        plain.stop(0);
    }

    @Test
    void updateDevicePutsOnTheDevicesManagedObjectWithTheToken() throws Exception {
        http.updateDevice("{\"c8y_SoftwareList\":[{\"name\":\"a\",\"version\":\"1::apt\",\"url\":\"\"}]}".getBytes(StandardCharsets.UTF_8));
        List<C8yHttpStandIn.Request> r = rest.requests();
        assertThat(r).extracting(q -> q.method() + " " + q.path())
                .containsExactly("GET /identity/externalIds/c8y_Serial/dev1", "PUT /inventory/managedObjects/" + rest.idOf("dev1"));
        assertThat(r.get(1).header("Authorization")).isEqualTo("Bearer jwt-1");
        assertThat(r.get(1).header("Content-Type")).isEqualTo("application/json");
        assertThat(rest.managedObject(rest.idOf("dev1")).get("c8y_SoftwareList").toString()).isEqualTo("[{name=a, version=1::apt, url=}]");
    }

    @Test
    void aManagedObjectGoneIsLookedUpAgainOnce() throws Exception {
        rest.setIdentities(id -> "555");
        http.updateDevice("{}".getBytes(StandardCharsets.UTF_8)); // the stand-in now knows 555
        rest.respondNext(404, "{\"error\":\"inventory/Not Found\"}");
        http.updateDevice("{\"k\":1}".getBytes(StandardCharsets.UTF_8));
        assertThat(rest.requests()).extracting(q -> q.method() + " " + q.path()).containsExactly(
                "GET /identity/externalIds/c8y_Serial/dev1", "PUT /inventory/managedObjects/555", "PUT /inventory/managedObjects/555",
                "GET /identity/externalIds/c8y_Serial/dev1", "PUT /inventory/managedObjects/555");
        assertThat(rest.managedObject("555").get("k")).hasToString("1");
    }

    @Test
    void aRefusedUpdateSaysWhatCumulocityAnswered() throws Exception {
        http.updateDevice("{}".getBytes(StandardCharsets.UTF_8));
        rest.respondNext(403, "{\"error\":\"security/Forbidden\",\"message\":\"Access is denied\"}");
        assertThatThrownBy(() -> http.updateDevice("{}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(C8yHttp.Refused.class)
                .hasMessage("Cumulocity refused the update of the device's managed object (PUT /inventory/managedObjects/" + rest.idOf("dev1")
                        + " answered 403): {\"error\":\"security/Forbidden\",\"message\":\"Access is denied\"}");
    }

    @Test
    void uploadEventBinaryCreatesTheEventThenAttachesTheContent() throws Exception {
        String url = http.uploadEventBinary("tedge-configuration-plugin", "tedge-configuration-plugin", "a = 1\n".getBytes(StandardCharsets.UTF_8));
        List<C8yHttpStandIn.Request> r = rest.requests();
        assertThat(r).extracting(q -> q.method() + " " + q.path()).containsExactly("GET /identity/externalIds/c8y_Serial/dev1",
                "POST /event/events", "POST /event/events/90001/binaries");
        Map<String, Object> event = Json.parseObject(r.get(1).body());
        assertThat(event).containsEntry("type", "tedge-configuration-plugin").containsEntry("text", "tedge-configuration-plugin")
                .containsEntry("time", "2023-01-02T03:04:05.678Z");
        assertThat(event.get("source").toString()).isEqualTo("{id=" + rest.idOf("dev1") + "}");
        assertThat(r.get(2).header("Content-Type")).isEqualTo("text/plain");
        assertThat(r.get(2).header("Accept")).isEqualTo("application/json");
        assertThat(r.get(2).header("Authorization")).isEqualTo("Bearer jwt-1");
        assertThat(url).isEqualTo("https://" + rest.hostPort() + "/event/events/90001/binaries");
        assertThat(new String(rest.binary("/event/events/90001/binaries"), StandardCharsets.UTF_8)).isEqualTo("a = 1\n");
    }

    @Test
    void theTokenGoesOnlyToTheTenantsOwnHostsOverHttps() throws Exception {
        assertThat(http.tenantUrl(URI.create("https://localhost/x"))).isTrue();
        assertThat(http.tenantUrl(URI.create("https://127.0.0.1:1/x"))).isTrue();
        assertThat(http.tenantUrl(URI.create("http://127.0.0.1/x"))).isFalse();
        assertThat(http.tenantUrl(URI.create("https://localhost.evil.example/x"))).isFalse();
        assertThat(http.tenantUrl(URI.create("https://evil.example/?localhost"))).isFalse();

        String url = rest.putBinary("file from the tenant".getBytes(StandardCharsets.UTF_8));
        assertThat(new String(http.download(url, 1000), StandardCharsets.UTF_8)).isEqualTo("file from the tenant");
        assertThat(rest.requests().get(0).header("Authorization")).isEqualTo("Bearer jwt-1");

        String other = "http://127.0.0.1:" + plain.getAddress().getPort() + "/f";
        assertThat(new String(http.download(other, 1000), StandardCharsets.UTF_8)).isEqualTo("plain file");
        assertThat(plainAuth).containsExactly("none");
    }

    @Test
    void aDownloadLargerThanTheLimitIsRefused() {
        String url = rest.putBinary(new byte[2000]);
        assertThatThrownBy(() -> http.download(url, 1000)).isInstanceOf(C8yHttp.Refused.class).hasMessageContaining("larger than 1000 bytes");
    }

    @Test
    void downloadsTryAgainOnServerErrorsButNotOnNotFound() {
        String other = "http://127.0.0.1:" + plain.getAddress().getPort() + "/f";
        plainStatus.set(503);
        assertThatThrownBy(() -> http.download(other, 1000)).hasMessage("Download of " + other + " failed: HTTP status 503");
        assertThat(plainAuth).hasSize(C8yHttp.DOWNLOAD_ATTEMPTS);
        plainStatus.set(404);
        assertThatThrownBy(() -> http.download(other, 1000)).hasMessage("Download of " + other + " failed: HTTP status 404");
        assertThat(plainAuth).hasSize(C8yHttp.DOWNLOAD_ATTEMPTS + 1);
        assertThatThrownBy(() -> http.download("ftp://x/y", 10)).hasMessageContaining("only http and https");
    }

    @Test
    void aCallWaitingForAnAnswerEndsWhenItsThreadIsInterrupted() throws Exception {
        // a server that takes the connection and never answers: only the interrupt can end the call
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            java.util.concurrent.CompletableFuture<Throwable> outcome = new java.util.concurrent.CompletableFuture<>();
            Thread caller = new Thread(() -> {
                try {
                    http.download("http://127.0.0.1:" + silent.getLocalPort() + "/f", 1000);
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            caller.start();
            try (java.net.Socket held = silent.accept()) {
                held.getInputStream().read(new byte[256]); // the request is out: the caller waits in a read
                caller.interrupt();
                assertThat(outcome.get(10, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
            }
        }
    }

    @Test
    void aServerWhoseCertificateNamesAnotherHostIsRefusedWhateverTheJvmWideDefault() throws Exception {
        // trusted (it is its own root), but for another host name than the one called
        TestPki.Issued other = TestPki.selfSignedDevice("other.example.com");
        Path otherRoot = other.writeCert(dir.resolve("other-root.pem"));
        com.sun.net.httpserver.HttpsServer server = com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(TestPki.serverContext(other, null)));
        AtomicInteger hits = new AtomicInteger();
        server.createContext("/", ex -> {
            hits.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        server.start();
        javax.net.ssl.HostnameVerifier before = javax.net.ssl.HttpsURLConnection.getDefaultHostnameVerifier();
        // what a careless plug-in elsewhere in the container could do: it must not weaken this client
        javax.net.ssl.HttpsURLConnection.setDefaultHostnameVerifier((host, session) -> true);
        try {
            C8yHttp h = new C8yHttp(bus, C8yHttp.Settings.of(Map.of("device.id", "dev1", "c8y.url", "localhost",
                    "c8y.http", "127.0.0.1:" + server.getAddress().getPort(), "c8y.root.cert.path", otherRoot.toString())),
                    Duration.ofSeconds(2), Clock.systemUTC(), 10);
            assertThatThrownBy(() -> h.updateDevice("{}".getBytes(StandardCharsets.UTF_8))).isInstanceOf(C8yHttp.Later.class)
                    .hasMessageContaining("cannot reach https://127.0.0.1:");
            assertThat(hits.get()).isZero();
        } finally {
            javax.net.ssl.HttpsURLConnection.setDefaultHostnameVerifier(before);
            server.stop(0);
        }
    }

    @Test
    void aJvmWideAuthenticatorOfAnotherBundleIsNotAsked() throws Exception {
        List<String> seen = new CopyOnWriteArrayList<>();
        plain.createContext("/auth", ex -> {
            try (ex) {
                String auth = ex.getRequestHeaders().getFirst("Authorization");
                seen.add(auth == null ? "none" : auth);
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"files\"");
                ex.sendResponseHeaders(401, -1);
            }
        });
        AtomicInteger asked = new AtomicInteger();
        // what another plug-in could install for its own downloads: its password must not go to our servers
        java.net.Authenticator.setDefault(new java.net.Authenticator() {
            @Override
            protected java.net.PasswordAuthentication getPasswordAuthentication() {
                asked.incrementAndGet();
                return new java.net.PasswordAuthentication("vendor", "secret".toCharArray());
            }
        });
        try {
            String url = "http://127.0.0.1:" + plain.getAddress().getPort() + "/auth";
            assertThatThrownBy(() -> http.download(url, 1000)).hasMessage("Download of " + url + " failed: HTTP status 401");
            assertThat(seen).containsExactly("none");
            assertThat(asked.get()).isZero();
        } finally {
            java.net.Authenticator.setDefault(null);
        }
    }
}
