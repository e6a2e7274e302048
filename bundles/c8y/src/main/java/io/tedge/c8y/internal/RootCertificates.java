package io.tedge.c8y.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A TLS client context that trusts the certificates of {@code c8y.root.cert.path}: a PEM file
 * (one or more certificates) or a folder of them such as /etc/ssl/certs (files that hold no
 * certificate are skipped, as openssl's CApath does). TLS 1.2 or 1.3; the HTTP client verifies
 * the server's host name.
 */
final class RootCertificates {
    private static final Pattern PEM = Pattern.compile("-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+?)-----END CERTIFICATE-----");
    private static final long MAX_FILE = 16L * 1024 * 1024;

    private RootCertificates() {
    }

    static SSLContext context(Path roots) throws IOException {
        List<Certificate> certs = load(roots);
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            for (int i = 0; i < certs.size(); i++) ks.setCertificateEntry("root-" + i, certs.get(i));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot build a TLS context from " + roots + ": " + e.getMessage(), e);
        }
    }

    static List<Certificate> load(Path roots) throws IOException {
        if (!Files.exists(roots)) {
            throw new IOException("The trusted root certificate path " + roots + " does not exist. Check c8y.root.cert.path (`tedge config get c8y.root.cert.path`).");
        }
        List<Certificate> out = new ArrayList<>();
        if (Files.isDirectory(roots)) {
            List<Path> files;
            try (Stream<Path> s = Files.list(roots)) {
                files = s.sorted().toList();
            }
            for (Path f : files) {
                try {
                    if (Files.isRegularFile(f) && Files.isReadable(f) && Files.size(f) <= MAX_FILE) out.addAll(parse(Files.readAllBytes(f)));
                } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
                    // not a certificate file: skipped
                }
            }
        } else {
            try {
                out.addAll(parse(Files.readAllBytes(roots)));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new IOException("The file " + roots + " holds an invalid certificate: " + e.getMessage(), e);
            }
        }
        if (out.isEmpty()) throw new IOException("No certificate found in " + roots + " (expected PEM blocks BEGIN CERTIFICATE).");
        return out;
    }

    private static List<Certificate> parse(byte[] bytes) throws GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<Certificate> out = new ArrayList<>();
        Matcher m = PEM.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
        while (m.find()) {
            byte[] der = Base64.getMimeDecoder().decode(m.group(1));
            out.add(cf.generateCertificate(new ByteArrayInputStream(der)));
        }
        return out;
    }
}
