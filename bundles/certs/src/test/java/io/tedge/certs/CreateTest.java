package io.tedge.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;

import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.certs.internal.SecureFiles;
import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;

class CreateTest {
    @TempDir
    Path dir;

    private DeviceCertificates certs() throws Exception {
        return new DeviceCertificates(TedgeConfig.load(dir, ConfigRegistry.core()));
    }

    private Path certFile() {
        return dir.resolve("device-certs/tedge-certificate.pem");
    }

    private Path keyFile() {
        return dir.resolve("device-certs/tedge-private-key.pem");
    }

    @Test
    void createsCertificateAndKeyInMissingFolders() throws Exception {
        assertThat(dir.resolve("device-certs")).doesNotExist();
        certs().create("rpi-0042");
        assertThat(certFile()).isRegularFile();
        assertThat(keyFile()).isRegularFile();
        assertThat(Files.readString(certFile())).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----END CERTIFICATE-----\n");
        assertThat(Files.readString(keyFile())).startsWith("-----BEGIN PRIVATE KEY-----\n").endsWith("-----END PRIVATE KEY-----\n");
    }

    @Test
    void deviceIdIsDerivedFromTheNewCertificate() throws Exception {
        certs().create("rpi-0042");
        assertThat(TedgeConfig.load(dir, ConfigRegistry.core()).get("device.id")).contains("rpi-0042");
    }

