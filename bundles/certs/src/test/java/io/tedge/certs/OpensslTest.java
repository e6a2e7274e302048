package io.tedge.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;

/** What openssl says about the files that create and create-csr write. */
class OpensslTest {
    @TempDir
    Path dir;

    private Path cert;
    private Path key;

    private DeviceCertificates certs() throws Exception {
        return new DeviceCertificates(TedgeConfig.load(dir, ConfigRegistry.core()));
    }

    @BeforeEach
    void create() throws Exception {
        certs().create("openssl-device");
        cert = dir.resolve("device-certs/tedge-certificate.pem");
        key = dir.resolve("device-certs/tedge-private-key.pem");
    }

    private Fixture.Run openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        return Fixture.run(dir, cmd);
    }

    @Test
    void textShowsCaTrueAndEcdsaWithSha256() throws Exception {
        Fixture.Run r = openssl("x509", "-in", cert.toString(), "-noout", "-text");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Signature Algorithm: ecdsa-with-SHA256")
                .contains("X509v3 Basic Constraints: critical")
                .contains("CA:TRUE")
                .contains("X509v3 Subject Key Identifier")
                .contains("ASN1 OID: prime256v1")
                .contains("Issuer: CN = openssl-device, O = Thin Edge, OU = Test Device")
                .contains("Subject: CN = openssl-device, O = Thin Edge, OU = Test Device");
    }

    @Test
    void verifiesAgainstItself() throws Exception {
        Fixture.Run r = openssl("verify", "-CAfile", cert.toString(), cert.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out().strip()).isEqualTo(cert + ": OK");
    }

    @Test
    void fingerprintEqualsShowThumbprint() throws Exception {
        Fixture.Run r = openssl("x509", "-in", cert.toString(), "-noout", "-fingerprint", "-sha1");
        assertThat(r.exit()).isZero();
        String fp = r.out().strip().replaceFirst("(?i)^sha1 fingerprint=", "").replace(":", "");
        assertThat(certs().show()).contains("Thumbprint: " + fp + "\n");
        assertThat(certs().thumbprint()).isEqualTo(fp);
    }

    @Test
    void keyIsReadableByOpensslAndMatchesTheCertificate() throws Exception {
        Fixture.Run k = openssl("pkey", "-in", key.toString(), "-pubout");
        Fixture.Run c = openssl("x509", "-in", cert.toString(), "-noout", "-pubkey");
        assertThat(k.exit()).isZero();
        assertThat(c.exit()).isZero();
        assertThat(k.out()).isEqualTo(c.out()).startsWith("-----BEGIN PUBLIC KEY-----");
    }

    @Test
    void csrVerifies() throws Exception {
        Path csr = certs().createCsr(Optional.empty(), Optional.empty());
        Fixture.Run r = openssl("req", "-in", csr.toString(), "-noout", "-verify", "-subject");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("verify OK").contains("subject=CN = openssl-device, O = Thin Edge, OU = Device");
    }

    @Test
    void keysConvertedByOpensslAreRead() throws Exception {
        Path sec1 = dir.resolve("sec1.pem");
        assertThat(openssl("ec", "-in", key.toString(), "-out", sec1.toString()).exit()).isZero();
        assertThat(Files.readString(sec1)).startsWith("-----BEGIN EC PRIVATE KEY-----");
        Path root = dir.resolve("root.pem");
        Files.copy(cert, root);
        TlsContexts.mutualTls(sec1, cert, root);

        Path encrypted = dir.resolve("enc.pem");
        assertThat(openssl("pkcs8", "-topk8", "-in", key.toString(), "-passout", "pass:abc", "-out", encrypted.toString()).exit()).isZero();
        assertThatThrownBy(() -> TlsContexts.mutualTls(encrypted, cert, root))
                .hasMessage("The private key " + encrypted + " is encrypted; only unencrypted keys are supported.");
    }
}
