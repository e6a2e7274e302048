package io.tedge.config;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import javax.security.auth.x500.X500Principal;

/**
 * The fields of an X.509 certificate that {@code tedge cert show} and the {@code device.id}
 * derivation print: issuer, subject and validity, read straight from the DER (RFC 5280, 4.1).
 *
 * <p>Why not {@code CertificateFactory}: in a command that runs once and exits, its first use
 * loads the JDK's security providers (the EC key of a device certificate makes it instantiate
 * every provider module until it finds SunEC) and, for the JDK's security event log, looks up a
 * system logger, which scans every jar of the class path and starts java.util.logging: about
 * 30 ms of a 100 ms command. This reader checks the certificate's framing (three elements,
 * definite lengths, nothing trailing, the TBS fields in order with their tags), not its
 * signature, as {@code CertificateFactory} does not either.
 */
public final class X509Fields {
    private static final String BEGIN = "-----BEGIN CERTIFICATE-----";
    private static final String END = "-----END CERTIFICATE-----";

    private final byte[] der;
    private final byte[] issuer;
    private final byte[] subject;
    private final Instant notBefore;
    private final Instant notAfter;

    private X509Fields(byte[] der, byte[] issuer, byte[] subject, Instant notBefore, Instant notAfter) {
        this.der = der;
        this.issuer = issuer;
        this.subject = subject;
        this.notBefore = notBefore;
        this.notAfter = notAfter;
    }

    /**
     * The first certificate of a PEM text, or the DER certificate when the bytes hold no PEM
     * block.
     *
     * @throws CertificateException if there is no certificate or it is malformed, with the reason
     */
    public static X509Fields read(byte[] pemOrDer) throws CertificateException {
        String text = new String(pemOrDer, StandardCharsets.ISO_8859_1);
        int begin = text.indexOf(BEGIN);
        if (begin < 0) {
            if (pemOrDer.length == 0 || pemOrDer[0] != 0x30) throw new CertificateException("no certificate (no PEM CERTIFICATE block)");
            return parse(pemOrDer);
        }
        int end = text.indexOf(END, begin);
        if (end < 0) throw new CertificateException("a PEM CERTIFICATE block without its END line");
        byte[] der;
        try {
            String body = text.substring(begin + BEGIN.length(), end);
            StringBuilder b64 = new StringBuilder(body.length());
            for (int i = 0; i < body.length(); i++) {
                char c = body.charAt(i);
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n') b64.append(c);
            }
            der = Base64.getDecoder().decode(b64.toString());
        } catch (IllegalArgumentException e) {
            throw new CertificateException("invalid base64 in a PEM CERTIFICATE block");
        }
        return parse(der);
    }

    /**
     * A DER certificate.
     *
     * @throws CertificateException if it is malformed, with the reason
     */
    public static X509Fields parse(byte[] der) throws CertificateException {
        Der in = new Der(der, 0, der.length);
        Der cert = in.next(0x30, "Certificate");
        in.end("Certificate");
        Der tbs = cert.next(0x30, "tbsCertificate");
        cert.next(0x30, "signatureAlgorithm");
        cert.next(0x03, "signatureValue");
        cert.end("Certificate");
        if (tbs.peek() == 0xA0) tbs.next(0xA0, "version");
        tbs.next(0x02, "serialNumber");
        tbs.next(0x30, "signature");
        byte[] issuer = tbs.nextEncoded(0x30, "issuer");
        Der validity = tbs.next(0x30, "validity");
        Instant notBefore = validity.time("notBefore");
        Instant notAfter = validity.time("notAfter");
        validity.end("validity");
        byte[] subject = tbs.nextEncoded(0x30, "subject");
        tbs.next(0x30, "subjectPublicKeyInfo");
        try {
            new X500Principal(issuer);
            new X500Principal(subject);
        } catch (IllegalArgumentException e) {
            throw new CertificateException("a malformed name: " + e.getMessage());
        }
        return new X509Fields(der, issuer, subject, notBefore, notAfter);
    }

    /** The whole certificate, DER. */
    public byte[] encoded() {
        return der.clone();
    }

    /** The issuer's name, DER (for {@link X500Principal}). */
    public byte[] issuer() {
        return issuer.clone();
    }

    /** The subject's name, DER (for {@link X500Principal}). */
    public byte[] subject() {
        return subject.clone();
    }

    public Instant notBefore() {
        return notBefore;
    }

    public Instant notAfter() {
        return notAfter;
    }

    /** The first CN of the subject, or null. */
    public String subjectCommonName() {
        for (List<Map.Entry<String, String>> rdn : rdns(subject)) {
            for (Map.Entry<String, String> ava : rdn) {
                if (ava.getKey().equalsIgnoreCase("CN")) return ava.getValue();
            }
        }
        return null;
    }

