package io.tedge.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Optional;

import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.certs.internal.CertText;
import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;
import io.tedge.testkit.TestPki;

class CsrTest {
    @TempDir
    Path dir;

    private DeviceCertificates certs() throws Exception {
        return new DeviceCertificates(TedgeConfig.load(dir, ConfigRegistry.core()));
    }

    private Path keyFile() {
        return dir.resolve("device-certs/tedge-private-key.pem");
    }

    static PKCS10CertificationRequest read(Path csr) throws Exception {
        String pem = Files.readString(csr);
        assertThat(pem).startsWith("-----BEGIN CERTIFICATE REQUEST-----\n").endsWith("-----END CERTIFICATE REQUEST-----\n");
        String body = pem.replace("-----BEGIN CERTIFICATE REQUEST-----", "").replace("-----END CERTIFICATE REQUEST-----", "");
        return new PKCS10CertificationRequest(Base64.getMimeDecoder().decode(body));
    }

    static PublicKey publicKey(PKCS10CertificationRequest req, String alg) throws Exception {
        return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(req.getSubjectPublicKeyInfo().getEncoded()));
    }

    /** The request's signature checks out with the request's own public key. */
    static boolean verifies(PKCS10CertificationRequest req) throws Exception {
        String alg = req.getSubjectPublicKeyInfo().getAlgorithm().getAlgorithm().getId().equals("1.2.840.10045.2.1") ? "EC" : "RSA";
        return req.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey(req, alg)));
    }

    @Test
    void newKeyWhenThereIsNone() throws Exception {
        Path out = certs().createCsr(Optional.of("dev-7"), Optional.empty());
        assertThat(out).isEqualTo(dir.resolve("device-certs/tedge.csr"));
        assertThat(keyFile()).isRegularFile();
        assertThat(Fixture.mode(keyFile())).isEqualTo("r--------");
        assertThat(Files.readString(keyFile())).startsWith("-----BEGIN PRIVATE KEY-----");
        PKCS10CertificationRequest req = read(out);
        assertThat(CertText.dn(req.getSubject().getEncoded())).isEqualTo("CN=dev-7, O=Thin Edge, OU=Device");
        assertThat(req.getSignatureAlgorithm().getAlgorithm().getId()).isEqualTo("1.2.840.10045.4.3.2");
        assertThat(verifies(req)).isTrue();
    }

    @Test
    void existingKeyAndIdOfTheExistingCertificate() throws Exception {
        certs().create("dev-8");
        byte[] key = Files.readAllBytes(keyFile());
        Path out = dir.resolve("out/req.pem");
        assertThat(certs().createCsr(Optional.empty(), Optional.of(out))).isEqualTo(out);
        PKCS10CertificationRequest req = read(out);
        assertThat(CertText.dn(req.getSubject().getEncoded())).isEqualTo("CN=dev-8, O=Thin Edge, OU=Device");
        assertThat(publicKey(req, "EC")).isEqualTo(Fixture.readCert(dir.resolve("device-certs/tedge-certificate.pem")).getPublicKey());
        assertThat(verifies(req)).isTrue();
        assertThat(Files.readAllBytes(keyFile())).isEqualTo(key);
    }

    @Test
    void anExistingRequestIsReplaced() throws Exception {
        certs().createCsr(Optional.of("a"), Optional.empty());
        certs().createCsr(Optional.of("b"), Optional.empty());
        assertThat(CertText.dn(read(certs().defaultCsrPath()).getSubject().getEncoded())).startsWith("CN=b,");
    }

    @Test
    void existingRsaKeyInPkcs1() throws Exception {
        TestPki.Issued rsa = TestPki.create("fleet").issueClient("x", TestPki.KeyType.RSA_2048);
        Files.createDirectories(keyFile().getParent());
        Files.writeString(keyFile(), rsa.keyPemTraditional());
        assertThat(rsa.keyPemTraditional()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
        PKCS10CertificationRequest req = read(certs().createCsr(Optional.of("rsa-dev"), Optional.empty()));
        assertThat(publicKey(req, "RSA")).isEqualTo(rsa.cert().getPublicKey());
        assertThat(req.getSignatureAlgorithm().getAlgorithm().getId()).isEqualTo("1.2.840.113549.1.1.11"); // sha256WithRSAEncryption
        assertThat(verifies(req)).isTrue();
    }

    @Test
    void existingEcKeyInSec1() throws Exception {
        TestPki.Issued ec = TestPki.selfSignedDevice("x");
        Files.createDirectories(keyFile().getParent());
        Files.writeString(keyFile(), ec.keyPemTraditional());
        assertThat(ec.keyPemTraditional()).startsWith("-----BEGIN EC PRIVATE KEY-----");
        PKCS10CertificationRequest req = read(certs().createCsr(Optional.of("sec1-dev"), Optional.empty()));
        assertThat(publicKey(req, "EC")).isEqualTo(ec.cert().getPublicKey());
    }

    @Test
    void existingEcKeyInPkcs8WithoutPublicKey() throws Exception {
        TestPki.Issued ec = TestPki.selfSignedDevice("x");
        Files.createDirectories(keyFile().getParent());
        Files.writeString(keyFile(), ec.keyPem());
        PKCS10CertificationRequest req = read(certs().createCsr(Optional.of("p8-dev"), Optional.empty()));
        assertThat(publicKey(req, "EC")).isEqualTo(ec.cert().getPublicKey());
    }

    @Test
    void noIdAndNoCertificate() throws Exception {
        assertThatThrownBy(() -> certs().createCsr(Optional.empty(), Optional.empty()))
                .hasMessage("No device id given, and no device certificate to take it from (" + dir.resolve("device-certs/tedge-certificate.pem")
                        + ").\n Run `tedge cert create-csr --device-id <id>`.");
        assertThat(keyFile()).doesNotExist();
    }

    @Test
    void invalidIdWritesNothing() throws Exception {
        assertThatThrownBy(() -> certs().createCsr(Optional.of("a b"), Optional.empty())).hasMessageContaining("cannot be used in a name");
        assertThat(keyFile()).doesNotExist();
    }

    @Test
    void aNewKeyIsRemovedWhenTheRequestCannotBeWritten() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        Path out = dir.resolve("file/req.csr");
        assertThatThrownBy(() -> certs().createCsr(Optional.of("dev"), Optional.of(out)))
                .hasMessageStartingWith("Cannot write the certificate signing request " + out + ": ");
        assertThat(keyFile()).doesNotExist();
    }
}
