package io.tedge.certs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Private keys written by openssl, read back: PKCS#8 with the JDK alone, the other forms through Bouncy Castle. */
class KeysTest {
    @TempDir
    Path dir;

    private Path openssl(String name, String... args) throws Exception {
        Path out = dir.resolve(name);
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-out", out.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return out;
    }

    /** The key as the JDK reads openssl's own DER export of it: the independent reading. */
    private PrivateKey der(Path pem, String alg) throws Exception {
        Path der = openssl(pem.getFileName() + ".der", "pkcs8", "-topk8", "-nocrypt", "-in", pem.toString(), "-outform", "DER");
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(Files.readAllBytes(der)));
    }

    @Test
    void pkcs8KeysAreReadWithoutBouncyCastle() throws Exception {
        Path ec = openssl("ec.pem", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        Path rsa = openssl("rsa.pem", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048");
        Path ed = openssl("ed.pem", "genpkey", "-algorithm", "ED25519");
        for (Object[] c : new Object[][] {{ec, "EC"}, {rsa, "RSA"}, {ed, "Ed25519"}}) {
            Path pem = (Path) c[0];
            String text = Files.readString(pem);
            assertThat(text).startsWith("-----BEGIN PRIVATE KEY-----");
            PrivateKey fast = Keys.plainPkcs8(text);
            assertThat(fast).as(pem.toString()).isNotNull();
            assertThat(fast.getEncoded()).isEqualTo(der(pem, (String) c[1]).getEncoded());
            assertThat(Keys.read(pem).getEncoded()).isEqualTo(fast.getEncoded());
        }
    }

    @Test
    void otherFormsGoThroughBouncyCastleAsBefore() throws Exception {
        Path pkcs8 = openssl("ec.pem", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        // SEC1 (BEGIN EC PRIVATE KEY) of the same key
        Path sec1 = openssl("sec1.pem", "ec", "-in", pkcs8.toString());
        String text = Files.readString(sec1);
        assertThat(text).contains("-----BEGIN EC PRIVATE KEY-----");
        assertThat(Keys.plainPkcs8(text)).isNull();
        assertThat(((java.security.interfaces.ECPrivateKey) Keys.read(sec1)).getS())
                .isEqualTo(((java.security.interfaces.ECPrivateKey) Keys.read(pkcs8)).getS());
        // a certificate before the key: the first PEM object is not the key, Bouncy Castle skips it
        Path cert = openssl("cert.pem", "req", "-x509", "-new", "-key", pkcs8.toString(), "-subj", "/CN=k", "-days", "1");
        String both = Files.readString(cert) + Files.readString(pkcs8);
        assertThat(Keys.plainPkcs8(both)).isNull();
        assertThat(Keys.parse(both, "both.pem").getEncoded()).isEqualTo(Keys.read(pkcs8).getEncoded());
        // damaged base64 or an indented PEM is not guessed at: Bouncy Castle's answer stays the one the user sees
        String key = Files.readString(pkcs8);
        String lines[] = key.split("\n");
        String damaged = key.replace(lines[1], lines[1].substring(0, 10) + "!*." + lines[1].substring(10));
        assertThat(Keys.plainPkcs8(damaged)).isNull();
        assertThatThrownBy(() -> Keys.parse(damaged, "damaged.pem")).isInstanceOf(io.tedge.certs.CertException.class);
        String indented = key.replaceAll("(?m)^", "  ");
        assertThat(Keys.plainPkcs8(indented)).isNull();
        assertThatThrownBy(() -> Keys.parse(indented, "indented.pem")).isInstanceOf(io.tedge.certs.CertException.class);
        assertThat(Keys.plainPkcs8(key.replace("\n", "\r\n"))).isNotNull(); // CRLF, as a file from Windows
    }
}
