package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.testkit.C8yHttpStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/** tedge cert on the built distribution, checked with openssl and against an HTTPS stand-in of Cumulocity. */
class CertIT {
    @TempDir
    Path dir;

    private static Agent.Result openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        return Agent.exec(cmd, Duration.ofSeconds(30));
    }

    @Test
    void createShowRemoveAsOpensslSeesThem() throws Exception {
        Path cfg = dir.resolve("cfg");
        Agent.Result r = Agent.run(cfg, "cert", "create", "--device-id", "rpi-0042");
        assertThat(r.code()).as(r.toString()).isZero();
        Path cert = cfg.resolve("device-certs/tedge-certificate.pem");
        Path key = cfg.resolve("device-certs/tedge-private-key.pem");
        String text = openssl("x509", "-in", cert.toString(), "-noout", "-text").out();
        assertThat(text).contains("ecdsa-with-SHA256").contains("CA:TRUE").contains("critical")
                .contains("Subject Key Identifier").contains("CN = rpi-0042, O = Thin Edge, OU = Test Device");
        assertThat(openssl("verify", "-CAfile", cert.toString(), cert.toString()).out()).contains(": OK");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isIn("r--------", "rw-------");
        assertThat(Agent.run(cfg, "config", "get", "device.id").out().trim()).isEqualTo("rpi-0042");

        String fingerprint = openssl("x509", "-in", cert.toString(), "-noout", "-fingerprint", "-sha1").out().trim();
        String show = Agent.run(cfg, "cert", "show").out();
        assertThat(show).contains("Thumbprint: " + fingerprint.substring(fingerprint.indexOf('=') + 1).replace(":", ""));
        assertThat(show).contains("Subject: CN=rpi-0042, O=Thin Edge, OU=Test Device");

        byte[] c = Files.readAllBytes(cert);
        byte[] k = Files.readAllBytes(key);
        Agent.Result again = Agent.run(cfg, "cert", "create", "--device-id", "other");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.err()).contains("A certificate already exists and would be overwritten.").contains("tedge cert remove");
        assertThat(Files.readAllBytes(cert)).isEqualTo(c);
        assertThat(Files.readAllBytes(key)).isEqualTo(k);

        Path csr = dir.resolve("device.csr");
        assertThat(Agent.run(cfg, "cert", "create-csr", "--output-path", csr.toString()).code()).isZero();
        assertThat(openssl("req", "-in", csr.toString(), "-noout", "-verify", "-subject").out()).contains("CN = rpi-0042");

        assertThat(Agent.run(cfg, "cert", "remove").out()).contains("Certificate was successfully removed");
        assertThat(Files.exists(cert)).isFalse();
        assertThat(Files.exists(key)).isFalse();
        assertThat(Agent.run(cfg, "cert", "remove").out()).contains("There is no certificate to remove");
        Agent.Result none = Agent.run(cfg, "cert", "show");
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).contains("No certificate has been attached to that device.");
    }

    @Test
    void badDeviceIdsAreRefused() throws Exception {
        Path cfg = dir.resolve("ids");
        for (String bad : List.of("", "a:b", "x".repeat(65), "with space")) {
            Agent.Result r = Agent.run(cfg, "cert", "create", "--device-id", bad);
            assertThat(r.code()).as(bad).isEqualTo(1);
            assertThat(r.err()).as(bad).containsAnyOf("cannot be used as a name", "cannot be used in a name");
            assertThat(Files.exists(cfg.resolve("device-certs/tedge-certificate.pem"))).isFalse();
        }
        assertThat(Agent.run(cfg, "cert", "create", "--device-id", "A-z_0.9'=(),?%*!@").code()).isZero();
    }

    @Test
    void uploadToTheTenantsTrustedCertificates() throws Exception {
        Path cfg = dir.resolve("up");
        TestPki pki = TestPki.create("c8y-test-ca");
        Path ca = pki.writeCaPem(dir.resolve("c8y-root.pem"));
        try (C8yHttpStandIn c8y = C8yHttpStandIn.start(pki, new LiveTrust(), "secret")) {
            assertThat(Agent.run(cfg, "config", "set", "c8y.url", "localhost").code()).isZero();
            assertThat(Agent.run(cfg, "config", "set", "c8y.http", c8y.hostPort()).code()).isZero();
            assertThat(Agent.run(cfg, "config", "set", "c8y.root.cert.path", ca.toString()).code()).isZero();
            assertThat(Agent.run(cfg, "cert", "create", "--device-id", "dev-0001").code()).isZero();

            Agent.Result noPass = Agent.run(cfg, "cert", "upload", "c8y", "--user", "admin");
            assertThat(noPass.code()).isEqualTo(1);
            assertThat(noPass.err()).contains("C8YPASS");

            Agent.Result wrong = Agent.runWithEnv(cfg, Map.of("C8YPASS", "wrong-password"), "cert", "upload", "c8y", "--user", "admin");
            assertThat(wrong.code()).isEqualTo(1);
            assertThat(wrong.err()).contains("401").doesNotContain("wrong-password");

            Agent.Result ok = Agent.runWithEnv(cfg, Map.of("C8YPASS", "secret"), "cert", "upload", "c8y", "--user", "admin");
            assertThat(ok.code()).as(ok.toString()).isZero();
            assertThat(ok.out()).contains("Certificate uploaded successfully.");
            C8yHttpStandIn.Request post = c8y.awaitRequest(q -> q.method().equals("POST"), Duration.ofSeconds(5)).orElseThrow();
            assertThat(post.path()).isEqualTo("/tenant/tenants/t12345/trusted-certificates");
            assertThat(post.header("Authorization")).isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString("admin:secret".getBytes()));
            assertThat(post.body()).contains("\"name\":\"dev-0001\"").contains("\"autoRegistrationEnabled\":true").contains("\"status\":\"ENABLED\"")
                    .contains("BEGIN CERTIFICATE");
            assertThat(c8y.trust().trusted()).hasSize(1);

            Agent.Result dup = Agent.runWithEnv(cfg, Map.of("C8Y_PASSWORD", "secret"), "cert", "upload", "c8y", "--user", "admin");
            assertThat(dup.code()).isZero();
            assertThat(dup.out()).contains("Certificate already exists in the cloud.");

            // a server certificate the device does not trust
            TestPki other = TestPki.create("someone-else");
            Path otherCa = other.writeCaPem(dir.resolve("other-root.pem"));
            assertThat(Agent.run(cfg, "config", "set", "c8y.root.cert.path", otherCa.toString()).code()).isZero();
            Agent.Result untrusted = Agent.runWithEnv(cfg, Map.of("C8YPASS", "secret"), "cert", "upload", "c8y", "--user", "admin");
            assertThat(untrusted.code()).isEqualTo(1);
            assertThat(untrusted.err()).contains("not trusted").contains("c8y.root.cert.path");
        }
    }

    @Test
    void uploadErrorsFromTheCloudAreExplained() throws Exception {
        Path cfg = dir.resolve("err");
        TestPki pki = TestPki.create("c8y-test-ca");
        Path ca = pki.writeCaPem(dir.resolve("c8y-root.pem"));
        try (C8yHttpStandIn c8y = C8yHttpStandIn.start(pki, new LiveTrust(), "secret")) {
            Agent.run(cfg, "config", "set", "c8y.url", "localhost");
            Agent.run(cfg, "config", "set", "c8y.http", c8y.hostPort());
            Agent.run(cfg, "config", "set", "c8y.root.cert.path", ca.toString());
            Agent.run(cfg, "cert", "create", "--device-id", "dev-0002");
            c8y.respondNext(422, "{\"error\":\"certificate/invalid\",\"message\":\"Certificate is not a CA certificate\"}");
            Agent.Result r = Agent.runWithEnv(cfg, Map.of("C8YPASS", "secret"), "cert", "upload", "c8y", "--user", "admin");
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.err()).contains("422");
            c8y.close();
            Agent.Result down = Agent.runWithEnv(cfg, Map.of("C8YPASS", "secret"), "cert", "upload", "c8y", "--user", "admin");
            assertThat(down.code()).isEqualTo(1);
            assertThat(down.err()).contains("Cannot connect to " + c8y.hostPort());
        }
    }
}
