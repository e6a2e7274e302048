package io.tedge.certs.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import io.tedge.certs.CertException;

/**
 * Trust anchors from a PEM file (one or more certificates) or a folder of PEM files such as
 * /etc/ssl/certs. In a folder, files that cannot be read or hold no certificate are skipped;
 * sub-folders are not searched.
 */
public final class Anchors {
    private static final long MAX_FILE = 16L * 1024 * 1024;

    private Anchors() {
    }

    /**
     * The certificates at {@code path}. {@code key} names the configuration key that gave the
     * path (for the error texts), or is null.
     */
    public static List<X509Certificate> load(Path path, String key) throws CertException {
        String hint = key == null ? "" : "\nCheck " + key + " (`tedge config get " + key + "`).";
        if (!Files.exists(path)) {
            throw new CertException("The trusted root certificate path " + path + " does not exist." + hint);
        }
        Set<X509Certificate> out = new LinkedHashSet<>();
        if (Files.isDirectory(path)) {
            List<Path> files;
            try (Stream<Path> s = Files.list(path)) {
                files = s.sorted().toList();
            } catch (IOException e) {
                throw new CertException("Cannot read the folder " + path + ": " + Texts.reason(e) + hint);
            }
            for (Path f : files) {
                try {
                    if (Files.isRegularFile(f) && Files.isReadable(f) && Files.size(f) <= MAX_FILE) out.addAll(parse(Files.readAllBytes(f)));
                } catch (IOException | CertificateException | RuntimeException e) {
                    // not a certificate file, or not readable: skip it, as openssl's CApath does
                }
            }
        } else {
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(path);
            } catch (IOException e) {
                throw new CertException("Cannot read the trusted root certificate file " + path + ": " + Texts.reason(e) + hint);
            }
            try {
                out.addAll(parse(bytes));
            } catch (CertificateException e) {
                throw new CertException("The file " + path + " holds an invalid certificate: " + Texts.reason(e) + hint);
            }
        }
        if (out.isEmpty()) {
            throw new CertException("No certificate found in " + path + " (expected PEM blocks BEGIN CERTIFICATE)." + hint);
        }
        return new ArrayList<>(out);
    }

    /** The certificates of a PEM text, or of a single DER certificate. */
    static List<X509Certificate> parse(byte[] bytes) throws CertificateException {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        if (text.contains("-----BEGIN ")) return Pem.certificates(text);
        if (bytes.length > 0 && bytes[0] == 0x30) {
            return List.of((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(bytes)));
        }
        return List.of();
    }
}
