package io.tedge.config;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * Self-signed X.509 certificates made with the JDK only (a few lines of DER), so the tests need
 * neither keytool nor a crypto library.
 */
final class TestCerts {
    private static final byte[] ECDSA_WITH_SHA256 = {0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x04, 0x03, 0x02};
    private static final byte[] OID_CN = {0x06, 0x03, 0x55, 0x04, 0x03};
    private static final byte[] OID_O = {0x06, 0x03, 0x55, 0x04, 0x0A};

    private TestCerts() {
    }

    /** A PEM certificate whose subject (and issuer) is {@code CN=cn}, or {@code O=org} when cn is null. */
    static String selfSignedPem(String cn) throws Exception {
        return pem(selfSignedDer(cn));
    }

    static byte[] selfSignedDer(String cn) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair kp = g.generateKeyPair();
        byte[] alg = tlv(0x30, ECDSA_WITH_SHA256);
        byte[] rdn = cn != null ? tlv(0x30, OID_CN, tlv(0x0C, cn.getBytes(StandardCharsets.UTF_8)))
                : tlv(0x30, OID_O, tlv(0x0C, "Thin Edge".getBytes(StandardCharsets.UTF_8)));
        byte[] name = tlv(0x30, tlv(0x31, rdn));
        DateTimeFormatter utc = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        byte[] validity = tlv(0x30, tlv(0x17, utc.format(now.minusDays(1)).getBytes(StandardCharsets.US_ASCII)),
                tlv(0x17, utc.format(now.plusDays(1)).getBytes(StandardCharsets.US_ASCII)));
        byte[] serial = tlv(0x02, BigInteger.valueOf(System.nanoTime() & 0x7fffffffL).toByteArray());
        byte[] tbs = tlv(0x30, serial, alg, name, validity, name, kp.getPublic().getEncoded());
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate());
        s.update(tbs);
        byte[] sig = s.sign();
        byte[] bits = new byte[sig.length + 1];
        System.arraycopy(sig, 0, bits, 1, sig.length);
        return tlv(0x30, tbs, alg, tlv(0x03, bits));
    }

    static String pem(byte[] der) {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END CERTIFICATE-----\n";
    }

    private static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) body.writeBytes(p);
        int n = body.size();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n & 0xff);
        }
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }
}
