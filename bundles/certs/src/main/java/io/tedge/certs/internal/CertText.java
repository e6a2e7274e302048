package io.tedge.certs.internal;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.tedge.config.X509Fields;

/** How {@code tedge cert show} prints a certificate (thin-edge.io 0.2). */
public final class CertText {
    private CertText() {
    }

    /**
     * The lines of {@code tedge cert show}: path, subject, issuer, validity and thumbprint, each
     * ending with a newline.
     */
    public static String show(String path, X509Fields cert) {
        return "Device certificate: " + path + "\n"
                + "Subject: " + dn(cert.subject()) + "\n"
                + "Issuer: " + dn(cert.issuer()) + "\n"
                + "Valid from: " + rfc2822(cert.notBefore()) + "\n"
                + "Valid up to: " + rfc2822(cert.notAfter()) + "\n"
                + "Thumbprint: " + thumbprint(cert.encoded()) + "\n";
    }

    /**
     * A distinguished name in encoding order, {@code CN=a, O=b, OU=c}, values unescaped. With the
     * JDK's own X.500 printer, not Bouncy Castle's: {@code tedge cert show} then loads no class of
     * the signed bcprov jar, whose classes the command line's class-data archive cannot hold and
     * whose signature the JVM verifies at first use (about 0.8 s of the command's 1 s; issue 13).
     * Split by {@link X509Fields#rdns}, not {@code javax.naming.ldap.LdapName}, whose classes cost
     * the command about 10 ms to load.
     */
    public static String dn(byte[] encodedName) {
        List<String> rdns = new ArrayList<>();
        for (List<Map.Entry<String, String>> rdn : X509Fields.rdns(encodedName, OID_NAMES)) {
            List<String> parts = new ArrayList<>();
            for (Map.Entry<String, String> ava : rdn) parts.add(displayName(ava.getKey()) + "=" + ava.getValue());
            rdns.add(String.join(" + ", parts));
        }
        return String.join(", ", rdns);
    }

    /** The first CN of a name, or null. */
    public static String commonName(byte[] encodedName) {
        for (List<Map.Entry<String, String>> rdn : X509Fields.rdns(encodedName, OID_NAMES)) {
            for (Map.Entry<String, String> ava : rdn) {
                if (ava.getKey().equalsIgnoreCase("CN")) return ava.getValue();
            }
        }
        return null;
    }

    /** Names for the attribute types the JDK prints as OIDs, as Bouncy Castle's BCStyle shows them. */
    private static final Map<String, String> OID_NAMES = java.util.Map.ofEntries(
            java.util.Map.entry("2.5.4.5", "SERIALNUMBER"), java.util.Map.entry("1.2.840.113549.1.9.1", "E"),
            java.util.Map.entry("2.5.4.12", "T"), java.util.Map.entry("2.5.4.4", "SURNAME"), java.util.Map.entry("2.5.4.42", "GIVENNAME"),
            java.util.Map.entry("2.5.4.43", "INITIALS"), java.util.Map.entry("2.5.4.44", "GENERATION"),
            java.util.Map.entry("2.5.4.46", "DN"), java.util.Map.entry("2.5.4.65", "PSEUDONYM"), java.util.Map.entry("2.5.4.9", "STREET"),
            java.util.Map.entry("2.5.4.17", "POSTALCODE"), java.util.Map.entry("2.5.4.97", "ORGANIZATIONIDENTIFIER"),
            java.util.Map.entry("1.2.840.113549.1.9.2", "UNSTRUCTUREDNAME"));

    private static String displayName(String type) {
        return type.equalsIgnoreCase("UID") ? "UID" : type.equalsIgnoreCase("DC") ? "DC" : type.toUpperCase(Locale.ROOT);
    }

    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTHS = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    /**
     * RFC 2822 as thin-edge.io prints it: {@code Wed, 31 Mar 2021 15:39:57 +0000}. English names
     * from two arrays, not a {@code DateTimeFormatter} with a locale: the locale data cost the
     * command about 12 ms to load.
     */
    public static String rfc2822(Instant t) {
        LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, ZoneOffset.UTC);
        StringBuilder b = new StringBuilder(31);
        b.append(DAYS[d.getDayOfWeek().getValue() - 1]).append(", ");
        two(b, d.getDayOfMonth()).append(' ').append(MONTHS[d.getMonthValue() - 1]).append(' ');
        int y = d.getYear();
        if (y >= 0 && y < 1000) b.append(y < 10 ? "000" : y < 100 ? "00" : "0");
        b.append(y).append(' ');
        two(b, d.getHour()).append(':');
        two(b, d.getMinute()).append(':');
        two(b, d.getSecond()).append(" +0000");
        return b.toString();
    }

    private static StringBuilder two(StringBuilder b, int v) {
        return b.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
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
