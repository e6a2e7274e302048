package io.tedge.cli;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The command line's MQTT 3.1.1 client of the local broker: one blocking connection driven by the
 * caller's thread, so a one-shot {@code tedge mqtt pub} costs a socket and a few packets rather
 * than a client library's thread pools (issue 13: 440 ms with Paho, mosquitto_pub 6 ms).
 *
 * <p>Every wait is bounded: the TCP connect and each answer of the broker (CONNACK, PUBACK,
 * PUBREC, PUBCOMP, SUBACK) must come within {@code timeoutMs}, else {@link Timeout} says which
 * answer did not come; a broker that accepts TCP connections but never answers (a stopped
 * process) cannot hang a command. Waits check the thread's interrupt flag at least twice a second
 * (Ctrl-C in the Gogo shell). Incoming packets are bounded by {@link #MAX_PACKET}.
 */
final class CliMqttClient implements Closeable {
    /** The largest packet accepted from the broker. */
    static final int MAX_PACKET = 16 * 1024 * 1024;
    private static final int SLICE_MS = 500;

    /** A received PUBLISH. */
    record Message(String topic, byte[] payload, int qos, boolean retain) {
        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** The broker did not answer in time. */
    static final class Timeout extends IOException {
        private static final long serialVersionUID = 1L;

        Timeout(String message) {
            super(message);
        }
    }

    /** The broker refused the connection (CONNACK return code) or a subscription. */
    static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    private final Socket socket;
    private final String peer;
    private final InputStream in;
    private final OutputStream out;
    private final int timeoutMs;
    private final Deque<Message> received = new ArrayDeque<>();
    private int keepAliveMs;
    private long lastSent = System.nanoTime();
    private int nextId = 1;

    /** Over streams (the socket may be null): what {@link #open} uses, and the class-data warm-up. */
    CliMqttClient(Socket socket, InputStream in, OutputStream out, int timeoutMs) {
        this.socket = socket;
        this.peer = socket == null ? "" : " at " + socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
        this.in = in;
        this.out = out;
        this.timeoutMs = timeoutMs;
    }

    /** Connects to host:port and sends CONNECT; returns once the broker accepted it (CONNACK 0). */
    static CliMqttClient open(String host, int port, String clientId, boolean cleanSession, int keepAliveSeconds, int timeoutMs)
            throws IOException, InterruptedException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), timeoutMs);
            CliMqttClient c = new CliMqttClient(s, s.getInputStream(), s.getOutputStream(), timeoutMs);
            c.connect(clientId, cleanSession, keepAliveSeconds);
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    void connect(String clientId, boolean cleanSession, int keepAliveSeconds) throws IOException, InterruptedException {
        keepAliveMs = keepAliveSeconds * 1000;
        Packet p = new Packet(0x10);
        p.string("MQTT").u8(4).u8(cleanSession ? 2 : 0).u16(keepAliveSeconds).string(clientId);
        send(p);
        int[] ack = awaitAck(0x20, -1, "CONNACK");
        if (ack[1] != 0) throw new Refused("the broker refused the connection: " + connackReason(ack[1]));
    }

    static String connackReason(int rc) {
        switch (rc) {
            case 1:
                return "unacceptable protocol version (1)";
            case 2:
                return "identifier rejected (2)";
            case 3:
                return "server unavailable (3)";
            case 4:
                return "bad user name or password (4)";
            case 5:
                return "not authorized (5)";
            default:
                return "return code " + rc;
        }
    }

    /** Publishes and, for QoS 1 and 2, waits for the broker's acknowledgement. */
    void publish(String topic, byte[] payload, int qos, boolean retain) throws IOException, InterruptedException {
        int id = qos > 0 ? nextId() : 0;
        Packet p = new Packet(0x30 | (qos << 1) | (retain ? 1 : 0));
        p.string(topic);
        if (qos > 0) p.u16(id);
        p.bytes(payload);
        send(p);
        if (qos == 1) {
            awaitAck(0x40, id, "PUBACK");
        } else if (qos == 2) {
            awaitAck(0x50, id, "PUBREC");
            send(new Packet(0x62).u16(id));
            awaitAck(0x70, id, "PUBCOMP");
        }
    }

    /** Subscribes one filter; returns the granted QoS. */
    int subscribe(String filter, int qos) throws IOException, InterruptedException {
        int id = nextId();
        send(new Packet(0x82).u16(id).string(filter).u8(qos));
        int[] ack = awaitAck(0x90, id, "SUBACK");
        if (ack[1] == 0x80) throw new Refused("the broker refused the subscription to " + filter);
        return ack[1];
    }

    /**
     * The next message, waiting at most {@code waitMs} (0: until one comes); null when none came
     * in time. Acknowledges QoS 1/2 deliveries and keeps the connection alive meanwhile.
     */
    Message receive(long waitMs) throws IOException, InterruptedException {
        long deadline = waitMs > 0 ? System.nanoTime() + waitMs * 1_000_000 : 0;
        while (received.isEmpty()) {
            if (deadline != 0 && deadline - System.nanoTime() <= 0) return null;
            int[] fh = readPacket(deadline, null);
            if (fh != null) throw new IOException("unexpected packet type " + (fh[0] >> 4) + " from the broker");
        }
        return received.poll();
    }

    /**
     * Sends DISCONNECT and waits (bounded) for the broker to close the connection: it does so
     * only after it has handled every packet sent before, so a QoS 0 publish has been routed
     * when the command returns, as it has been acknowledged at QoS 1 and 2.
     */
    void disconnect() {
        try {
            send(new Packet(0xE0));
            if (socket != null) {
                socket.shutdownOutput();
                socket.setSoTimeout(timeoutMs);
                while (in.read() >= 0) {
                    // the broker's last packets, if any, until it closes
                }
            }
        } catch (IOException e) {
            // closing anyway
        }
        close();
    }

    @Override
    public void close() {
        try {
            if (socket != null) socket.close();
            else out.close();
        } catch (IOException e) {
            // closed
        }
    }

    private int nextId() {
        int id = nextId;
        nextId = nextId == 0xFFFF ? 1 : nextId + 1;
        return id;
    }

    /** Waits for the acknowledgement of this type (and packet id, unless -1); returns {type, first byte after the id}. */
    private int[] awaitAck(int type, int id, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            int[] got = readPacket(deadline, what);
            if (got == null) continue; // a PUBLISH, queued
            if ((got[0] & 0xF0) != type) throw new IOException("expected " + what + " from the broker, got packet type " + (got[0] >> 4));
            if (id >= 0 && got[2] != id) continue; // an acknowledgement of an earlier packet
            return new int[] {got[0], got[3]};
        }
    }

    private Timeout timeout(String what) {
        return new Timeout("no " + what + " from the MQTT broker" + peer + " within " + (timeoutMs / 1000.0) + " s: it accepts connections but does not answer");
    }

    /**
     * Reads one packet before the deadline (System.nanoTime; 0: none). A PUBLISH is acknowledged, queued and gives null; other
     * packets give {first byte, remaining length, packet id or -1, the byte after the id or -1}.
     * Returns null too when nothing came in time and {@code what} is null (a receive slice).
     */
    private int[] readPacket(long deadline, String what) throws IOException, InterruptedException {
        int b0 = readByteWithin(deadline, what);
        if (b0 < 0) return null;
        if (socket != null) socket.setSoTimeout(timeoutMs);
        int len = 0;
        int mul = 1;
        for (int i = 0; ; i++) {
            int b = readByte();
            len += (b & 0x7F) * mul;
            if ((b & 0x80) == 0) break;
            if (i == 3) throw new IOException("malformed remaining length from the broker");
            mul *= 128;
        }
        if (len > MAX_PACKET) throw new IOException("a packet of " + len + " bytes from the broker: more than the " + MAX_PACKET + " this client takes");
        byte[] body = in.readNBytes(len);
        if (body.length < len) throw new EOFException("the broker closed the connection");
        int type = b0 & 0xF0;
        if (type == 0x30) {
            onPublish(b0, body);
            return null;
        }
        if (type == 0x60) { // PUBREL of a QoS 2 delivery
            send(new Packet(0x70).u16(u16(body, 0)));
            return null;
        }
        if (type == 0xD0) return null; // PINGRESP
        int id = type == 0x20 || len < 2 ? -1 : u16(body, 0);
        int after = type == 0x20 ? (len >= 2 ? body[1] & 0xFF : -1) : (len >= 3 ? body[2] & 0xFF : -1);
        return new int[] {b0, len, id, after};
    }

    private void onPublish(int b0, byte[] body) throws IOException {
        int qos = (b0 >> 1) & 3;
        int tl = u16(body, 0);
        String topic = new String(body, 2, tl, StandardCharsets.UTF_8);
        int pos = 2 + tl;
        int id = 0;
        if (qos > 0) {
            id = u16(body, pos);
            pos += 2;
        }
        byte[] payload = new byte[body.length - pos];
        System.arraycopy(body, pos, payload, 0, payload.length);
        received.add(new Message(topic, payload, qos, (b0 & 1) != 0));
        if (qos == 1) send(new Packet(0x40).u16(id));
        else if (qos == 2) send(new Packet(0x50).u16(id));
    }

    /**
     * The first byte of a packet before the deadline (0: none), read in slices so that an
     * interrupt and the keep-alive are served; -1 when a receive's deadline passed.
     */
    private int readByteWithin(long deadline, String what) throws IOException, InterruptedException {
        while (true) {
            if (Thread.interrupted()) throw new InterruptedException();
            long left = deadline == 0 ? SLICE_MS : (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                if (what == null) return -1;
                throw timeout(what);
            }
            if (keepAliveMs > 0 && System.nanoTime() - lastSent > keepAliveMs * 500_000L) send(new Packet(0xC0)); // PINGREQ at half the keep-alive
            if (socket == null) return readByte();
            socket.setSoTimeout((int) Math.max(1, Math.min(left, SLICE_MS)));
            try {
                int b = in.read();
                if (b < 0) throw new EOFException("the broker closed the connection");
                return b;
            } catch (SocketTimeoutException e) {
                // next slice
            }
        }
    }

    private int readByte() throws IOException {
        int b = in.read();
        if (b < 0) throw new EOFException("the broker closed the connection");
        return b;
    }

    private static int u16(byte[] b, int at) throws IOException {
        if (at + 2 > b.length) throw new IOException("malformed packet from the broker");
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    private void send(Packet p) throws IOException {
        out.write(p.encode());
        out.flush();
        lastSent = System.nanoTime();
    }

    /** A packet being written: variable header and payload, framed by {@link #encode}. */
    static final class Packet {
        private final int first;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream(64);

        Packet(int first) {
            this.first = first;
        }

        Packet u8(int v) {
            body.write(v);
            return this;
        }

        Packet u16(int v) {
            body.write(v >> 8);
            body.write(v);
            return this;
        }

        Packet string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            if (b.length > 0xFFFF) throw new IllegalArgumentException("longer than 65535 bytes: " + s.substring(0, 40) + "...");
            u16(b.length);
            body.write(b, 0, b.length);
            return this;
        }

        Packet bytes(byte[] b) {
            body.write(b, 0, b.length);
            return this;
        }

        byte[] encode() {
            int len = body.size();
            ByteArrayOutputStream o = new ByteArrayOutputStream(len + 5);
            o.write(first);
            do {
                int d = len % 128;
                len /= 128;
                o.write(len > 0 ? d | 0x80 : d);
            } while (len > 0);
            o.writeBytes(body.toByteArray());
            return o.toByteArray();
        }
    }
}
