package io.tedge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link X509Fields} against two independent readers: certificates made by openssl, read back by
 * the JDK's {@code CertificateFactory}; malformed and mutated DER must give a
 * {@link CertificateException}, never another exception.
 */
class X509FieldsTest {
    @TempDir
    Path dir;

    private byte[] openssl(String name, String... reqArgs) throws Exception {
        Path cert = dir.resolve(name + ".pem");
        List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-x509", "-nodes", "-keyout", dir.resolve(name + ".key").toString(),
                "-out", cert.toString()));
        cmd.addAll(List.of(reqArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return Files.readAllBytes(cert);
    }

    private static X509Certificate jdk(byte[] pemOrDer) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pemOrDer));
    }

    private static String jdkCommonName(X509Certificate c) throws Exception {
        for (Rdn rdn : new LdapName(c.getSubjectX500Principal().getName()).getRdns()) {
            javax.naming.directory.Attribute cn = rdn.toAttributes().get("CN"); // any AVA of a multi-valued RDN
            if (cn != null) return cn.get().toString();
        }
        return null;
    }

    private static void assertSameAsTheJdk(byte[] pem) throws Exception {
        X509Certificate c = jdk(pem);
        X509Fields f = X509Fields.read(pem);
        assertThat(f.encoded()).isEqualTo(c.getEncoded());
        assertThat(f.subject()).isEqualTo(c.getSubjectX500Principal().getEncoded());
        assertThat(f.issuer()).isEqualTo(c.getIssuerX500Principal().getEncoded());
        assertThat(f.notBefore()).isEqualTo(c.getNotBefore().toInstant());
        assertThat(f.notAfter()).isEqualTo(c.getNotAfter().toInstant());
        assertThat(f.subjectCommonName()).isEqualTo(jdkCommonName(c));
        assertThat(X509Fields.parse(c.getEncoded()).notAfter()).isEqualTo(f.notAfter());
    }

    @Test
    void ecCertificateWithUtcTimes() throws Exception {
        byte[] pem = openssl("ec", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-days", "365",
                "-subj", "/CN=dev-1/O=Thin Edge/OU=Test Device");
        assertSameAsTheJdk(pem);
        assertThat(X509Fields.read(pem).subjectCommonName()).isEqualTo("dev-1");
    }

    @Test
    void rsaCertificateWithLongLengthsAndAMultiValuedName() throws Exception {
        byte[] pem = openssl("rsa", "-newkey", "rsa:2048", "-days", "2", "-multivalue-rdn",
                "-subj", "/CN=a\\, b+serialNumber=42/O=x=y \"z\"");
        assertSameAsTheJdk(pem);
        X509Fields f = X509Fields.read(pem);
        assertThat(f.subjectCommonName()).isEqualTo("a, b");
        assertThat(X509Fields.rdns(f.subject())).hasSize(2);
        assertThat(X509Fields.rdns(f.subject()).get(1)).containsExactly(Map.entry("O", "x=y \"z\""));
    }

    @Test
    void generalizedTimesAfter2049AndUtf8Names() throws Exception {
        byte[] pem = openssl("late", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-days", "30000", "-utf8",
                "-subj", "/CN=Ger\u00e4t-\u00df/O=\u65e5\u672c");
        assertSameAsTheJdk(pem);
        X509Fields f = X509Fields.read(pem);
        assertThat(f.notAfter()).isAfter(Instant.parse("2050-01-01T00:00:00Z"));
        assertThat(f.subjectCommonName()).isEqualTo("Ger\u00e4t-\u00df");
        assertThat(X509Fields.rdns(f.subject()).get(1)).containsExactly(Map.entry("O", "\u65e5\u672c"));
    }

    @Test
    void derWithoutPemIsReadToo() throws Exception {
        byte[] der = jdk(TestCerts.selfSignedPem("raw").getBytes(StandardCharsets.US_ASCII)).getEncoded();
        assertThat(X509Fields.read(der).subjectCommonName()).isEqualTo("raw");
    }

    @Test
    void malformedInputGivesTheReason() throws Exception {
        byte[] der = TestCerts.selfSignedDer("dev");
        assertThatThrownBy(() -> X509Fields.read(new byte[0])).isInstanceOf(CertificateException.class)
                .hasMessage("no certificate (no PEM CERTIFICATE block)");
        assertThatThrownBy(() -> X509Fields.read("hello".getBytes(StandardCharsets.US_ASCII)))
                .hasMessage("no certificate (no PEM CERTIFICATE block)");
        assertThatThrownBy(() -> X509Fields.read("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n".getBytes(StandardCharsets.US_ASCII)))
                .hasMessage("invalid base64 in a PEM CERTIFICATE block");
        assertThatThrownBy(() -> X509Fields.read("-----BEGIN CERTIFICATE-----\nAAAA\n".getBytes(StandardCharsets.US_ASCII)))
                .hasMessage("a PEM CERTIFICATE block without its END line");
        assertThatThrownBy(() -> X509Fields.parse(Arrays.copyOf(der, der.length - 1))).isInstanceOf(CertificateException.class)
                .hasMessageStartingWith("the Certificate is truncated");
        assertThatThrownBy(() -> X509Fields.parse(Arrays.copyOf(der, der.length + 1)))
                .hasMessage("1 unexpected bytes after the Certificate");
        byte[] noSeconds = replace(der, "Z".getBytes(StandardCharsets.US_ASCII)[0]);
        assertThatThrownBy(() -> X509Fields.parse(noSeconds)).isInstanceOf(CertificateException.class)
                .hasMessageStartingWith("the notBefore is not");
    }

    /** The certificate with the first time's last digit of seconds replaced by the byte given. */
    private static byte[] replace(byte[] der, byte with) {
        byte[] out = der.clone();
        for (int i = 0; i < out.length - 15; i++) {
            if (out[i] == 0x17 && out[i + 1] == 13 && out[i + 14] == 'Z') {
                out[i + 13] = with;
                return out;
            }
        }
        throw new AssertionError("no UTCTime");
    }

    /** Random damage: a CertificateException or the JDK's own reading, never anything else. */
    @Test
    void mutatedCertificatesFailCleanlyOrAgreeWithTheJdk() throws Exception {
        byte[] der = TestCerts.selfSignedDer("mutant");
        Random random = new Random(20261202);
        int agreed = 0;
        for (int round = 0; round < 20_000; round++) {
            byte[] m = der.clone();
            switch (random.nextInt(3)) {
                case 0 -> m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                case 1 -> m = Arrays.copyOf(m, random.nextInt(m.length));
                default -> {
                    int at = random.nextInt(m.length);
                    m[at] = (byte) (m[at] ^ (1 << random.nextInt(8)));
                    m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                }
            }
            X509Fields f;
            try {
                f = X509Fields.parse(m);
            } catch (CertificateException e) {
                continue;
            }
            X509Certificate c;
            try {
                c = jdk(m);
            } catch (CertificateException | RuntimeException e) {
                continue; // we read the framing only: a damaged key or signature is still shown
            }
            assertThat(f.subject()).isEqualTo(c.getSubjectX500Principal().getEncoded());
            assertThat(f.notBefore()).isEqualTo(c.getNotBefore().toInstant());
            assertThat(f.notAfter()).isEqualTo(c.getNotAfter().toInstant());
            agreed++;
        }
        assertThat(agreed).as("mutations both readers accept").isGreaterThan(100);
    }
}
