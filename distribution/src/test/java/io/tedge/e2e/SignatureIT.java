package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * plugins.require_signature = true: a jar signed (JDK jarsigner) by a certificate of
 * plugins/trusted/ is installed from deploy/; the unsigned shipped jars and a tampered copy of the
 * signed one are refused, with a log line, a tedge/errors message and a line in tedge plugins.
 */
class SignatureIT {
    @TempDir
    Path dir;

    static void jdk(String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of(cmd));
        c.set(0, Path.of(System.getProperty("java.home"), "bin", cmd[0]).toString());
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
    }

    static void deploy(Path jar, String name) throws Exception {
        Path tmp = Agent.HOME.resolve("deploy/." + name + ".tmp");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, Agent.HOME.resolve("deploy/" + name), StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void onlyJarsSignedByATrustedCertificateAreInstalled() throws Exception {
        Path ks = dir.resolve("vendor.p12");
        jdk("keytool", "-genkeypair", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "secret", "-alias", "vendor",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=ACME plug-in signing", "-validity", "30");
        Path cfg = dir.resolve("cfg");
        new Agent(cfg);
        Files.writeString(cfg.resolve("tedge.toml"), Files.readString(cfg.resolve("tedge.toml")) + "\n[plugins]\nrequire_signature = true\n");
        Path trusted = Files.createDirectories(cfg.resolve("plugins/trusted"));
        jdk("keytool", "-exportcert", "-rfc", "-keystore", ks.toString(), "-storepass", "secret", "-alias", "vendor", "-file",
                trusted.resolve("vendor.pem").toString());

        Path signed = dir.resolve("signed.jar");
        Files.copy(Agent.HOME.resolve("deploy/tedge-aws.jar"), signed);
        jdk("jarsigner", "-keystore", ks.toString(), "-storepass", "secret", signed.toString(), "vendor");
        Path tampered = dir.resolve("tampered.jar");
        try (JarFile in = new JarFile(signed.toFile(), false); OutputStream o = Files.newOutputStream(tampered);
             JarOutputStream out = new JarOutputStream(o)) {
            Enumeration<JarEntry> es = in.entries();
            boolean changed = false;
            while (es.hasMoreElements()) {
                JarEntry e = es.nextElement();
                out.putNextEntry(new JarEntry(e.getName()));
                try (InputStream is = in.getInputStream(e)) {
                    byte[] b = is.readAllBytes();
                    if (!changed && e.getName().endsWith(".class")) {
                        b[b.length - 1] ^= 1;
                        changed = true;
                    }
                    out.write(b);
                }
                out.closeEntry();
            }
        }

        try {
            deploy(signed, "zz-signed-aws.jar");
            try (Agent agent = new Agent(cfg, AwsIT.port(cfg)).startAndWait()) {
                Agent.await("the signed connector and the refused jars in tedge plugins", Duration.ofSeconds(30), () -> {
                    try {
                        String out = agent.tedge("plugins").out();
                        return out.matches("(?s).*connector +aws +io.tedge.aws +1\\.0\\.0 +ACTIVE.*") && out.contains("tedge-c8y.jar");
                    } catch (Exception e) {
                        return false;
                    }
                });
                String plugins = agent.tedge("plugins").out();
                assertThat(plugins).containsPattern("refused +tedge-c8y.jar +- +- +REFUSED").containsPattern("refused +tedge-az.jar")
                        .containsPattern("refused +tedge-aws.jar").doesNotContain("connector  c8y");
                assertThat(agent.console()).contains("Refused to install tedge-c8y.jar from deploy/: not signed");

                try (Local app = new Local(agent.port, "signature-watch").subscribe("tedge/errors")) {
                    deploy(tampered, "zz-tampered.jar");
                    assertThat(app.await("tedge/errors", 30)).contains("Refused to install zz-tampered.jar from deploy/: tampered");
                }
                assertThat(agent.tedge("plugins").out()).containsPattern("refused +zz-tampered.jar");
            }
        } finally {
            Files.deleteIfExists(Agent.HOME.resolve("deploy/zz-signed-aws.jar"));
            Files.deleteIfExists(Agent.HOME.resolve("deploy/zz-tampered.jar"));
        }
    }
}
