package io.tedge.plugins.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jars signed with the JDK's own jarsigner and keytool: the oracle is not our code. */
class JarTrustTest {
    @TempDir
    Path dir;

    static void run(String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of(cmd));
        c.set(0, Path.of(System.getProperty("java.home"), "bin", cmd[0]).toString());
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
    }

    Path jar(String name) throws Exception {
        Path j = dir.resolve(name);
        Manifest mf = new Manifest();
        mf.getMainAttributes().putValue("Manifest-Version", "1.0");
        mf.getMainAttributes().putValue("Bundle-SymbolicName", "x");
        try (OutputStream o = Files.newOutputStream(j); JarOutputStream jo = new JarOutputStream(o, mf)) {
            jo.putNextEntry(new JarEntry("x/A.class"));
            jo.write("the code".getBytes(StandardCharsets.UTF_8));
            jo.closeEntry();
        }
        return j;
    }

    /** A key pair in a PKCS12 store, and its certificate as PEM. */
    Path key(String alias) throws Exception {
        Path ks = dir.resolve(alias + ".p12");
        run("keytool", "-genkeypair", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "secret", "-alias", alias, "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", "CN=" + alias, "-validity", "30");
        Path pem = dir.resolve(alias + ".pem");
        run("keytool", "-exportcert", "-rfc", "-keystore", ks.toString(), "-storepass", "secret", "-alias", alias, "-file", pem.toString());
        return ks;
    }

    void sign(Path jar, Path ks, String alias) throws Exception {
        run("jarsigner", "-keystore", ks.toString(), "-storepass", "secret", jar.toString(), alias);
    }

    JarTrust trusting(String... aliases) throws Exception {
        Path trusted = Files.createDirectories(dir.resolve("trusted-" + String.join("-", aliases)));
        for (String a : aliases) Files.copy(dir.resolve(a + ".pem"), trusted.resolve(a + ".pem"));
        List<String> problems = new ArrayList<>();
        JarTrust t = JarTrust.fromFolder(trusted, problems);
        assertThat(problems).isEmpty();
        return t;
    }

    @Test
    void signedByATrustedCertificateUnsignedOtherSignerAndTampered() throws Exception {
        Path vendor = key("vendor");
        Path other = key("other");
        Path signed = jar("signed.jar");
        sign(signed, vendor, "vendor");
        Path unsigned = jar("unsigned.jar");
        Path foreign = jar("foreign.jar");
        sign(foreign, other, "other");

        JarTrust trust = trusting("vendor");
        assertThat(trust.verify(signed).trusted()).isTrue();
        assertThat(trust.verify(unsigned).reason()).startsWith("not signed");
        assertThat(trust.verify(foreign).reason()).startsWith("not signed by a trusted certificate (signer: CN=other");
        assertThat(trusting("other", "vendor").verify(foreign).trusted()).isTrue();
        assertThat(JarTrust.fromFolder(dir.resolve("none"), new ArrayList<>()).verify(signed).reason()).startsWith("no trusted certificate");

        // the same signature files, one class changed
        Path tampered = dir.resolve("tampered.jar");
        try (JarFile in = new JarFile(signed.toFile(), false); OutputStream o = Files.newOutputStream(tampered);
             JarOutputStream out = new JarOutputStream(o)) {
            Enumeration<JarEntry> es = in.entries();
            while (es.hasMoreElements()) {
                JarEntry e = es.nextElement();
                out.putNextEntry(new JarEntry(e.getName()));
                try (InputStream is = in.getInputStream(e)) {
                    byte[] b = is.readAllBytes();
                    if (e.getName().equals("x/A.class")) b = "evil code".getBytes(StandardCharsets.UTF_8);
                    out.write(b);
                }
                out.closeEntry();
            }
        }
        assertThat(trust.verify(tampered).reason()).startsWith("tampered");
    }
}
