package io.tedge.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Base64;

import org.junit.jupiter.api.Test;

import io.tedge.config.X509Fields;

/** Vectors cert-046 and cert-047: thumbprint, and the show text of a known certificate. */
class CertTextTest {
    static final String STATIC_PEM = "-----BEGIN CERTIFICATE-----\n"
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

    @Test
    void thumbprintOfTheStaticCertificate() throws Exception {
        X509Certificate c = Pem.certificates(STATIC_PEM).get(0);
        assertThat(CertText.thumbprint(c.getEncoded())).isEqualTo("860218AD0A996004449521E2713C28F67B5EA580");
    }

    @Test
    void thumbprintIsSha1OfTheBase64DecodedPemBody() throws Exception {
        String body = STATIC_PEM.replace("-----BEGIN CERTIFICATE-----", "").replace("-----END CERTIFICATE-----", "").replace("\n", "");
        byte[] der = Base64.getDecoder().decode(body);
        assertThat(CertText.thumbprint(der)).isEqualTo("860218AD0A996004449521E2713C28F67B5EA580");
    }

    @Test
    void showTextOfTheStaticCertificate() throws Exception {
        X509Certificate c = Pem.certificates(STATIC_PEM).get(0);
        assertThat(CertText.show("/etc/tedge/device-certs/tedge-certificate.pem", X509Fields.read(STATIC_PEM.getBytes(StandardCharsets.US_ASCII)))).isEqualTo(
                "Device certificate: /etc/tedge/device-certs/tedge-certificate.pem\n"
                + "Subject: CN=my-tbr, O=Thin Edge, OU=Test Device\n"
                + "Issuer: CN=my-tbr, O=Thin Edge, OU=Test Device\n"
                + "Valid from: Tue, 09 Mar 2021 14:10:30 +0000\n"
                + "Valid up to: Thu, 10 Mar 2022 14:10:30 +0000\n"
                + "Thumbprint: 860218AD0A996004449521E2713C28F67B5EA580\n");
        assertThat(c.getSerialNumber().intValue()).isEqualTo(42);
    }

    @Test
    void rfc2822IsUtcWithTwoDigitDay() {
        assertThat(CertText.rfc2822(Instant.parse("2024-02-05T03:04:05Z"))).isEqualTo("Mon, 05 Feb 2024 03:04:05 +0000");
    }

    @Test
    void dnKeepsEncodingOrderAndUnescapesValues() { // DER sorts a multi-valued RDN: the shorter SERIALNUMBER first
        byte[] name = new javax.security.auth.x500.X500Principal(
                "OU=a\\+b, O=x\\, y\\\"\\=z, CN=Ger\u00e4t #1+SERIALNUMBER=42").getEncoded();
        assertThat(CertText.dn(name)).isEqualTo("SERIALNUMBER=42 + CN=Ger\u00e4t #1, O=x, y\"=z, OU=a+b");
        assertThat(CertText.commonName(name)).isEqualTo("Ger\u00e4t #1");
        assertThat(CertText.commonName(new javax.security.auth.x500.X500Principal("O=only").getEncoded())).isNull();
        assertThat(CertText.dn(new javax.security.auth.x500.X500Principal("").getEncoded())).isEmpty();
    }

    @Test
    void rfc2822OfYearsAndMonthsAtTheEdges() {
        assertThat(CertText.rfc2822(Instant.parse("9999-12-31T23:59:59Z"))).isEqualTo("Fri, 31 Dec 9999 23:59:59 +0000");
        assertThat(CertText.rfc2822(Instant.parse("1950-01-01T00:00:00Z"))).isEqualTo("Sun, 01 Jan 1950 00:00:00 +0000");
        assertThat(CertText.rfc2822(Instant.parse("2024-02-29T12:00:00.999Z"))).isEqualTo("Thu, 29 Feb 2024 12:00:00 +0000");
    }
}
