package io.tedge.broker.legacy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.tedge.broker.legacy.Packet.Ack;
import io.tedge.broker.legacy.Packet.ConnAck;
import io.tedge.broker.legacy.Packet.Connect;
import io.tedge.broker.legacy.Packet.Publish;
import io.tedge.broker.legacy.Packet.Simple;
import io.tedge.broker.legacy.Packet.SubAck;
import io.tedge.broker.legacy.Packet.Subscribe;
import io.tedge.broker.legacy.Packet.Unsubscribe;

/** Reads and writes MQTT 3.1/3.1.1 packets on streams. */
public final class MqttCodec {
    private MqttCodec() {
    }

    /** A malformed packet: the connection must be closed. */
    public static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        public ProtocolException(String m) {
            super(m);
        }
    }

    /** Reads one packet; null at a clean end of stream before a packet starts. */
    public static Packet read(InputStream in, int maxPacketSize) throws IOException {
        int b0 = in.read();
        if (b0 < 0) return null;
        int len = 0;
        int mult = 1;
        for (int i = 0; ; i++) {
            int b = in.read();
            if (b < 0) throw new EOFException("connection closed inside a packet header");
            len += (b & 127) * mult;
            if ((b & 128) == 0) break;
            if (i == 3) throw new ProtocolException("malformed remaining length");
            mult *= 128;
        }
        if (len > maxPacketSize) throw new ProtocolException("packet of " + len + " bytes exceeds the limit of " + maxPacketSize);
        byte[] body = in.readNBytes(len);
        if (body.length < len) throw new EOFException("connection closed inside a packet");
        return decode(b0 >> 4, b0 & 15, body);
    }

    static Packet decode(int type, int flags, byte[] b) throws ProtocolException {
        Buf r = new Buf(b);
        switch (type) {
            case Packet.CONNECT: {
                String proto = r.str();
                int level = r.u8();
                int cf = r.u8();
                int keepAlive = r.u16();
                if ((cf & 1) != 0) throw new ProtocolException("reserved CONNECT flag set");
                String clientId = r.str();
                String willTopic = null;
                byte[] willMsg = null;
                if ((cf & 4) != 0) {
                    willTopic = r.str();
                    willMsg = r.bin();
                }
                String user = (cf & 128) != 0 ? r.str() : null;
                byte[] pass = (cf & 64) != 0 ? r.bin() : null;
                return new Connect(proto, level, (cf & 2) != 0, keepAlive, clientId, willTopic, willMsg, (cf >> 3) & 3,
                        (cf & 32) != 0, user, pass);
            }
            case Packet.CONNACK:
                return new ConnAck((r.u8() & 1) != 0, r.u8());
            case Packet.PUBLISH: {
                int qos = (flags >> 1) & 3;
                if (qos == 3) throw new ProtocolException("PUBLISH with QoS 3");
                String topic = r.str();
                int id = qos > 0 ? r.u16() : 0;
                if (qos > 0 && id == 0) throw new ProtocolException("PUBLISH with packet id 0");
                return new Publish(topic, r.rest(), qos, (flags & 1) != 0, (flags & 8) != 0, id);
            }
            case Packet.PUBACK, Packet.PUBREC, Packet.PUBREL, Packet.PUBCOMP, Packet.UNSUBACK:
                return new Ack(type, r.u16());
            case Packet.SUBSCRIBE: {
                int id = r.u16();
                List<String> f = new ArrayList<>();
                List<Integer> q = new ArrayList<>();
                while (r.more()) {
                    f.add(r.str());
                    q.add(r.u8());
                }
                if (f.isEmpty()) throw new ProtocolException("SUBSCRIBE without a topic filter");
                return new Subscribe(id, f, q);
            }
            case Packet.SUBACK: {
                int id = r.u16();
                List<Integer> c = new ArrayList<>();
                while (r.more()) c.add(r.u8());
                return new SubAck(id, c);
            }
            case Packet.UNSUBSCRIBE: {
                int id = r.u16();
                List<String> f = new ArrayList<>();
                while (r.more()) f.add(r.str());
                return new Unsubscribe(id, f);
            }
            case Packet.PINGREQ, Packet.PINGRESP, Packet.DISCONNECT:
                return new Simple(type);
            default:
                throw new ProtocolException("unknown packet type " + type);
        }
    }

    /** Writes one packet (not flushed). */
    public static void write(OutputStream out, Packet p) throws IOException {
        if (p instanceof Publish pub) {
            writePublish(out, pub.topic(), pub.payload(), pub.qos(), pub.retain(), pub.dup(), pub.packetId());
            return;
        }
        Out o = new Out();
        int header;
        if (p instanceof Ack a) {
            header = a.type() << 4 | (a.type() == Packet.PUBREL ? 2 : 0);
            o.u16(a.packetId());
        } else if (p instanceof ConnAck c) {
            header = Packet.CONNACK << 4;
            o.u8(c.sessionPresent() ? 1 : 0);
            o.u8(c.returnCode());
        } else if (p instanceof SubAck s) {
            header = Packet.SUBACK << 4;
            o.u16(s.packetId());
            for (int c : s.codes()) o.u8(c);
        } else if (p instanceof Simple s) {
            header = s.type() << 4;
        } else if (p instanceof Subscribe s) {
            header = Packet.SUBSCRIBE << 4 | 2;
            o.u16(s.packetId());
            for (int i = 0; i < s.filters().size(); i++) {
                o.str(s.filters().get(i));
                o.u8(s.qos().get(i));
            }
        } else if (p instanceof Unsubscribe u) {
            header = Packet.UNSUBSCRIBE << 4 | 2;
            o.u16(u.packetId());
            for (String f : u.filters()) o.str(f);
        } else if (p instanceof Connect c) {
            header = Packet.CONNECT << 4;
            o.str(c.protocolName());
            o.u8(c.level());
            int f = (c.cleanSession() ? 2 : 0) | (c.willTopic() != null ? 4 | c.willQos() << 3 | (c.willRetain() ? 32 : 0) : 0)
                    | (c.password() != null ? 64 : 0) | (c.username() != null ? 128 : 0);
            o.u8(f);
            o.u16(c.keepAlive());
            o.str(c.clientId());
            if (c.willTopic() != null) {
                o.str(c.willTopic());
                o.bin(c.willMessage());
            }
            if (c.username() != null) o.str(c.username());
            if (c.password() != null) o.bin(c.password());
        } else {
            throw new IllegalArgumentException("cannot write " + p);
        }
        out.write(header);
        writeLength(out, o.size());
        out.write(o.buf, 0, o.size());
    }

    /** Writes a PUBLISH without building an intermediate packet object. */
    public static void writePublish(OutputStream out, String topic, byte[] payload, int qos, boolean retain, boolean dup, int id)
            throws IOException {
        byte[] t = topic.getBytes(StandardCharsets.UTF_8);
        int len = 2 + t.length + (qos > 0 ? 2 : 0) + payload.length;
        out.write(Packet.PUBLISH << 4 | (dup ? 8 : 0) | qos << 1 | (retain ? 1 : 0));
        writeLength(out, len);
        out.write(t.length >> 8);
        out.write(t.length);
        out.write(t);
        if (qos > 0) {
            out.write(id >> 8);
            out.write(id);
        }
        out.write(payload);
    }

    private static void writeLength(OutputStream out, int len) throws IOException {
        do {
            int d = len % 128;
            len /= 128;
            if (len > 0) d |= 128;
            out.write(d);
        } while (len > 0);
    }

    private static final class Buf {
        final byte[] b;
        int p;

        Buf(byte[] b) {
            this.b = b;
        }

        boolean more() {
            return p < b.length;
        }

        int u8() throws ProtocolException {
            if (p >= b.length) throw new ProtocolException("packet too short");
            return b[p++] & 0xff;
        }

        int u16() throws ProtocolException {
            return u8() << 8 | u8();
        }

        byte[] bin() throws ProtocolException {
            int n = u16();
            if (p + n > b.length) throw new ProtocolException("packet too short");
            byte[] out = new byte[n];
            System.arraycopy(b, p, out, 0, n);
            p += n;
            return out;
        }

        String str() throws ProtocolException {
            byte[] raw = bin();
            try {
                String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(raw)).toString();
                if (s.indexOf('\0') >= 0) throw new ProtocolException("string with a NUL character");
                return s;
            } catch (CharacterCodingException e) {
                throw new ProtocolException("string that is not valid UTF-8");
            }
        }

        byte[] rest() {
            byte[] out = new byte[b.length - p];
            System.arraycopy(b, p, out, 0, out.length);
            p = b.length;
            return out;
        }
    }

    private static final class Out {
        byte[] buf = new byte[64];
        int n;

        int size() {
            return n;
        }

        void u8(int v) {
            if (n == buf.length) buf = java.util.Arrays.copyOf(buf, n * 2);
            buf[n++] = (byte) v;
        }

        void u16(int v) {
            u8(v >> 8);
            u8(v);
        }

        void bin(byte[] v) {
            u16(v.length);
            for (byte x : v) u8(x);
        }

        void str(String s) {
            bin(s.getBytes(StandardCharsets.UTF_8));
        }
    }
}
