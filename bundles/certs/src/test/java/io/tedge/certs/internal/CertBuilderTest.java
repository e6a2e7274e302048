package io.tedge.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.OffsetDateTime;

import org.junit.jupiter.api.Test;

/** Vectors cert-042..045: subject, issuer and validity of the self-signed certificate. */
class CertBuilderTest {
    private static final java.time.Instant BIRTH = OffsetDateTime.parse("2021-03-31T16:39:57+01:00").toInstant();

    @Test
    void subjectIsTheDeviceInCnOOuOrder() throws Exception {
        X509Certificate c = CertBuilder.selfSigned(Keys.newEcP256(), CertBuilder.name("device-serial-number", "Acme", "IoT"), BIRTH, 365);
        assertThat(CertText.dn(c.getSubjectX500Principal().getEncoded())).isEqualTo("CN=device-serial-number, O=Acme, OU=IoT");
    }

    @Test
    void issuerIsTheDevice() throws Exception {
        X509Certificate c = CertBuilder.selfSigned(Keys.newEcP256(), CertBuilder.name("device-serial-number", "Acme", "IoT"), BIRTH, 365);
        assertThat(CertText.dn(c.getIssuerX500Principal().getEncoded())).isEqualTo("CN=device-serial-number, O=Acme, OU=IoT");
        assertThat(c.getIssuerX500Principal()).isEqualTo(c.getSubjectX500Principal());
    }

    @Test
    void notBeforeIsTheBirthDate() throws Exception {
        X509Certificate c = CertBuilder.selfSigned(Keys.newEcP256(), CertBuilder.name("some-id", "Thin Edge", "Test Device"), BIRTH, 365);
        assertThat(CertText.rfc2822(c.getNotBefore().toInstant())).isEqualTo("Wed, 31 Mar 2021 15:39:57 +0000");
    }

    @Test
    void notAfterIsTheBirthDatePlusTheValidityPeriod() throws Exception {
        X509Certificate c = CertBuilder.selfSigned(Keys.newEcP256(), CertBuilder.name("some-id", "Thin Edge", "Test Device"), BIRTH, 10);
        assertThat(CertText.rfc2822(c.getNotAfter().toInstant())).isEqualTo("Sat, 10 Apr 2021 15:39:57 +0000");
        assertThat(Duration.between(c.getNotBefore().toInstant(), c.getNotAfter().toInstant())).isEqualTo(Duration.ofDays(10));
    }

    @Test
    void serialIsRandomAndPositive() throws Exception {
        KeyPair kp = Keys.newEcP256();
        X509Certificate a = CertBuilder.selfSigned(kp, CertBuilder.name("a", "Thin Edge", "Test Device"), BIRTH, 1);
        X509Certificate b = CertBuilder.selfSigned(kp, CertBuilder.name("a", "Thin Edge", "Test Device"), BIRTH, 1);
        assertThat(a.getSerialNumber().signum()).isEqualTo(1);
        assertThat(b.getSerialNumber().signum()).isEqualTo(1);
        assertThat(a.getSerialNumber()).isNotEqualTo(b.getSerialNumber());
    }

    @Test
    void dnValuesAreShownUnescaped() throws Exception {
        X509Certificate c = CertBuilder.selfSigned(Keys.newEcP256(), CertBuilder.name("a,b=c", "Thin Edge", "Test Device"), BIRTH, 1);
        assertThat(CertText.dn(c.getSubjectX500Principal().getEncoded())).isEqualTo("CN=a,b=c, O=Thin Edge, OU=Test Device");
        assertThat(CertText.commonName(c.getSubjectX500Principal().getEncoded())).isEqualTo("a,b=c");
    }
}