    @Test
    void certificateFields() throws Exception {
        Instant before = Instant.now();
        certs().create("dev-(1)");
        Instant after = Instant.now();
        X509Certificate c = Fixture.readCert(certFile());

        assertThat(c.getVersion()).isEqualTo(3);
        assertThat(c.getSubjectX500Principal().getName()).isEqualTo("OU=Test Device,O=Thin Edge,CN=dev-(1)");
        assertThat(c.getIssuerX500Principal()).isEqualTo(c.getSubjectX500Principal());
        // ecdsa-with-SHA256, EC P-256
        assertThat(c.getSigAlgOID()).isEqualTo("1.2.840.10045.4.3.2");
        assertThat(c.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(c.getPublicKey()).isInstanceOf(ECPublicKey.class);
        assertThat(((ECPublicKey) c.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        assertThat(((ECPublicKey) c.getPublicKey()).getParams().toString()).contains("secp256r1");
        // validity: now - 1 day, for 365 days
        Instant nb = c.getNotBefore().toInstant();
        assertThat(nb).isBetween(before.minus(Duration.ofDays(1)).minusSeconds(1), after.minus(Duration.ofDays(1)));
        assertThat(Duration.between(nb, c.getNotAfter().toInstant())).isEqualTo(Duration.ofDays(365));
        c.checkValidity();
        // BasicConstraints CA:TRUE, critical, no path length
        assertThat(c.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.getCriticalExtensionOIDs()).containsExactly("2.5.29.19");
        // subject key identifier = SHA-1 of the public key bits; authority key identifier present
        byte[] ski = ASN1OctetString.getInstance(ASN1OctetString.getInstance(c.getExtensionValue("2.5.29.14")).getOctets()).getOctets();
        byte[] keyBits = SubjectPublicKeyInfo.getInstance(c.getPublicKey().getEncoded()).getPublicKeyData().getBytes();
        assertThat(ski).isEqualTo(MessageDigest.getInstance("SHA-1").digest(keyBits));
        assertThat(c.getNonCriticalExtensionOIDs()).contains("2.5.29.14", "2.5.29.35");
        // serial: random, positive
        assertThat(c.getSerialNumber()).isGreaterThan(BigInteger.ZERO);
        // self-signed
        c.verify(c.getPublicKey());
    }

    @Test
    void keyIsPkcs8AndBelongsToTheCertificate() throws Exception {
        certs().create("dev-1");
        String pem = Files.readString(keyFile());
        byte[] der = Base64.getMimeDecoder().decode(pem.replace("-----BEGIN PRIVATE KEY-----", "").replace("-----END PRIVATE KEY-----", ""));
        PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(key);
        s.update("probe".getBytes(StandardCharsets.US_ASCII));
        byte[] sig = s.sign();
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(Fixture.readCert(certFile()).getPublicKey());
        v.update("probe".getBytes(StandardCharsets.US_ASCII));
        assertThat(v.verify(sig)).isTrue();
    }

    @Test
    void filePermissions() throws Exception {
        certs().create("dev-1");
        assertThat(Fixture.mode(keyFile())).isEqualTo("r--------");
        assertThat(Fixture.mode(certFile())).isEqualTo("r--r--r--");
    }

    @Test
    void keyFileIsCreatedOwnerOnlyFromTheStart() throws Exception {
        // the mode while writing comes from the creation itself, not from the umask and a later chmod
        Path f = dir.resolve("k.pem");
        SecureFiles.createNew(f, "x".getBytes(StandardCharsets.US_ASCII), SecureFiles.KEY_WHILE_WRITING, SecureFiles.KEY_WHILE_WRITING);
        assertThat(Fixture.mode(f)).isEqualTo("rw-------");
    }

    @Test
    void refusesToOverwriteBothFiles() throws Exception {
        Files.createDirectories(certFile().getParent());
        Files.writeString(certFile(), "some cert content");
        Files.writeString(keyFile(), "some key content");
        assertThatThrownBy(() -> certs().create("dev-1")).isInstanceOf(CertException.class)
                .hasMessage("A certificate already exists and would be overwritten.\n Existing file: " + certFile()
                        + "\n Run `tedge cert remove` first to generate a new certificate.");
        assertThat(Files.readString(certFile())).isEqualTo("some cert content");
        assertThat(Files.readString(keyFile())).isEqualTo("some key content");
    }

    @Test
    void refusesWhenOnlyTheKeyExists() throws Exception {
        Files.createDirectories(keyFile().getParent());
        Files.writeString(keyFile(), "some key content");
        assertThatThrownBy(() -> certs().create("dev-1"))
                .hasMessage("A certificate already exists and would be overwritten.\n Existing file: " + keyFile()
                        + "\n Run `tedge cert remove` first to generate a new certificate.");
        assertThat(Files.readString(keyFile())).isEqualTo("some key content");
        assertThat(certFile()).doesNotExist();
    }

    @Test
    void refusesWhenOnlyTheCertificateExists() throws Exception {
        certs().create("dev-1");
        byte[] cert = Files.readAllBytes(certFile());
        Files.delete(keyFile());
        assertThatThrownBy(() -> certs().create("dev-2")).hasMessageContaining("Existing file: " + certFile());
        assertThat(Files.readAllBytes(certFile())).isEqualTo(cert);
        assertThat(keyFile()).doesNotExist();
    }

    @Test
    void secondCreateKeepsBothFilesByteIdentical() throws Exception {
        certs().create("dev-1");
        byte[] cert = Files.readAllBytes(certFile());
        byte[] key = Files.readAllBytes(keyFile());
        assertThatThrownBy(() -> certs().create("dev-1")).isInstanceOf(CertException.class);
        assertThat(Files.readAllBytes(certFile())).isEqualTo(cert);
        assertThat(Files.readAllBytes(keyFile())).isEqualTo(key);
    }

    @Test
    void invalidIdWritesNothing() throws Exception {
        assertThatThrownBy(() -> certs().create("thin edge")).hasMessageContaining("contains characters which cannot be used in a name");
        assertThat(dir.resolve("device-certs")).doesNotExist();
    }

    @Test
    void whenTheKeyCannotBeWrittenTheCertificateIsRemoved() throws Exception {
        Path longName = dir.resolve("keys").resolve("k".repeat(300) + ".pem"); // too long for the file system
        Files.createDirectories(longName.getParent());
        DeviceCertificates certs = new DeviceCertificates(Fixture.config(dir, "device.key.path", longName.toString()));
        assertThatThrownBy(() -> certs.create("dev-1")).isInstanceOf(CertException.class)
                .hasMessageStartingWith("Cannot write the private key " + longName + ": ");
        assertThat(certFile()).doesNotExist();
    }

    @Test
    void configuredPathsAreUsed() throws Exception {
        Path c = dir.resolve("a/b/cert.pem");
        Path k = dir.resolve("c/key.pem");
        new DeviceCertificates(Fixture.config(dir, "device.cert.path", c.toString(), "device.key.path", k.toString())).create("x");
        assertThat(c).isRegularFile();
        assertThat(k).isRegularFile();
        assertThat(certFile()).doesNotExist();
    }

    @Test
    void sameFileForCertificateAndKeyIsRefused() throws Exception {
        Path f = dir.resolve("both.pem");
        DeviceCertificates certs = new DeviceCertificates(Fixture.config(dir, "device.cert.path", f.toString(), "device.key.path", f.toString()));
        assertThatThrownBy(() -> certs.create("x")).hasMessageContaining("are the same file");
        assertThat(f).doesNotExist();
    }

    @Test
    void parentThatIsAFileIsReported() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        Path c = dir.resolve("file/cert.pem");
        DeviceCertificates certs = new DeviceCertificates(Fixture.config(dir, "device.cert.path", c.toString()));
        assertThatThrownBy(() -> certs.create("x")).hasMessageStartingWith("Invalid device.cert.path path: cannot create the folder");
        assertThat(keyFile()).doesNotExist();
    }

    @Test
    void twoCertificatesDiffer() throws Exception {
        certs().create("dev-1");
        byte[] first = Files.readAllBytes(certFile());
        certs().remove();
        certs().create("dev-1");
        assertThat(Arrays.equals(first, Files.readAllBytes(certFile()))).isFalse();
    }
}
