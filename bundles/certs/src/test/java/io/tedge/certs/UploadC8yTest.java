package io.tedge.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;
import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.Json;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/** {@code tedge cert upload c8y} against the HTTPS stand-in (vectors cert-051..054). */
class UploadC8yTest {
    private static final String PASSWORD = "S3cr3t-Pa55:w0rd";

    @TempDir
    Path dir;

    private final TestPki pki = TestPki.create("c8y server CA");
    private final LiveTrust mqttTrust = new LiveTrust();
    private C8yHttpStandIn c8y;
    private Path cert;
    private Path root;

    @BeforeEach
    void setUp() throws Exception {
        c8y = C8yHttpStandIn.start(pki, mqttTrust, PASSWORD);
        root = pki.writeCaPem(dir.resolve("c8y-root.pem"));
        Fixture.config(dir, "c8y.url", "127.0.0.1", "c8y.http", c8y.hostPort(), "c8y.root.cert.path", root.toString());
        certs().create("upload-device");
        cert = dir.resolve("device-certs/tedge-certificate.pem");
    }

    @AfterEach
    void tearDown() {
        c8y.close();
    }

    private DeviceCertificates certs() throws Exception {
        return new DeviceCertificates(TedgeConfig.load(dir, ConfigRegistry.core()));
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The upload fails; its message must not reveal the password in any form. */
    private String failure(String user, String password) throws Exception {
        CertException e = org.junit.jupiter.api.Assertions.assertThrows(CertException.class,
                () -> certs().uploadC8y(user, password.toCharArray()));
        assertThat(e.getMessage()).doesNotContain(password).doesNotContain(basic(user, password).substring(6));
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain(password);
        }
        return e.getMessage();
    }

    @Test
    void uploads() throws Exception {
        UploadResult r = certs().uploadC8y("admin", PASSWORD.toCharArray());
        assertThat(r).isEqualTo(UploadResult.UPLOADED);
        assertThat(r.message()).isEqualTo("Certificate uploaded successfully.");

        List<C8yHttpStandIn.Request> reqs = c8y.requests();
        assertThat(reqs).hasSize(2);
        C8yHttpStandIn.Request get = reqs.get(0);
        assertThat(get.method()).isEqualTo("GET");
        assertThat(get.path()).isEqualTo("/tenant/currentTenant");
        assertThat(get.header("Authorization")).isEqualTo(basic("admin", PASSWORD));

        C8yHttpStandIn.Request post = reqs.get(1);
        assertThat(post.method()).isEqualTo("POST");
        assertThat(post.path()).isEqualTo("/tenant/tenants/t12345/trusted-certificates");
        assertThat(post.header("Authorization")).isEqualTo(basic("admin", PASSWORD));
        assertThat(post.header("Content-Type")).isEqualTo("application/json");
        assertThat(post.header("Accept")).isEqualTo("application/json");
        Map<String, Object> body = Json.parseObject(post.body());
        assertThat(body).containsOnlyKeys("name", "certInPemFormat", "autoRegistrationEnabled", "status");
        assertThat(body.get("name")).isEqualTo("upload-device");
        assertThat(body.get("certInPemFormat")).isEqualTo(Files.readString(cert));
        assertThat(body.get("autoRegistrationEnabled")).isEqualTo(Boolean.TRUE);
        assertThat(body.get("status")).isEqualTo("ENABLED");
        assertThat(post.body()).startsWith("{\"name\":\"upload-device\",\"certInPemFormat\":\"-----BEGIN CERTIFICATE-----\\n")
                .endsWith("-----END CERTIFICATE-----\\n\",\"autoRegistrationEnabled\":true,\"status\":\"ENABLED\"}");

        // the stand-in now trusts the device (a later MQTT stand-in shares this trust)
        assertThat(mqttTrust.contains(Fixture.readCert(cert))).isTrue();
        assertThat(c8y.uploads()).singleElement().satisfies(u -> {
            assertThat(u.name()).isEqualTo("upload-device");
            assertThat(u.fingerprint()).isEqualTo(certs().thumbprint().toLowerCase());
        });
    }

