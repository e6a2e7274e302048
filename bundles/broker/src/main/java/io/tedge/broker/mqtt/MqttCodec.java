package io.tedge.broker.mqtt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import io.tedge.broker.mqtt.Packet.Ack;
import io.tedge.broker.mqtt.Packet.ConnAck;
import io.tedge.broker.mqtt.Packet.Connect;
import io.tedge.broker.mqtt.Packet.Publish;
import io.tedge.broker.mqtt.Packet.Simple;
import io.tedge.broker.mqtt.Packet.SubAck;
import io.tedge.broker.mqtt.Packet.Subscribe;
import io.tedge.broker.mqtt.Packet.Unsubscribe;

/**
 * MQTT 3.1/3.1.1 packets from and to byte buffers, as the broker sees them: the server side of
 * the protocol only (it decodes what clients send and encodes what a server sends). Strict where
 * the specification says the server must close the connection: reserved flags, malformed
 * remaining length, ill-formed UTF-8 or U+0000 in strings, QoS 3.
 */
final class MqttCodec {
    private MqttCodec() {
    }

    /** A malformed packet or a protocol violation: the connection must be closed. */
    static final class ProtocolException extends IOException {
        private static final long serialVersionUID = 1L;

        ProtocolException(String m) {
            super(m);
        }
    }

    /** A fixed header: type, flags, remaining length and its own size. */
    record Header(int type, int flags, int length, int size) {
    }

    /** Room for a PUBLISH's topic (at most 65535 bytes) and packet id beyond its payload. */
    static final int HEADROOM = 2 + 65535 + 2;

    /**
     * Reads a fixed header at the buffer's position without consuming it; null when more bytes
     * are needed. Throws for a malformed length, or one that cannot hold a payload of at most
     * {@code maxPayload} bytes, before anything is allocated for the body.
     */
    static Header header(ByteBuffer b, int maxPayload) throws ProtocolException {
        int p = b.position();
        int avail = b.remaining();
        if (avail < 2) return null;
        int b0 = b.get(p) & 0xff;
        int len = 0;
        int mult = 1;
        for (int i = 1; ; i++) {
            if (i >= avail) return null;
            int x = b.get(p + i) & 0xff;
            len += (x & 127) * mult;
            if ((x & 128) == 0) {
                if ((long) len > (long) maxPayload + HEADROOM) {
                    throw new ProtocolException("packet of " + (len + 1 + i) + " bytes exceeds mqtt.max_packet_size (" + maxPayload + " bytes of payload)");
                }
                return new Header(b0 >> 4, b0 & 15, len, 1 + i);
            }
            if (i == 4) throw new ProtocolException("malformed remaining length (more than 4 bytes)");
            mult *= 128;
        }
    }

