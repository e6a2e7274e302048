package io.tedge.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throw-away PKI for tests: one CA (EC P-256) that issues server certificates (SAN
 * {@code DNS:localhost}, {@code IP:127.0.0.1}) and client certificates, plus self-signed device
 * certificates in thin-edge.io's style. Everything lives in memory until written as PEM.
 */
public final class TestPki {

    /** Key algorithm of an issued certificate. */
    public enum KeyType { EC_P256, RSA_2048 }

    /**
     * A private key with its certificate chain, leaf first.
     */
    public record Issued(PrivateKey key, List<X509Certificate> chain) {
        public Issued {
            chain = List.copyOf(chain);
        }

        public X509Certificate cert() {
            return chain.get(0);
        }

        /** The leaf certificate as PEM. */
        public String certPem() {
            return pem("CERTIFICATE", encoded(cert()));
        }

        /** The whole chain as PEM, leaf first. */
        public String chainPem() {
            StringBuilder sb = new StringBuilder();
            for (X509Certificate c : chain) sb.append(pem("CERTIFICATE", encoded(c)));
            return sb.toString();
        }

        /** The key as PKCS#8 PEM ({@code BEGIN PRIVATE KEY}). */
        public String keyPem() {
            return pem("PRIVATE KEY", key.getEncoded());
        }

        /**
         * The key in openssl's traditional format: {@code BEGIN EC PRIVATE KEY} (SEC1, with the
         * curve and the public key, as openssl writes it) or {@code BEGIN RSA PRIVATE KEY} (PKCS#1).
         */
        public String keyPemTraditional() {
            try {
                PrivateKeyInfo pki = PrivateKeyInfo.getInstance(key.getEncoded());
                if (key.getAlgorithm().equals("EC")) {
                    ECPrivateKey inner = ECPrivateKey.getInstance(pki.parsePrivateKey());
                    DERBitString pub = new DERBitString(SubjectPublicKeyInfo.getInstance(cert().getPublicKey().getEncoded()).getPublicKeyData().getBytes());
                    int bits = ((java.security.interfaces.ECPrivateKey) key).getParams().getOrder().bitLength();
                    ASN1Encodable curve = pki.getPrivateKeyAlgorithm().getParameters();
                    return pem("EC PRIVATE KEY", new ECPrivateKey(bits, inner.getKey(), pub, curve).getEncoded());
                }
                return pem("RSA PRIVATE KEY", pki.parsePrivateKey().toASN1Primitive().getEncoded());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public Path writeCert(Path file) {
            return write(file, certPem());
        }

        public Path writeChain(Path file) {
            return write(file, chainPem());
        }

        public Path writeKey(Path file) {
            return write(file, keyPem());
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Issued ca;

    private TestPki(Issued ca) {
        this.ca = ca;
    }

    /** A new CA with subject {@code CN=<name>, O=tedge testkit}. */
    public static TestPki create(String name) {
        KeyPair kp = keyPair(KeyType.EC_P256);
        X500Name dn = dn(name, "tedge testkit", null);
        X509Certificate cert = build(dn, kp.getPublic(), dn, kp.getPrivate(), null, true, null, Duration.ofDays(2), false);
        return new TestPki(new Issued(kp.getPrivate(), List.of(cert)));
    }

    public Issued ca() {
        return ca;
    }

    public X509Certificate caCert() {
        return ca.cert();
    }

    public String caPem() {
        return ca.certPem();
    }

    public Path writeCaPem(Path file) {
        return write(file, caPem());
    }

    /** A server certificate (EKU serverAuth, SAN DNS:localhost and IP:127.0.0.1); chain = leaf, CA. */
    public Issued issueServer(String cn) {
        return issue(cn, KeyType.EC_P256, true);
    }

    /** A client certificate (CA:FALSE, EKU clientAuth) for {@code CN=<cn>}; chain = leaf, CA. */
    public Issued issueClient(String cn) {
        return issueClient(cn, KeyType.EC_P256);
    }

    public Issued issueClient(String cn, KeyType type) {
        return issue(cn, type, false);
    }

    private Issued issue(String cn, KeyType type, boolean server) {
        KeyPair kp = keyPair(type);
        X509Certificate cert = build(dn(cn, "tedge testkit", null), kp.getPublic(), issuerName(), ca.key(), caCert(),
                false, server ? KeyPurposeId.id_kp_serverAuth : KeyPurposeId.id_kp_clientAuth, Duration.ofDays(2), server);
        return new Issued(kp.getPrivate(), List.of(cert, caCert()));
    }

    /**
     * A self-signed device certificate as thin-edge.io makes it: EC P-256, ecdsa-with-SHA256,
     * {@code CN=<cn>, O=Thin Edge, OU=Test Device}, CA:TRUE. Also serves as a "rogue" certificate
     * that nobody trusts.
     */
    public static Issued selfSignedDevice(String cn) {
        KeyPair kp = keyPair(KeyType.EC_P256);
        X500Name dn = dn(cn, "Thin Edge", "Test Device");
        return new Issued(kp.getPrivate(), List.of(build(dn, kp.getPublic(), dn, kp.getPrivate(), null, true, null, Duration.ofDays(365), false)));
    }

    /** A self-signed certificate that is not a CA (BasicConstraints CA:FALSE): Cumulocity refuses it. */
    public static Issued selfSignedLeaf(String cn) {
        KeyPair kp = keyPair(KeyType.EC_P256);
        X500Name dn = dn(cn, "Thin Edge", "Test Device");
        return new Issued(kp.getPrivate(), List.of(build(dn, kp.getPublic(), dn, kp.getPrivate(), null, false, null, Duration.ofDays(365), false)));
    }

    /**
     * A server-side TLS context that presents {@code server}'s chain. With a trust manager, a
     * client certificate can be checked by it (whether one is required is set on the socket or
     * engine); with null, the server trusts nothing.
     */
    public static SSLContext serverContext(Issued server, X509TrustManager trust) {
        return context(server, trust == null ? new LiveTrust() : trust);
    }

    /** A server context with a new server certificate of this CA that trusts {@code trust}. */
    public SSLContext serverContext(X509TrustManager trust) {
        return serverContext(issueServer("localhost"), trust);
    }

    /** A client-side TLS context: {@code client} may be null (no client certificate). */
    public static SSLContext clientContext(Issued client, X509TrustManager trust) {
        return context(client, trust);
    }

    /** A client context that trusts this CA and presents no certificate. */
    public SSLContext clientContext() {
        return context(null, new LiveTrust(caCert()));
    }

    private static SSLContext context(Issued identity, X509TrustManager trust) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            KeyManager[] kms = identity == null ? new KeyManager[0] : new KeyManager[] {new OneKey(identity)};
            ctx.init(kms, new TrustManager[] {trust}, RANDOM);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM text of one DER object, lines of 64 characters, ending with a newline. */
    public static String pem(String type, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
    }

    /** PEM of these certificates, in order. */
    public static String pem(X509Certificate... certs) {
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : certs) sb.append(pem("CERTIFICATE", encoded(c)));
        return sb.toString();
    }

    /**
     * The certificates of a PEM (or DER) file, in order: a device certificate that
     * {@code tedge cert create} wrote, to register it with a stand-in. Throws IOException when
     * the file cannot be read or holds no certificate.
     */
    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) out.add((X509Certificate) c);
            if (out.isEmpty()) throw new IOException("no certificate in " + file);
            return out;
        } catch (CertificateException e) {
            throw new IOException("not a certificate file: " + file + ": " + e.getMessage(), e);
        }
    }

