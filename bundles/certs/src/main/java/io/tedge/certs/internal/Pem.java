package io.tedge.certs.internal;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM blocks: find, decode, encode. */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----\\r?\\n?(.*?)-----END \\1-----", Pattern.DOTALL);

    /** One decoded PEM block. */
    public record Block(String type, byte[] der) {
    }

    private Pem() {
    }

    /** The blocks of the given type (or all when type is null), in order. Bad base64 is an error. */
    public static List<Block> blocks(String text, String type) throws CertificateException {
        List<Block> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            if (type != null && !m.group(1).equals(type)) continue;
            String body = m.group(2).replaceAll("\\s", "");
            try {
                out.add(new Block(m.group(1), Base64.getDecoder().decode(body)));
            } catch (IllegalArgumentException e) {
                throw new CertificateException("invalid base64 in a PEM " + m.group(1) + " block");
            }
        }
        return out;
    }

    /** The X.509 certificates of the PEM text, in order. */
    public static List<X509Certificate> certificates(String text) throws CertificateException {
        List<X509Certificate> out = new ArrayList<>();
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (Block b : blocks(text, "CERTIFICATE")) {
            out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
        }
        return out;
    }

    /** A PEM block, 64 characters a line, ending with a newline. */
    public static String encode(String type, byte[] der) {
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + b64 + "\n-----END " + type + "-----\n";
    }
}
