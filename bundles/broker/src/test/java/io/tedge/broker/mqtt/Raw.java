package io.tedge.broker.mqtt;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A raw MQTT client for tests: packets written as literal bytes from the MQTT 3.1.1 specification
 * (hex, or assembled here by hand), answers read as bytes. Independent of the broker's codec.
 */
final class Raw implements AutoCloseable {
    final Socket socket;
    final OutputStream out;
    final InputStream in;

    Raw(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = socket.getInputStream();
    }

    /** Connects with a clean session and checks the CONNACK (accepted). */
    static Raw connected(int port, String id) throws IOException {
        Raw r = new Raw(port);
        r.send(connect(id, true));
        byte[] ack = r.read(4);
        if (ack[0] != 0x20 || ack[1] != 2 || ack[3] != 0) throw new IOException("not accepted: " + hex(ack));
        return r;
    }

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h.replace(" ", ""));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    /** A UTF-8 string field: two length bytes and the bytes. */
    static byte[] str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[b.length + 2];
        out[0] = (byte) (b.length >> 8);
        out[1] = (byte) b.length;
        System.arraycopy(b, 0, out, 2, b.length);
        return out;
    }

    /** A packet: the first byte, the remaining length (variable byte integer), the body. */
    static byte[] packet(int first, byte[]... parts) {
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

    static byte[] u16(int v) {
        return new byte[] {(byte) (v >> 8), (byte) v};
    }

    /** CONNECT, MQTT 3.1.1, keep alive 60 (flags: 0x02 clean session). */
    static byte[] connect(String clientId, boolean clean) {
        return packet(0x10, str("MQTT"), new byte[] {4, (byte) (clean ? 2 : 0), 0, 60}, str(clientId));
    }

    static byte[] connect(String clientId, boolean clean, int keepAlive) {
        return packet(0x10, str("MQTT"), new byte[] {4, (byte) (clean ? 2 : 0), (byte) (keepAlive >> 8), (byte) keepAlive}, str(clientId));
    }

    static byte[] publish(String topic, String payload, int qos, int id, boolean dup) {
        int first = 0x30 | qos << 1 | (dup ? 8 : 0);
        return qos == 0 ? packet(first, str(topic), payload.getBytes(StandardCharsets.UTF_8))
                : packet(first, str(topic), u16(id), payload.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] subscribe(int id, String filter, int qos) {
        return packet(0x82, u16(id), str(filter), new byte[] {(byte) qos});
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    void send(byte[]... parts) throws IOException {
        out.write(concat(parts)); // one write: one TCP segment for small packets (no Nagle)
        out.flush();
    }

    /** Reads n bytes. */
    byte[] read(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) throw new IOException("connection closed after " + b.length + " of " + n + " bytes");
        return b;
    }

    /** Reads one whole packet (first byte, length, body) as bytes. */
    byte[] readPacket() throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        int b0 = in.read();
        if (b0 < 0) throw new IOException("connection closed");
        o.write(b0);
        int len = 0;
        int mult = 1;
        int b;
        do {
            b = in.read();
            if (b < 0) throw new IOException("connection closed");
            o.write(b);
            len += (b & 127) * mult;
            mult *= 128;
        } while ((b & 128) != 0);
        o.writeBytes(read(len));
        return o.toByteArray();
    }

    /** Whether the broker closes the connection within the timeout (reads and discards until then). */
    boolean closedWithin(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            while (true) {
                if (in.read() < 0) return true;
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
