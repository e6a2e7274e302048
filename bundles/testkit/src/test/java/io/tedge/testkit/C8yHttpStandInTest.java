package io.tedge.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class C8yHttpStandInTest {
    private final TestPki pki = TestPki.create("c8y CA");
    private final LiveTrust trust = new LiveTrust();
    private C8yHttpStandIn c8y;
    private HttpClient http;

    @BeforeEach
    void start() throws Exception {
        c8y = C8yHttpStandIn.start(pki, trust, "pw");
        http = HttpClient.newBuilder().sslContext(pki.clientContext()).connectTimeout(Duration.ofSeconds(20)).build();
    }

    @AfterEach
    void stop() {
        c8y.close();
    }

    private HttpResponse<String> call(String method, String path, String auth, String body, boolean accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://" + c8y.hostPort() + path)).timeout(Duration.ofSeconds(20));
        if (auth != null) b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8)));
        if (accept) b.header("Accept", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String upload(TestPki.Issued cert) {
        return Json.object(Map.of("name", "d", "certInPemFormat", cert.certPem(), "autoRegistrationEnabled", true, "status", "ENABLED"));
    }

    @Test
    void currentTenant() throws Exception {
        HttpResponse<String> r = call("GET", "/tenant/currentTenant", "admin:pw", null, true);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Json.parseObject(r.body())).containsEntry("name", "t12345").containsEntry("domainName", "localhost");
        assertThat(call("GET", "/tenant/currentTenant", "t12345/admin:pw", null, true).statusCode()).isEqualTo(200);
        HttpResponse<String> bad = call("GET", "/tenant/currentTenant", "admin:nope", null, true);
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(Json.parseObject(bad.body())).containsEntry("error", "security/Unauthorized")
                .containsEntry("message", "Invalid credentials! : Bad credentials");
        assertThat(call("GET", "/tenant/currentTenant", null, null, true).statusCode()).isEqualTo(401);
    }

    @Test
    void uploadListDelete() throws Exception {
        TestPki.Issued dev = TestPki.selfSignedDevice("d");
        HttpResponse<String> r = call("POST", "/tenant/tenants/t12345/trusted-certificates", "admin:pw", upload(dev), true);
        assertThat(r.statusCode()).isEqualTo(201);
        String fp = C8yHttpStandIn.fingerprint(dev.cert());
        assertThat(Json.parseObject(r.body())).containsEntry("fingerprint", fp).containsEntry("name", "d").containsEntry("status", "ENABLED");
        assertThat(trust.contains(dev.cert())).isTrue();

        assertThat(call("POST", "/tenant/tenants/t12345/trusted-certificates", "admin:pw", upload(dev), true).statusCode()).isEqualTo(409);
        assertThat(call("GET", "/tenant/tenants/t12345/trusted-certificates", "admin:pw", null, true).body()).contains(fp);
        assertThat(call("DELETE", "/tenant/tenants/t12345/trusted-certificates/" + fp, "admin:pw", null, true).statusCode()).isEqualTo(204);
        assertThat(trust.contains(dev.cert())).isFalse();
        assertThat(c8y.uploads()).isEmpty();
    }

    @Test
    void refusals() throws Exception {
        TestPki.Issued dev = TestPki.selfSignedDevice("d");
        assertThat(call("POST", "/tenant/tenants/t99999/trusted-certificates", "admin:pw", upload(dev), true).statusCode()).isEqualTo(404);
        assertThat(call("POST", "/tenant/tenants/t12345/trusted-certificates", "admin:x", upload(dev), true).statusCode()).isEqualTo(401);
        assertThat(call("POST", "/tenant/tenants/t12345/trusted-certificates", "admin:pw", upload(TestPki.selfSignedLeaf("d")), true)
                .statusCode()).isEqualTo(422);
        assertThat(call("POST", "/tenant/tenants/t12345/trusted-certificates", "admin:pw", "{\"certInPemFormat\":\"x\"}", true)
                .statusCode()).isEqualTo(422);
        assertThat(trust.trusted()).isEmpty();
    }

    @Test
    void withoutAcceptTheBodyIsEmpty() throws Exception {
        HttpResponse<String> r = call("POST", "/tenant/tenants/t12345/trusted-certificates", "admin:pw", upload(TestPki.selfSignedDevice("d")), false);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).isEmpty();
    }

    @Test
    void forcedResponseAndRecording() throws Exception {
        c8y.respondNext(500, "{\"message\":\"boom\"}");
        HttpResponse<String> r = call("GET", "/tenant/currentTenant", "admin:pw", null, true);
        assertThat(r.statusCode()).isEqualTo(500);
        assertThat(call("GET", "/tenant/currentTenant", "admin:pw", null, true).statusCode()).isEqualTo(200);
        assertThat(c8y.requests()).hasSize(2);
        C8yHttpStandIn.Request first = c8y.awaitRequest(q -> q.method().equals("GET"), Duration.ofSeconds(5)).orElseThrow();
        assertThat(first.path()).isEqualTo("/tenant/currentTenant");
        assertThat(first.header("authorization")).startsWith("Basic ");
        assertThat(c8y.awaitRequest(q -> q.method().equals("PUT"), Duration.ofMillis(50))).isEmpty();
    }
}
