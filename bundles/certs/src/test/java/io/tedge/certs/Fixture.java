package io.tedge.certs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.tedge.config.ConfigException;
import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;

/** Helpers shared by the tests of this module. */
final class Fixture {
    private Fixture() {
    }

    /** Writes the key/value pairs to tedge.toml in {@code dir} and loads it. */
    static TedgeConfig config(Path dir, String... keyValues) throws ConfigException {
        for (int i = 0; i < keyValues.length; i += 2) {
            TedgeConfig.set(dir, ConfigRegistry.core(), keyValues[i], keyValues[i + 1]);
        }
        return TedgeConfig.load(dir, ConfigRegistry.core());
    }

    static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    static X509Certificate readCert(Path p) throws Exception {
        try (var in = Files.newInputStream(p)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    /** Result of a command: exit code and the output (stdout and stderr). */
    record Run(int exit, String out) {
    }

    /** Runs a command with a bounded wait; output goes through a file so nothing can block. */
    static Run run(Path workDir, List<String> command) throws Exception {
        Path out = Files.createTempFile(workDir, "cmd", ".out");
        Process p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }
}
