package io.tedge.plugins.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Whether a jar is signed by a trusted certificate, with the JDK's jar verification
 * ({@link JarFile} with verification on): every entry but the signature files themselves must be
 * covered by a signature whose digest matches (a changed entry throws a
 * {@link SecurityException} while it is read), and at least one signer's certificate chain must
 * contain a certificate of the trusted folder (the signer's own certificate, or a CA that issued
 * it). Certificate dates are not checked: a device's clock may be wrong, and a release stays
 * trusted after its signing certificate expires.
 */
final class JarTrust {
    /** The verdict: null reason when trusted. */
    record Verdict(String reason) {
        boolean trusted() {
            return reason == null;
        }
    }

    private final List<X509Certificate> trusted;

    JarTrust(List<X509Certificate> trusted) {
        this.trusted = List.copyOf(trusted);
    }

    /** The certificates (PEM or DER, .pem .crt .cer, several per PEM file) of a folder; none when it is missing. */
    static JarTrust fromFolder(Path dir, List<String> problems) {
        List<X509Certificate> certs = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                for (Path p : ds) {
                    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                    if (!(n.endsWith(".pem") || n.endsWith(".crt") || n.endsWith(".cer"))) continue;
                    try (InputStream in = Files.newInputStream(p)) {
                        for (Certificate c : cf.generateCertificates(in)) {
                            if (c instanceof X509Certificate x) certs.add(x);
                        }
                    } catch (IOException | CertificateException e) {
                        problems.add("Cannot read the trusted certificate " + p + ": " + e.getMessage());
                    }
                }
            } catch (IOException | CertificateException e) {
                problems.add("Cannot read the folder of trusted certificates " + dir + ": " + e.getMessage());
            }
        }
        return new JarTrust(certs);
    }

    int size() {
        return trusted.size();
    }

    Verdict verify(Path jar) {
        if (trusted.isEmpty()) return new Verdict("no trusted certificate: put the signer's certificate into plugins/trusted/ of the config dir");
        try (JarFile jf = new JarFile(jar.toFile(), true)) {
            byte[] buf = new byte[8192];
            boolean anyEntry = false;
            boolean trustedSigner = false;
            Enumeration<JarEntry> entries = jf.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                try (InputStream in = jf.getInputStream(e)) {
                    while (in.read(buf) >= 0) {
                        // reading the whole entry checks its digest against the signature
                    }
                }
                if (e.isDirectory() || isSignatureFile(e.getName())) continue;
                anyEntry = true;
                CodeSigner[] signers = e.getCodeSigners();
                if (signers == null || signers.length == 0) return new Verdict("not signed (" + e.getName() + " is not covered by a signature)");
                boolean ok = false;
                for (CodeSigner s : signers) {
                    if (trusts(s)) ok = true;
                }
                if (!ok) return new Verdict("not signed by a trusted certificate (signer: " + subject(signers[0]) + ")");
                trustedSigner = true;
            }
            if (!anyEntry || !trustedSigner) return new Verdict("not signed (no signed content)");
            return new Verdict(null);
        } catch (SecurityException e) {
            return new Verdict("tampered: " + e.getMessage());
        } catch (IOException e) {
            return new Verdict("unreadable: " + e.getMessage());
        }
    }

    private boolean trusts(CodeSigner s) {
        for (Certificate c : s.getSignerCertPath().getCertificates()) {
            if (trusted.contains(c)) return true;
        }
        return false;
    }

    private static String subject(CodeSigner s) {
        List<? extends Certificate> chain = s.getSignerCertPath().getCertificates();
        return chain.isEmpty() ? "?" : ((X509Certificate) chain.get(0)).getSubjectX500Principal().getName();
    }

    static boolean isSignatureFile(String name) {
        String n = name.toUpperCase(Locale.ROOT);
        if (n.equals("META-INF/MANIFEST.MF")) return true;
        if (!n.startsWith("META-INF/") || n.indexOf('/', 9) >= 0) return false;
        return n.endsWith(".SF") || n.endsWith(".RSA") || n.endsWith(".DSA") || n.endsWith(".EC") || n.startsWith("META-INF/SIG-");
    }
}
