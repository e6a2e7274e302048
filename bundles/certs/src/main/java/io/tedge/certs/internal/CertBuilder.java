package io.tedge.certs.internal;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

import io.tedge.certs.CertException;

/** Builds the device's self-signed certificate and its certificate signing requests. */
public final class CertBuilder {
    private static final SecureRandom RANDOM = new SecureRandom();

    private CertBuilder() {
    }

    /** {@code CN=<cn>, O=<o>, OU=<ou>}, in this order (as thin-edge.io and openssl print it). */
    public static X500Name name(String cn, String o, String ou) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).addRDN(BCStyle.O, o).addRDN(BCStyle.OU, ou).build();
    }

    /**
     * A self-signed certificate: subject = issuer = {@code name}, valid from {@code notBefore}
     * (to the second) for {@code days} days, BasicConstraints CA:TRUE (critical; Cumulocity
     * refuses a certificate without it), subject and authority key identifiers, a random
     * positive serial, signed with the key's SHA-256 algorithm (ecdsa-with-SHA256 for EC).
     */
    public static X509Certificate selfSigned(KeyPair kp, X500Name name, Instant notBefore, int days) throws CertException {
        try {
            Instant from = notBefore.truncatedTo(ChronoUnit.SECONDS);
            Instant to = from.plus(Duration.ofDays(days));
            BigInteger serial = new BigInteger(63, RANDOM).add(BigInteger.ONE);
            PublicKey pub = kp.getPublic();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial, Date.from(from), Date.from(to), name, pub);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(pub));
            return new JcaX509CertificateConverter().getCertificate(b.build(signer(kp.getPrivate())));
        } catch (GeneralSecurityException | IOException e) {
            throw new CertException("Cannot create the certificate: " + Texts.reason(e), e);
        }
    }

    /** A PKCS#10 request (DER) for {@code name}, signed with the key. */
    public static byte[] csr(PrivateKey key, PublicKey pub, X500Name name) throws CertException {
        try {
            PKCS10CertificationRequest req = new JcaPKCS10CertificationRequestBuilder(name, pub).build(signer(key));
            return req.getEncoded();
        } catch (IOException e) {
            throw new CertException("Cannot create the certificate signing request: " + Texts.reason(e), e);
        }
    }

    private static ContentSigner signer(PrivateKey key) throws CertException {
        try {
            return new JcaContentSignerBuilder(Keys.signatureAlgorithm(key)).build(key);
        } catch (OperatorCreationException e) {
            throw new CertException("Cannot sign with the " + key.getAlgorithm() + " key: " + Texts.reason(e), e);
        }
    }
}