    /** Decodes the body that follows a header; the buffer holds exactly the body. */
    static Packet decode(Header h, ByteBuffer body, int maxPayload) throws ProtocolException {
        Reader r = new Reader(body);
        int type = h.type();
        int flags = h.flags();
        switch (type) {
            case Packet.CONNECT: {
                flags(h, 0);
                if (body.remaining() > maxPayload) throw new ProtocolException("CONNECT of " + body.remaining() + " bytes exceeds mqtt.max_packet_size");
                String proto = r.str();
                int level = r.u8();
                int cf = r.u8();
                int keepAlive = r.u16();
                if ((cf & 1) != 0) throw new ProtocolException("CONNECT with the reserved flag set");
                boolean will = (cf & 4) != 0;
                int willQos = (cf >> 3) & 3;
                boolean willRetain = (cf & 32) != 0;
                if (!will && (willQos != 0 || willRetain)) throw new ProtocolException("CONNECT with will QoS or retain but no will");
                if (willQos == 3) throw new ProtocolException("CONNECT with will QoS 3");
                if ((cf & 128) == 0 && (cf & 64) != 0) throw new ProtocolException("CONNECT with a password but no user name");
                String clientId = r.str();
                String willTopic = null;
                byte[] willMsg = null;
                if (will) {
                    willTopic = r.str();
                    willMsg = r.bin();
                }
                String user = (cf & 128) != 0 ? r.str() : null;
                byte[] pass = (cf & 64) != 0 ? r.bin() : null;
                r.end("CONNECT");
                return new Connect(proto, level, (cf & 2) != 0, keepAlive, clientId, willTopic, willMsg, willQos, willRetain, user, pass);
            }
            case Packet.PUBLISH: {
                int qos = (flags >> 1) & 3;
                if (qos == 3) throw new ProtocolException("PUBLISH with QoS 3");
                boolean dup = (flags & 8) != 0;
                if (dup && qos == 0) throw new ProtocolException("PUBLISH with QoS 0 and the DUP flag");
                String topic = r.str();
                int id = qos > 0 ? r.u16() : 0;
                if (qos > 0 && id == 0) throw new ProtocolException("PUBLISH with packet id 0");
                if (body.remaining() > maxPayload) {
                    throw new ProtocolException("PUBLISH with a payload of " + body.remaining() + " bytes exceeds mqtt.max_packet_size (" + maxPayload + ")");
                }
                return new Publish(topic, r.rest(), qos, (flags & 1) != 0, dup, id);
            }
            case Packet.PUBACK, Packet.PUBREC, Packet.PUBCOMP: {
                flags(h, 0);
                Ack a = new Ack(type, r.u16());
                r.end("acknowledgement");
                return a;
            }
            case Packet.PUBREL: {
                flags(h, 2);
                Ack a = new Ack(type, r.u16());
                r.end("PUBREL");
                return a;
            }
            case Packet.SUBSCRIBE: {
                flags(h, 2);
                if (body.remaining() > maxPayload) throw new ProtocolException("SUBSCRIBE of " + body.remaining() + " bytes exceeds mqtt.max_packet_size");
                int id = r.u16();
                List<String> f = new ArrayList<>();
                List<Integer> q = new ArrayList<>();
                while (r.more()) {
                    f.add(r.str());
                    int qos = r.u8();
                    if (qos > 2) throw new ProtocolException("SUBSCRIBE with requested QoS byte " + qos);
                    q.add(qos);
                }
                if (f.isEmpty()) throw new ProtocolException("SUBSCRIBE without a topic filter");
                return new Subscribe(id, f, q);
            }
            case Packet.UNSUBSCRIBE: {
                flags(h, 2);
                int id = r.u16();
                List<String> f = new ArrayList<>();
                while (r.more()) f.add(r.str());
                if (f.isEmpty()) throw new ProtocolException("UNSUBSCRIBE without a topic filter");
                return new Unsubscribe(id, f);
            }
            case Packet.PINGREQ, Packet.DISCONNECT: {
                flags(h, 0);
                r.end(type == Packet.PINGREQ ? "PINGREQ" : "DISCONNECT");
                return new Simple(type);
            }
            case Packet.CONNACK, Packet.SUBACK, Packet.UNSUBACK, Packet.PINGRESP:
                throw new ProtocolException("a client sent a server-only packet (type " + type + ")");
            default:
                throw new ProtocolException("reserved packet type " + type);
        }
    }

    private static void flags(Header h, int expected) throws ProtocolException {
        if (h.flags() != expected) {
            throw new ProtocolException("packet type " + h.type() + " with reserved flags " + h.flags() + " (must be " + expected + ")");
        }
    }

    // ------------------------------------------------------------------ encoding (server side)

