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

import javax.naming.InvalidNameException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

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

    /**
     * A distinguished name in encoding order, {@code CN=a, O=b, OU=c}, values unescaped. With the
     * JDK's own parser, not Bouncy Castle's: {@code tedge cert show} then loads no class of the
     * signed bcprov jar, whose classes the command line's class-data archive cannot hold and whose
     * signature the JVM verifies at first use (about 0.8 s of the command's 1 s; issue 13).
     */
    public static String dn(byte[] encodedName) {
        List<String> rdns = new ArrayList<>();
        for (Rdn rdn : rdns(encodedName)) {
            List<String> parts = new ArrayList<>();
            try {
                NamingEnumeration<? extends Attribute> all = rdn.toAttributes().getAll();
                while (all.hasMore()) {
                    Attribute a = all.next();
                    parts.add(displayName(a.getID()) + "=" + a.get());
                }
            } catch (NamingException e) {
                parts.add(rdn.toString());
            }
            rdns.add(String.join(" + ", parts));
        }
        return String.join(", ", rdns);
    }

    /** The first CN of a name, or null. */
    public static String commonName(byte[] encodedName) {
        for (Rdn rdn : rdns(encodedName)) {
            if (rdn.getType().equalsIgnoreCase("CN")) return rdn.getValue().toString();
        }
        return null;
    }

    /** The RDNs in encoding order (an LdapName lists them from the last). */
    private static List<Rdn> rdns(byte[] encodedName) {
        try {
            return new LdapName(new X500Principal(encodedName).getName(X500Principal.RFC2253, OID_NAMES)).getRdns();
        } catch (InvalidNameException e) {
            throw new IllegalArgumentException("not a distinguished name: " + e.getMessage(), e);
        }
    }

    /** Names for the attribute types the JDK prints as OIDs, as Bouncy Castle's BCStyle shows them. */
    private static final java.util.Map<String, String> OID_NAMES = java.util.Map.ofEntries(
            java.util.Map.entry("2.5.4.5", "SERIALNUMBER"), java.util.Map.entry("1.2.840.113549.1.9.1", "E"),
            java.util.Map.entry("2.5.4.12", "T"), java.util.Map.entry("2.5.4.4", "SURNAME"), java.util.Map.entry("2.5.4.42", "GIVENNAME"),
            java.util.Map.entry("2.5.4.43", "INITIALS"), java.util.Map.entry("2.5.4.44", "GENERATION"),
            java.util.Map.entry("2.5.4.46", "DN"), java.util.Map.entry("2.5.4.65", "PSEUDONYM"), java.util.Map.entry("2.5.4.9", "STREET"),
            java.util.Map.entry("2.5.4.17", "POSTALCODE"), java.util.Map.entry("2.5.4.97", "ORGANIZATIONIDENTIFIER"),
            java.util.Map.entry("1.2.840.113549.1.9.2", "UNSTRUCTUREDNAME"));

    private static String displayName(String type) {
        return type.equalsIgnoreCase("UID") ? "UID" : type.equalsIgnoreCase("DC") ? "DC" : type.toUpperCase(Locale.ROOT);
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
