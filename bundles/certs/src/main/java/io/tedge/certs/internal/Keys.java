package io.tedge.certs.internal;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

import io.tedge.certs.CertException;

/**
 * Private keys: a new EC P-256 key; reading PEM keys (PKCS#8 {@code PRIVATE KEY}, SEC1
 * {@code EC PRIVATE KEY}, PKCS#1 {@code RSA PRIVATE KEY}) into JDK key objects; the public key of
 * a private key; whether a key matches a certificate. Uses the JDK's own crypto providers, so
 * nothing is registered with {@link java.security.Security}.
 */
public final class Keys {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Keys() {
    }

    public static KeyPair newEcP256() throws CertException {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new CertException("Cannot generate an EC P-256 key: " + e.getMessage(), e);
        }
    }

    /** Reads the private key of a PEM file; errors name the file. */
    public static PrivateKey read(Path file) throws CertException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            throw new CertException(Texts.keyNotFound(file));
        } catch (IOException e) {
            throw new CertException("Cannot read the private key " + file + ": " + Texts.reason(e));
        }
        return parse(text, file.toString());
    }

    /** Parses the first private key of a PEM text; {@code where} names it in errors. */
    public static PrivateKey parse(String text, String where) throws CertException {
        PrivateKey plain = plainPkcs8(text);
        if (plain != null) return plain;
        String notAKey = "The file " + where + " holds no private key in PEM format "
                + "(expected BEGIN PRIVATE KEY, BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY).";
        try (PEMParser p = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof PrivateKeyInfo pki) return toJdk(pki, where);
                if (o instanceof PEMKeyPair kp) return toJdk(kp.getPrivateKeyInfo(), where);
                if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                    throw new CertException("The private key " + where + " is encrypted; only unencrypted keys are supported.");
                }
                // other objects (EC PARAMETERS, certificates) are skipped
            }
        } catch (IOException | RuntimeException e) {
            throw new CertException(notAKey + " " + Texts.reason(e));
        }
        throw new CertException(notAKey);
    }

    private static final String PKCS8_BEGIN = "-----BEGIN PRIVATE KEY-----", PKCS8_END = "-----END PRIVATE KEY-----";

    /**
     * An unencrypted PKCS#8 key (what {@code tedge cert create} and openssl 3 write) read with the
     * JDK alone, so that a connect does not load Bouncy Castle's ASN.1 and PEM classes (about 110,
     * and its 7 MiB jar's index); null for anything else (other PEM types, other algorithms,
     * malformed text), which the Bouncy Castle path reads or explains.
     */
    static PrivateKey plainPkcs8(String text) {
        int b = text.indexOf(PKCS8_BEGIN);
        if (b < 0 || b > 0 && text.charAt(b - 1) != '\n' || text.lastIndexOf("-----BEGIN ", b - 1) >= 0) return null; // not the first PEM object, at a line start
        int e = text.indexOf(PKCS8_END, b);
        if (e < 0 || text.charAt(e - 1) != '\n') return null;
        byte[] der;
        try {
            // strict: line breaks are the only thing skipped, anything else that is not base64 is
            // left to Bouncy Castle, which says what is wrong
            der = Base64.getDecoder().decode(text.substring(b + PKCS8_BEGIN.length(), e).replace("\r", "").replace("\n", ""));
        } catch (IllegalArgumentException x) {
            return null;
        }
        try {
            for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
                try {
                    return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
                } catch (GeneralSecurityException | RuntimeException x) {
                    // not this algorithm
                }
            }
            return null;
        } finally {
            Arrays.fill(der, (byte) 0);
        }
    }

    private static PrivateKey toJdk(PrivateKeyInfo pki, String where) throws CertException {
        ASN1ObjectIdentifier alg = pki.getPrivateKeyAlgorithm().getAlgorithm();
        String name;
        if (alg.equals(X9ObjectIdentifiers.id_ecPublicKey)) name = "EC";
        else if (alg.equals(PKCSObjectIdentifiers.rsaEncryption)) name = "RSA";
        else if (alg.equals(EdECObjectIdentifiers.id_Ed25519)) name = "Ed25519";
        else throw new CertException("The private key " + where + " uses an unsupported algorithm (" + alg.getId() + "); use an EC or RSA key.");
        byte[] der = null;
        try {
            der = pki.getEncoded();
            return KeyFactory.getInstance(name).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IOException | GeneralSecurityException e) {
            throw new CertException("The private key " + where + " cannot be decoded: " + Texts.reason(e));
        } finally {
            if (der != null) Arrays.fill(der, (byte) 0);
        }
    }

    /** The public key that belongs to a private EC or RSA key. */
    public static PublicKey publicKeyOf(PrivateKey key) throws CertException {
        try {
            if (key instanceof RSAPrivateCrtKey rsa) {
                return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            }
            if (key.getAlgorithm().equals("EC")) {
                PrivateKeyInfo pki = PrivateKeyInfo.getInstance(key.getEncoded());
                AlgorithmIdentifier algId = pki.getPrivateKeyAlgorithm();
                if (!(algId.getParameters() instanceof ASN1ObjectIdentifier curveOid)) {
                    throw new CertException("Only EC keys on a named curve are supported.");
                }
                X9ECParameters x9 = ECNamedCurveTable.getByOID(curveOid);
                if (x9 == null) throw new CertException("Unknown EC curve " + curveOid.getId() + ".");
                BigInteger d = ECPrivateKey.getInstance(pki.parsePrivateKey()).getKey();
                ECPoint q = new FixedPointCombMultiplier().multiply(x9.getG(), d).normalize();
                SubjectPublicKeyInfo spki = new SubjectPublicKeyInfo(algId, q.getEncoded(false));
                return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki.getEncoded()));
            }
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new CertException("Cannot compute the public key of the private key: " + Texts.reason(e));
        }
        throw new CertException("Unsupported private key algorithm " + key.getAlgorithm() + "; use an EC or RSA key.");
    }

    /** The signature algorithm used with this key for certificates and requests. */
    public static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519 / EdDSA
        };
    }

    /** Whether the private key signs what the public key verifies. */
    public static boolean matches(PrivateKey key, PublicKey pub) {
        try {
            byte[] probe = new byte[32];
            RANDOM.nextBytes(probe);
            String alg = signatureAlgorithm(key);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }
}