    /**
     * The RDNs of a DER name in encoding order (RFC 2253 text lists them from the last), each a
     * list of (type, unescaped value) in the order written. Types are as
     * {@link X500Principal#getName(String, Map)} prints them with the given names for OIDs.
     *
     * @throws IllegalArgumentException if the bytes are not a name
     */
    public static List<List<Map.Entry<String, String>>> rdns(byte[] encodedName, Map<String, String> oidNames) {
        String text = new X500Principal(encodedName).getName(X500Principal.RFC2253, oidNames);
        List<List<Map.Entry<String, String>>> out = new ArrayList<>();
        if (text.isEmpty()) return out;
        List<Map.Entry<String, String>> rdn = new ArrayList<>();
        String type = null;
        StringBuilder cur = new StringBuilder();
        ByteArrayOutputStream pending = new ByteArrayOutputStream(); // \XX escapes: UTF-8 bytes
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (ch == '\\' && i + 1 < text.length()) {
                char next = text.charAt(i + 1);
                if (i + 2 < text.length() && hex(next) >= 0 && hex(text.charAt(i + 2)) >= 0) {
                    pending.write(hex(next) * 16 + hex(text.charAt(i + 2)));
                    i += 2;
                } else {
                    flush(pending, cur);
                    cur.append(next);
                    i++;
                }
                continue;
            }
            flush(pending, cur);
            if (ch == '"') {
                quoted = !quoted;
            } else if (quoted) {
                cur.append(ch);
            } else if (ch == '=' && type == null) {
                type = cur.toString();
                cur.setLength(0);
            } else if ((ch == ',' || ch == '+' || ch == ';') && type != null) {
                rdn.add(Map.entry(type, cur.toString()));
                type = null;
                cur.setLength(0);
                if (ch != '+') {
                    out.add(0, rdn);
                    rdn = new ArrayList<>();
                }
            } else {
                cur.append(ch);
            }
        }
        flush(pending, cur);
        if (type == null) throw new IllegalArgumentException("not a distinguished name: " + text);
        rdn.add(Map.entry(type, cur.toString()));
        out.add(0, rdn);
        return out;
    }

    /** {@link #rdns(byte[], Map)} with the JDK's names for types. */
    public static List<List<Map.Entry<String, String>>> rdns(byte[] encodedName) {
        return rdns(encodedName, Map.of());
    }

    private static int hex(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    private static void flush(ByteArrayOutputStream pending, StringBuilder to) {
        if (pending.size() > 0) {
            to.append(new String(pending.toByteArray(), StandardCharsets.UTF_8));
            pending.reset();
        }
    }

    /** A cursor over the DER elements between two offsets. */
    private static final class Der {
        private final byte[] b;
        private int pos;
        private final int limit;
        private int lastStart;

        Der(byte[] b, int pos, int limit) {
            this.b = b;
            this.pos = pos;
            this.limit = limit;
        }

        int peek() {
            return pos < limit ? b[pos] & 0xff : -1;
        }

        /** The contents of the next element, which must have the tag. */
        Der next(int tag, String what) throws CertificateException {
            lastStart = pos;
            if (pos >= limit) throw new CertificateException("the " + what + " is missing");
            int t = b[pos++] & 0xff;
            if (t != tag) throw new CertificateException(String.format("the %s has tag 0x%02x, expected 0x%02x", what, t, tag));
            if (pos >= limit) throw new CertificateException("the " + what + " is truncated");
            int len = b[pos++] & 0xff;
            if (len >= 0x80) {
                int n = len & 0x7f;
                if (n == 0 || n > 3) throw new CertificateException("the " + what + " has an unsupported length encoding");
                if (limit - pos < n) throw new CertificateException("the " + what + " is truncated");
                len = 0;
                for (int i = 0; i < n; i++) len = (len << 8) | (b[pos++] & 0xff);
            }
            if (len > limit - pos) throw new CertificateException("the " + what + " is truncated (" + len + " bytes declared, " + (limit - pos) + " left)");
            Der inner = new Der(b, pos, pos + len);
            pos += len;
            return inner;
        }

        /** The whole next element (tag, length and contents). */
        byte[] nextEncoded(int tag, String what) throws CertificateException {
            next(tag, what);
            return Arrays.copyOfRange(b, lastStart, pos);
        }

        void end(String what) throws CertificateException {
            if (pos != limit) throw new CertificateException((limit - pos) + " unexpected bytes after the " + what);
        }

        /** UTCTime (YYMMDDHHMMSSZ, 1950-2049) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
        Instant time(String what) throws CertificateException {
            int tag = peek();
            if (tag != 0x17 && tag != 0x18) throw new CertificateException(String.format("the %s has tag 0x%02x, expected a time", what, tag));
            Der t = next(tag, what);
            String s = new String(b, t.pos, t.limit - t.pos, StandardCharsets.ISO_8859_1);
            int yearDigits = tag == 0x17 ? 2 : 4;
            if (s.length() != yearDigits + 11 || s.charAt(s.length() - 1) != 'Z') {
                throw new CertificateException("the " + what + " is not a UTC time of the form " + (tag == 0x17 ? "YYMMDDHHMMSSZ" : "YYYYMMDDHHMMSSZ") + ": " + s);
            }
            for (int i = 0; i < s.length() - 1; i++) {
                if (s.charAt(i) < '0' || s.charAt(i) > '9') throw new CertificateException("the " + what + " is not a time: " + s);
            }
            int year = Integer.parseInt(s.substring(0, yearDigits));
            if (tag == 0x17) year += year >= 50 ? 1900 : 2000;
            int p = yearDigits;
            try {
                return LocalDateTime.of(year, num(s, p), num(s, p + 2), num(s, p + 4), num(s, p + 6), num(s, p + 8)).toInstant(ZoneOffset.UTC);
            } catch (DateTimeException e) {
                throw new CertificateException("the " + what + " is not a valid time: " + s);
            }
        }

        private static int num(String s, int at) {
            return (s.charAt(at) - '0') * 10 + s.charAt(at + 1) - '0';
        }
    }
}