    @Test
    void tenantPrefixedUserWorksToo() throws Exception {
        assertThat(certs().uploadC8y("t12345/admin", PASSWORD.toCharArray())).isEqualTo(UploadResult.UPLOADED);
        assertThat(c8y.requests().get(1).header("Authorization")).isEqualTo(basic("t12345/admin", PASSWORD));
    }

    @Test
    void alreadyThereIsASuccess() throws Exception {
        certs().uploadC8y("admin", PASSWORD.toCharArray());
        UploadResult r = certs().uploadC8y("admin", PASSWORD.toCharArray());
        assertThat(r).isEqualTo(UploadResult.ALREADY_EXISTS);
        assertThat(r.message()).isEqualTo("Certificate already exists in the cloud.");
    }

    @Test
    void wrongPassword() throws Exception {
        String wrong = "Wr0ng-Pa55";
        assertThat(failure("admin", wrong)).isEqualTo("Authentication failed (401 Unauthorized): " + c8y.hostPort()
                + " refused the user 'admin' or its password.\n"
                + "Check the user name (some hosts want it with the tenant id: <tenant>/admin) and the password.");
        assertThat(c8y.requests()).hasSize(1);
        assertThat(c8y.uploads()).isEmpty();
    }

    @Test
    void unauthorizedOnThePost() throws Exception {
        c8y.respondNext(200, "{\"name\":\"t12345\"}");
        c8y.setPassword("changed");
        assertThat(failure("admin", PASSWORD)).startsWith("Authentication failed (401 Unauthorized)");
    }

    @Test
    void certificateRefused() throws Exception {
        Files.delete(cert);
        TestPki.selfSignedLeaf("upload-device").writeCert(cert); // CA:FALSE
        assertThat(failure("admin", PASSWORD)).isEqualTo("Cumulocity refused the certificate (422 Unprocessable Entity): "
                + "Invalid certificate data: the certificate is not a CA certificate (BasicConstraints CA:TRUE is required)");
        assertThat(mqttTrust.trusted()).isEmpty();
    }

    @Test
    void certificateRefusedWithoutJsonBody() throws Exception {
        c8y.respondNext(200, "{\"name\":\"t12345\"}");
        c8y.respondNext(422, "<html>nope</html>");
        assertThat(failure("admin", PASSWORD)).isEqualTo("Cumulocity refused the certificate (422 Unprocessable Entity).");
    }

    @Test
    void tenantNotFound() throws Exception {
        c8y.respondNext(200, "{\"name\":\"t99999\",\"domainName\":\"localhost\"}");
        assertThat(failure("admin", PASSWORD)).isEqualTo("Not found (404): " + c8y.hostPort()
                + " has no tenant 't99999' or no trusted-certificates endpoint (POST /tenant/tenants/t99999/trusted-certificates). Check c8y.url.");
        assertThat(c8y.requests().get(1).path()).isEqualTo("/tenant/tenants/t99999/trusted-certificates");
    }

    @Test
    void currentTenantNotFound() throws Exception {
        c8y.respondNext(404, "");
        assertThat(failure("admin", PASSWORD)).isEqualTo("Not found (404): " + c8y.hostPort()
                + " has no /tenant/currentTenant endpoint. Check that c8y.url is the address of your Cumulocity tenant.");
    }

    @Test
    void tenantResponseWithoutName() throws Exception {
        c8y.respondNext(200, "{\"test\":\"test\"}");
        assertThat(failure("admin", PASSWORD)).isEqualTo("The answer of " + c8y.hostPort()
                + " to GET /tenant/currentTenant has no tenant id (field `name`).");
    }

    @Test
    void forbidden() throws Exception {
        c8y.respondNext(200, "{\"name\":\"t12345\"}");
        c8y.respondNext(403, "{\"error\":\"security/Forbidden\",\"message\":\"Access is denied\"}");
        assertThat(failure("admin", PASSWORD)).isEqualTo("Access denied (403 Forbidden): the user 'admin' may not add trusted certificates on "
                + c8y.hostPort() + "; it needs the 'Tenant management' admin permission.");
    }

