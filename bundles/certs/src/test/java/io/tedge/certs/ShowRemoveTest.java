package io.tedge.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;

class ShowRemoveTest {
    private static final String STATIC_PEM = "-----BEGIN CERTIFICATE-----\n"
            + "MIIBlzCCAT2gAwIBAgIBKjAKBggqhkjOPQQDAjA7MQ8wDQYDVQQDDAZteS10YnIx\n"
            + "EjAQBgNVBAoMCVRoaW4gRWRnZTEUMBIGA1UECwwLVGVzdCBEZXZpY2UwHhcNMjEw\n"
            + "MzA5MTQxMDMwWhcNMjIwMzEwMTQxMDMwWjA7MQ8wDQYDVQQDDAZteS10YnIxEjAQ\n"
            + "BgNVBAoMCVRoaW4gRWRnZTEUMBIGA1UECwwLVGVzdCBEZXZpY2UwWTATBgcqhkjO\n"
            + "PQIBBggqhkjOPQMBBwNCAAR6DVDOQ9ey3TX4tD2V0zCYe8GtmUHekNZZX6P+lUXx\n"
            + "886P/Kkyra0xCYKam2me2VzdLMc4X5cpRkybVa0XH/WCozIwMDAdBgNVHQ4EFgQU\n"
            + "Iz8LzGgzHjqsvB+ppPsVa+xf2bYwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD\n"
            + "AgNIADBFAiEAhMAATBcZqE3Li1TZCzDoweBxRw1WD6gaSAcrsIWuW94CIHuR5ZG7\n"
            + "ozYxD+f5npF5kWWKcLIIo0wqvXg0GOLNfxTh\n"
            + "-----END CERTIFICATE-----\n";

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
    void showAfterCreate() throws Exception {
        certs().create("rpi-0042");
        X509Certificate c = Fixture.readCert(certFile());
        DateTimeFormatter f = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss '+0000'", Locale.ENGLISH).withZone(ZoneOffset.UTC);
        String sha1 = HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(c.getEncoded()));
        assertThat(certs().show()).isEqualTo("Device certificate: " + certFile() + "\n"
                + "Subject: CN=rpi-0042, O=Thin Edge, OU=Test Device\n"
                + "Issuer: CN=rpi-0042, O=Thin Edge, OU=Test Device\n"
                + "Valid from: " + f.format(c.getNotBefore().toInstant()) + "\n"
                + "Valid up to: " + f.format(c.getNotAfter().toInstant()) + "\n"
                + "Thumbprint: " + sha1 + "\n");
        assertThat(certs().thumbprint()).isEqualTo(sha1).matches("[0-9A-F]{40}");
    }

    @Test
    void showOfTheStaticVectorCertificate() throws Exception {
        Path p = dir.resolve("static.pem");
        Files.writeString(p, STATIC_PEM);
        DeviceCertificates certs = new DeviceCertificates(Fixture.config(dir, "device.cert.path", p.toString()));
        assertThat(certs.show()).isEqualTo("Device certificate: " + p + "\n"
                + "Subject: CN=my-tbr, O=Thin Edge, OU=Test Device\n"
                + "Issuer: CN=my-tbr, O=Thin Edge, OU=Test Device\n"
                + "Valid from: Tue, 09 Mar 2021 14:10:30 +0000\n"
                + "Valid up to: Thu, 10 Mar 2022 14:10:30 +0000\n"
                + "Thumbprint: 860218AD0A996004449521E2713C28F67B5EA580\n");
    }

    @Test
    void showWithoutCertificate() throws Exception {
        assertThatThrownBy(() -> certs().show()).isInstanceOf(CertException.class)
                .hasMessage("No certificate has been attached to that device.\n Missing file: " + certFile()
                        + "\n Run `tedge cert create` to generate a new certificate.");
    }

    @Test
    void showOfAFileThatIsNotACertificate() throws Exception {
        Files.createDirectories(certFile().getParent());
        Files.writeString(certFile(), "hello");
        assertThatThrownBy(() -> certs().show()).hasMessage("PEM file format error: no certificate in " + certFile());
        Files.writeString(certFile(), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        assertThatThrownBy(() -> certs().show()).hasMessageStartingWith("X509 file format error: ");
    }

    @Test
    void removeDeletesBoth() throws Exception {
        certs().create("dev-1");
        assertThat(certs().remove()).isEqualTo(RemoveResult.REMOVED);
        assertThat(certFile()).doesNotExist();
        assertThat(keyFile()).doesNotExist();
        assertThat(TedgeConfig.load(dir, ConfigRegistry.core()).get("device.id")).isEmpty();
    }

    @Test
    void removeWithNothingThere() throws Exception {
        assertThat(certs().remove()).isEqualTo(RemoveResult.NOTHING_TO_REMOVE);
        assertThat(RemoveResult.NOTHING_TO_REMOVE.message()).isEqualTo("There is no certificate to remove");
        assertThat(RemoveResult.REMOVED.message()).isEqualTo("Certificate was successfully removed");
    }

    @Test
    void removeWithOnlyTheKey() throws Exception {
        certs().create("dev-1");
        Files.delete(certFile());
        assertThat(certs().remove()).isEqualTo(RemoveResult.REMOVED);
        assertThat(keyFile()).doesNotExist();
    }

    @Test
    void createAfterRemove() throws Exception {
        certs().create("dev-1");
        certs().remove();
        certs().create("dev-2");
        assertThat(certs().show()).contains("Subject: CN=dev-2, O=Thin Edge, OU=Test Device\n");
    }
}
