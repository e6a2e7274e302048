package io.tedge.bench;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** MQTT 3.1.1 packets assembled by hand from the specification, for load runs and end-to-end tests. */
public final class Packets {
    private Packets() {
    }

    /** A UTF-8 string field: two length bytes and the bytes. */
    public static byte[] str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(b.length >> 8);
        o.write(b.length);
        o.writeBytes(b);
        return o.toByteArray();
    }

    /** A packet: the first byte, the remaining length (variable byte integer), the body. */
    public static byte[] packet(int first, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) body.writeBytes(p);
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(first);
        int len = body.size();
        do {
            int d = len % 128;
            len /= 128;
            o.write(len > 0 ? d | 128 : d);
        } while (len > 0);
        o.writeBytes(body.toByteArray());
        return o.toByteArray();
    }

    /** CONNECT, MQTT 3.1.1, clean session, this keep alive (0: none). */
    public static byte[] connect(String id, int keepAlive) {
        return packet(0x10, str("MQTT"), new byte[] {4, 2, (byte) (keepAlive >> 8), (byte) keepAlive}, str(id));
    }
}
