package io.tedge.certs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;

import io.tedge.certs.internal.Anchors;
import io.tedge.certs.internal.DeviceKeyManager;
import io.tedge.certs.internal.Keys;
import io.tedge.certs.internal.Pem;
import io.tedge.certs.internal.Texts;
import io.tedge.certs.internal.TlsSupport;
import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfig;

/**
 * Client TLS contexts for the cloud connections. Every context speaks TLS 1.2 or 1.3 only, and
 * verifies the server's host name on each socket or engine it makes. Trust anchors come from a
 * PEM file (one or several certificates) or a folder of PEM files such as /etc/ssl/certs.
 */
public final class TlsContexts {
    private TlsContexts() {
    }

    /**
     * A mutual-TLS client context: the device key ({@code keyPem}: PKCS#8, SEC1 EC or PKCS#1 RSA,
     * unencrypted) and certificate ({@code certPem}: the leaf, possibly followed by its chain, all
     * sent to the server), trusting the anchors at {@code trust}.
     */
    public static SSLContext mutualTls(Path keyPem, Path certPem, Path trust) throws CertException {
        return mutualTls(keyPem, certPem, trust, null);
    }

    /** A client context without a client certificate, trusting the anchors at {@code trust}. */
    public static SSLContext trustOnly(Path trust) throws CertException {
        return TlsSupport.clientContext(new KeyManager[0], Anchors.load(trust, null));
    }

    /**
     * The mutual-TLS context of a cloud: {@code device.key.path}, {@code device.cert.path} and
     * {@code <cloud>.root.cert.path} of the configuration (e.g. cloud {@code c8y} or {@code az}).
     */
    public static SSLContext forCloud(TedgeConfig config, String cloud) throws CertException {
        String rootKey = cloud + ".root.cert.path";
        try {
            return mutualTls(Path.of(config.require("device.key.path")), Path.of(config.require("device.cert.path")),
                    Path.of(config.require(rootKey)), rootKey);
        } catch (ConfigException e) {
            throw new CertException(e.getMessage(), e);
        }
    }

    /** The trust anchors at a PEM file or a folder of PEM files (unreadable or non-PEM files in a folder are skipped). */
    public static List<X509Certificate> trustAnchors(Path fileOrDir) throws CertException {
        return Anchors.load(fileOrDir, null);
    }

    /** The certificates of a PEM file, in order (for a device certificate: leaf first). */
    public static List<X509Certificate> readCertificates(Path pemFile) throws CertException {
        String text;
        try {
            text = Files.readString(pemFile, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new CertException(Texts.certificateNotFound(pemFile));
        } catch (IOException e) {
            throw new CertException("Cannot read the certificate " + pemFile + ": " + Texts.reason(e));
        }
        try {
            List<X509Certificate> certs = Pem.certificates(text);
            if (certs.isEmpty()) throw new CertException("No certificate found in " + pemFile + " (expected a PEM block BEGIN CERTIFICATE).");
            return certs;
        } catch (CertificateException e) {
            throw new CertException("The file " + pemFile + " holds an invalid certificate: " + Texts.reason(e));
        }
    }

    private static SSLContext mutualTls(Path keyPem, Path certPem, Path trust, String trustKey) throws CertException {
        List<X509Certificate> chain = readCertificates(certPem);
        PrivateKey key = Keys.read(keyPem);
        if (!Keys.matches(key, chain.get(0).getPublicKey())) {
            throw new CertException("The private key " + keyPem + " does not belong to the certificate " + certPem + ".");
        }
        List<X509Certificate> anchors = Anchors.load(trust, trustKey);
        return TlsSupport.clientContext(new KeyManager[] {new DeviceKeyManager(key, chain.toArray(new X509Certificate[0]))}, anchors);
    }
}