    /** Encodes a packet the server sends, other than PUBLISH, into a new buffer ready to write. */
    static ByteBuffer encode(Packet p) {
        ByteBuffer b;
        if (p instanceof Ack a) {
            b = ByteBuffer.allocate(4);
            b.put((byte) (a.type() << 4 | (a.type() == Packet.PUBREL ? 2 : 0))).put((byte) 2).putShort((short) a.packetId());
        } else if (p instanceof ConnAck c) {
            b = ByteBuffer.allocate(4);
            b.put((byte) (Packet.CONNACK << 4)).put((byte) 2).put((byte) (c.sessionPresent() ? 1 : 0)).put((byte) c.returnCode());
        } else if (p instanceof SubAck s) {
            int len = 2 + s.codes().size();
            b = ByteBuffer.allocate(1 + lengthSize(len) + len);
            b.put((byte) (Packet.SUBACK << 4));
            putLength(b, len);
            b.putShort((short) s.packetId());
            for (int c : s.codes()) b.put((byte) c);
        } else if (p instanceof Simple s) {
            b = ByteBuffer.allocate(2);
            b.put((byte) (s.type() << 4)).put((byte) 0);
        } else {
            throw new IllegalArgumentException("a server does not send " + p);
        }
        return b.flip();
    }

    /** The fixed header, topic and packet id of a PUBLISH; the payload follows as its own buffer. */
    static ByteBuffer publishHeader(byte[] topic, int payloadLength, int qos, boolean retain, boolean dup, int id) {
        int len = 2 + topic.length + (qos > 0 ? 2 : 0) + payloadLength;
        ByteBuffer b = ByteBuffer.allocate(1 + lengthSize(len) + 2 + topic.length + 2);
        b.put((byte) (Packet.PUBLISH << 4 | (dup ? 8 : 0) | qos << 1 | (retain ? 1 : 0)));
        putLength(b, len);
        b.putShort((short) topic.length);
        b.put(topic);
        if (qos > 0) b.putShort((short) id);
        return b.flip();
    }

    static int lengthSize(int len) {
        return len < 128 ? 1 : len < 16384 ? 2 : len < 2097152 ? 3 : 4;
    }

    private static void putLength(ByteBuffer b, int len) {
        do {
            int d = len % 128;
            len /= 128;
            if (len > 0) d |= 128;
            b.put((byte) d);
        } while (len > 0);
    }

    private static final class Reader {
        private final ByteBuffer b;
        private CharsetDecoder utf8;

        Reader(ByteBuffer b) {
            this.b = b;
        }

        boolean more() {
            return b.hasRemaining();
        }

        void end(String what) throws ProtocolException {
            if (b.hasRemaining()) throw new ProtocolException(what + " with " + b.remaining() + " unexpected byte(s) at the end");
        }

        int u8() throws ProtocolException {
            if (!b.hasRemaining()) throw new ProtocolException("packet too short");
            return b.get() & 0xff;
        }

        int u16() throws ProtocolException {
            if (b.remaining() < 2) throw new ProtocolException("packet too short");
            return b.getShort() & 0xffff;
        }

        byte[] bin() throws ProtocolException {
            int n = u16();
            if (b.remaining() < n) throw new ProtocolException("packet too short for a field of " + n + " bytes");
            byte[] out = new byte[n];
            b.get(out);
            return out;
        }

        String str() throws ProtocolException {
            int n = u16();
            if (b.remaining() < n) throw new ProtocolException("packet too short for a string of " + n + " bytes");
            int at = b.position();
            if (b.hasArray()) { // the common case, ASCII without U+0000: no decoder, one copy
                byte[] a = b.array();
                int off = b.arrayOffset() + at;
                int i = 0;
                while (i < n && a[off + i] > 0) i++;
                if (i == n) {
                    b.position(at + n);
                    return new String(a, off, n, StandardCharsets.ISO_8859_1);
                }
            }
            ByteBuffer slice = b.slice();
            slice.limit(n);
            b.position(at + n);
            if (utf8 == null) {
                utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            }
            try {
                CharBuffer s = utf8.decode(slice);
                for (int i = 0; i < s.length(); i++) {
                    if (s.charAt(i) == '\0') throw new ProtocolException("string with the character U+0000");
                }
                return s.toString();
            } catch (CharacterCodingException e) {
                throw new ProtocolException("string that is not well-formed UTF-8");
            }
        }

        byte[] rest() {
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        }
    }
}
