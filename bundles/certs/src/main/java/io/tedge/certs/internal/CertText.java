package io.tedge.certs.internal;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/** How {@code tedge cert show} prints a certificate (thin-edge.io 0.2). */
public final class CertText {
    private static final DateTimeFormatter RFC2822 = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);

    private CertText() {
    }

    /**
     * The lines of {@code tedge cert show}: path, subject, issuer, validity and thumbprint, each
     * ending with a newline.
     */
    public static String show(String path, X509Certificate cert) throws GeneralSecurityException {
        return "Device certificate: " + path + "\n"
                + "Subject: " + dn(cert.getSubjectX500Principal().getEncoded()) + "\n"
                + "Issuer: " + dn(cert.getIssuerX500Principal().getEncoded()) + "\n"
                + "Valid from: " + rfc2822(cert.getNotBefore().toInstant()) + "\n"
                + "Valid up to: " + rfc2822(cert.getNotAfter().toInstant()) + "\n"
                + "Thumbprint: " + thumbprint(cert.getEncoded()) + "\n";
    }

    /** A distinguished name in encoding order, {@code CN=a, O=b, OU=c}, values unescaped. */
    public static String dn(byte[] encodedName) {
        X500Name name = X500Name.getInstance(encodedName);
        List<String> rdns = new ArrayList<>();
        for (RDN rdn : name.getRDNs()) {
            List<String> parts = new ArrayList<>();
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
                String type = BCStyle.INSTANCE.oidToDisplayName(atv.getType());
                parts.add((type == null ? atv.getType().getId() : type) + "=" + value(atv.getValue()));
            }
            rdns.add(String.join(" + ", parts));
        }
        return String.join(", ", rdns);
    }

    /** The first CN of a name, or null. */
    public static String commonName(byte[] encodedName) {
        for (RDN rdn : X500Name.getInstance(encodedName).getRDNs(BCStyle.CN)) {
            return value(rdn.getFirst().getValue());
        }
        return null;
    }

    private static String value(ASN1Encodable v) {
        return v instanceof ASN1String s ? s.getString() : v.toString();
    }

    /** RFC 2822 as thin-edge.io prints it: {@code Wed, 31 Mar 2021 15:39:57 +0000}. */
    public static String rfc2822(Instant t) {
        return RFC2822.format(t);
    }

    /** Upper-case hex SHA-1 of the DER bytes, no separators. */
    public static String thumbprint(byte[] der) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-1").digest(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-1 is not available", e);
        }
    }
}