    /** The first certificate of a PEM (or DER) file (see {@link #readCertificates}). */
    public static X509Certificate readCertificate(Path file) throws IOException {
        return readCertificates(file).get(0);
    }

    /** Writes text to a file, creating its parent folders. */
    public static Path write(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, text, StandardCharsets.US_ASCII);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private X500Name issuerName() {
        return X500Name.getInstance(caCert().getSubjectX500Principal().getEncoded());
    }

    private static byte[] encoded(X509Certificate c) {
        try {
            return c.getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X500Name dn(String cn, String o, String ou) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        b.addRDN(BCStyle.CN, cn);
        if (o != null) b.addRDN(BCStyle.O, o);
        if (ou != null) b.addRDN(BCStyle.OU, ou);
        return b.build();
    }

    static KeyPair keyPair(KeyType type) {
        try {
            if (type == KeyType.RSA_2048) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048, RANDOM);
                return g.generateKeyPair();
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate build(X500Name subject, PublicKey subjectKey, X500Name issuer, PrivateKey signer,
            X509Certificate issuerCert, boolean ca, KeyPurposeId eku, Duration validity, boolean serverSan) {
        try {
            Instant notBefore = Instant.now().minus(Duration.ofHours(1));
            Instant notAfter = notBefore.plus(validity);
            BigInteger serial = new BigInteger(64, RANDOM).add(BigInteger.ONE);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, serial, Date.from(notBefore),
                    Date.from(notAfter), subject, subjectKey);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
            b.addExtension(Extension.authorityKeyIdentifier, false, issuerCert == null
                    ? ext.createAuthorityKeyIdentifier(subjectKey) : ext.createAuthorityKeyIdentifier(issuerCert));
            if (ca) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
            } else {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature
                        | (subjectKey.getAlgorithm().equals("RSA") ? KeyUsage.keyEncipherment : 0)));
            }
            if (eku != null) b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
            if (serverSan) {
                b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            }
            String alg = signer.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder(alg).build(signer)));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot build a test certificate", e);
        }
    }

    /** A key manager with one identity, sent whatever issuers the peer asks for. */
    private static final class OneKey extends X509ExtendedKeyManager {
        private static final String ALIAS = "identity";
        private final Issued identity;

        OneKey(Issued identity) {
            this.identity = identity;
        }

        private String alias(String... keyTypes) {
            String alg = identity.key().getAlgorithm();
            for (String t : keyTypes) {
                if (t == null || t.equals(alg) || (alg.equals("EC") && t.startsWith("EC")) || t.startsWith(alg + "_")) return ALIAS;
            }
            return null;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return alias(keyType) == null ? null : new String[] {ALIAS};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return alias(keyType);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return alias(keyType);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return alias(keyType) == null ? null : new String[] {ALIAS};
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return alias(keyType);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return alias(keyType);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? identity.chain().toArray(new X509Certificate[0]) : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? identity.key() : null;
        }
    }
}