    @Test
    void otherStatus() throws Exception {
        c8y.respondNext(503, "{\"error\":\"x\",\"message\":\"maintenance\"}");
        assertThat(failure("admin", PASSWORD)).isEqualTo("Request returned with code: 503 (GET https://" + c8y.hostPort()
                + "/tenant/currentTenant): maintenance");
    }

    @Test
    void serverCertificateNotTrusted() throws Exception {
        Path otherRoot = TestPki.create("some other CA").writeCaPem(dir.resolve("other-root.pem"));
        Fixture.config(dir, "c8y.root.cert.path", otherRoot.toString());
        String msg = failure("admin", PASSWORD);
        assertThat(msg).startsWith("The server certificate of " + c8y.hostPort() + " is not trusted: no trusted root certificate signed it (")
                .endsWith(".\nCheck c8y.root.cert.path (" + otherRoot
                        + "): it must hold the root certificate(s) of the server's certificate chain.");
        assertThat(c8y.requests()).isEmpty();
    }

    @Test
    void rootFolderIsAccepted() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("roots"));
        pki.writeCaPem(folder.resolve("c8y.pem"));
        Files.writeString(folder.resolve("notes.txt"), "hello");
        Fixture.config(dir, "c8y.root.cert.path", folder.toString());
        assertThat(certs().uploadC8y("admin", PASSWORD.toCharArray())).isEqualTo(UploadResult.UPLOADED);
    }

    @Test
    void missingRootCertificates() throws Exception {
        Path missing = dir.resolve("nowhere");
        Fixture.config(dir, "c8y.root.cert.path", missing.toString());
        assertThat(failure("admin", PASSWORD)).isEqualTo("The trusted root certificate path " + missing + " does not exist.\n"
                + "Check c8y.root.cert.path (`tedge config get c8y.root.cert.path`).");
    }

    @Test
    void connectionRefused() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        Fixture.config(dir, "c8y.http", "127.0.0.1:" + port);
        assertThat(failure("admin", PASSWORD)).isEqualTo("Cannot connect to 127.0.0.1:" + port + ": connection refused.");
    }

    @Test
    void notAnHttpsServer() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Fixture.config(dir, "c8y.http", "127.0.0.1:" + s.getLocalPort());
            // every connection gets the same plain HTTP answer: the JDK's client may retry a GET on a
            // new connection when the first one ends during the handshake
            Thread t = new Thread(() -> {
                while (!s.isClosed()) {
                    try (var c = s.accept()) {
                        c.setSoTimeout(20_000);
                        c.getInputStream().read(new byte[5]); // the start of the ClientHello
                        c.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (java.io.IOException e) {
                        // closed at the end of the test, or the client went away: the test asserts on the client side
                    }
                }
            });
            t.start();
            String msg = failure("admin", PASSWORD);
            assertThat(msg).startsWith("The TLS handshake with 127.0.0.1:" + s.getLocalPort() + " failed: ");
            s.close();
            t.join(20_000);
        }
    }

    @Test
    void noCertificate() throws Exception {
        certs().remove();
        assertThat(failure("admin", PASSWORD)).isEqualTo("No certificate has been attached to that device.\n Missing file: " + cert
                + "\n Run `tedge cert create` to generate a new certificate.");
    }

    @Test
    void noUrl() throws Exception {
        TedgeConfig.unset(dir, ConfigRegistry.core(), "c8y.http");
        TedgeConfig.unset(dir, ConfigRegistry.core(), "c8y.url");
        // the text is tedge-config's; it names the key to set
        assertThat(failure("admin", PASSWORD)).contains("c8y.url").contains("not set");
    }

    @Test
    void noUser() throws Exception {
        assertThat(failure("", PASSWORD)).isEqualTo("A Cumulocity user name is required: tedge cert upload c8y --user <user>.");
    }
}
