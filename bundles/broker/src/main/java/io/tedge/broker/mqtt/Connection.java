package io.tedge.broker.mqtt;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Topics;
import io.tedge.broker.mqtt.MqttCodec.Header;
import io.tedge.broker.mqtt.MqttCodec.ProtocolException;
import io.tedge.broker.mqtt.Packet.Ack;
import io.tedge.broker.mqtt.Packet.Connect;
import io.tedge.broker.mqtt.Packet.Publish;

/**
 * One client connection, driven by its {@link IoLoop} thread: non-blocking reads parsed into
 * packets, responses and deliveries written as the socket takes them. An idle connection holds no
 * buffer: a partly received packet gets one of its exact size (checked against
 * {@code mqtt.max_packet_size} first, large ones within a broker-wide budget), released when the
 * packet is complete.
 *
 * <p>Responses keep their order and each waits for what it acknowledges to be stored: a PUBACK
 * or PUBREC until the journal is durable past the publish, a CONNACK that created a persistent
 * session and a SUBACK or UNSUBACK of one until the sessions file is written, and every response after one of those with it
 * (whatever else came in the same read: SUBSCRIBE, PINGREQ...). DISCONNECT, a socket error or a
 * journal that cannot write close the connection with those responses unsent.
 */
final class Connection {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    /** Largest buffer a connection may hold without drawing on the broker-wide budget. */
    private static final int SMALL = 64 * 1024;
    /** Bytes encoded for the socket before the connection stops taking messages from its session. */
    private static final int OUT_HIGH = 64 * 1024;
    /** Responses waiting before reading from the client pauses. */
    private static final int MAX_RESPONSES = 1024;
    /** Journal bytes not yet written before QoS 1/2 publishes wait (back-pressure on the publishers). */
    static final long JOURNAL_HIGH = 8L << 20;

    private record Response(ByteBuffer bytes, long journal, long state) {
    }

    final IoLoop loop;
    private final Broker broker;
    private final SocketChannel ch;
    SelectionKey key;
    final String remote;
    private final boolean refused;
    private final long acceptedAt = System.currentTimeMillis();
    private long lastRead = acceptedAt;

    private Session session;
    private Connect connect;
    private String clientId = "?";
    private int keepAlive;
    private boolean connected;
    private boolean closed;
    private boolean closeAfterFlush;
    private boolean cleanDisconnect;
    private boolean connAckPending;
    private volatile boolean closeRequested;
    private final AtomicBoolean scheduled = new AtomicBoolean();

    private ByteBuffer in; // unparsed bytes (write mode), null when none
    private long inReserved;
    private int inWanted;  // a buffer of this size is waiting for the budget
    private boolean readPaused;

    private ArrayDeque<Response> responses;
    private long gateJournal = -1;
    private long gateState;
    private ArrayDeque<ByteBuffer> out;
    private long outBytes;
    private boolean writeInterest;

    Connection(IoLoop loop, Broker broker, SocketChannel ch, boolean refused) {
        this.loop = loop;
        this.broker = broker;
        this.ch = ch;
        this.refused = refused;
        String r;
        try {
            r = String.valueOf(ch.getRemoteAddress());
        } catch (IOException e) {
            r = "?";
        }
        this.remote = r;
    }

    String clientId() {
        return clientId;
    }

    boolean refusedConnection() {
        return refused;
    }

    // ------------------------------------------------------------------ from other threads

    /** Something was queued for the client: write it soon (any thread). */
    void wake() {
        if (scheduled.compareAndSet(false, true)) loop.schedule(this);
    }

    /** Closes this connection soon: its client connected again, or the broker stops (any thread). */
    void takeOver() {
        closeRequested = true;
        wake();
    }

    // ------------------------------------------------------------------ on the I/O thread

    void onScheduled() {
        scheduled.set(false);
        if (closeRequested) {
            close(false, connected ? "its client id connected again, or the broker stops" : "the broker stops");
            return;
        }
        pump();
    }

    void onReadable() {
        if (closed || readPaused) return;
        int total = 0;
        try {
            while (!closed && !readPaused && total < 256 * 1024) {
                ByteBuffer target;
                if (in == null) {
                    target = loop.readBuffer();
                    target.clear();
                } else {
                    if (!ensureRoom()) return;
                    target = in;
                }
                int space = target.remaining();
                int n = ch.read(target);
                if (n < 0) {
                    close(false, "closed by the client");
                    return;
                }
                if (n == 0) break;
                boolean drained = n < space; // a short read: the socket had no more (the selector says when it has)
                total += n;
                lastRead = System.currentTimeMillis();
                if (target != in) {
                    target.flip();
                    parse(target);
                    if (!closed && target.hasRemaining()) stash(target);
                } else if (!parseIn()) {
                    return;
                }
                if (drained) break;
            }
        } catch (ProtocolException e) {
            protocolError(e);
            return;
        } catch (IOException e) {
            close(false, "read failed: " + e.getMessage());
            return;
        }
        pump();
    }

    void onWritable() {
        pump();
    }

    /** Keeps leftover bytes of the shared read buffer in a buffer of the connection's own. */
    private void stash(ByteBuffer rest) throws ProtocolException {
        int size = Math.max(rest.remaining(), wanted(rest));
        if (!reserve(size)) {
            size = rest.remaining(); // keep what arrived, read no more until there is room
            pauseReading();
            inWanted = wanted(rest);
            loop.waitMemory(this);
        }
        in = ByteBuffer.allocate(size);
        in.put(rest);
    }

    /** The size needed for the first packet in b (5 while its header is incomplete). */
    private int wanted(ByteBuffer b) throws ProtocolException {
        Header h = MqttCodec.header(b, broker.settings().maxPacketSize());
        return h == null ? 5 : h.size() + h.length();
    }

    /** Makes sure {@code in} can take the rest of its first packet; false when paused for memory. */
    private boolean ensureRoom() throws ProtocolException {
        if (in.hasRemaining()) return true;
        in.flip();
        int need = Math.max(in.remaining() + 1, wanted(in));
        if (!reserve(need)) {
            in.compact();
            pauseReading();
            inWanted = need;
            loop.waitMemory(this);
            return false;
        }
        ByteBuffer bigger = ByteBuffer.allocate(need);
        bigger.put(in);
        in = bigger; // the reservation (if any) moved to the new size in reserve()
        return true;
    }

    private boolean reserve(int size) {
        if (size <= SMALL) return true;
        long extra = size - inReserved;
        if (extra <= 0) return true;
        if (!broker.inboundBudget.tryTake(extra)) return false;
        inReserved = size;
        return true;
    }

    private void releaseIn() {
        in = null;
        if (inReserved > 0) {
            broker.inboundBudget.give(inReserved);
            inReserved = 0;
        }
    }

    /** Called by the loop while this connection waits for memory; true when it could resume. */
    boolean retryMemory() {
        if (closed) return true;
        if (!reserve(inWanted)) return false;
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(inWanted, in.position()));
        in.flip();
        bigger.put(in);
        long r = inReserved;
        in = bigger;
        inReserved = r;
        inWanted = 0;
        resumeReading();
        return true;
    }

    private void pauseReading() {
        if (readPaused || closed) return;
        readPaused = true;
        interest();
    }

    private void resumeReading() {
        if (!readPaused || closed) return;
        readPaused = false;
        interest();
        // bytes already received first
        if (in != null && in.position() > 0) {
            try {
                if (!parseIn()) return;
            } catch (ProtocolException e) {
                protocolError(e);
                return;
            }
        }
        onReadable();
    }

    /** Handles what {@code in} holds and keeps the rest; false when the connection closed. */
    private boolean parseIn() throws ProtocolException {
        in.flip();
        parse(in);
        if (closed) return false;
        if (in.hasRemaining()) in.compact();
        else releaseIn();
        return true;
    }

    private void protocolError(ProtocolException e) {
        LOG.warn("Closing the connection of '{}' ({}): protocol error: {}", clientId, remote, e.getMessage());
        close(false, null);
    }

    private void interest() {
        if (closed || !key.isValid()) return;
        key.interestOps((readPaused ? 0 : SelectionKey.OP_READ) | (writeInterest ? SelectionKey.OP_WRITE : 0));
    }

    /** Handles the complete packets in b (read mode); stops early when reading must pause. */
    private void parse(ByteBuffer b) throws ProtocolException {
        int max = broker.settings().maxPacketSize();
        while (b.hasRemaining() && !closed && !readPaused) {
            Header h = MqttCodec.header(b, max);
            if (h == null || b.remaining() < h.size() + h.length()) return;
            if (mustWait(h, b)) {
                pauseReading();
                loop.waitJournal(this);
                return;
            }
            ByteBuffer body = b.slice(b.position() + h.size(), h.length());
            b.position(b.position() + h.size() + h.length());
            handle(MqttCodec.decode(h, body, max));
        }
    }

    /** Back-pressure: too many responses waiting, or a QoS 1/2 publish while the journal is behind. */
    private boolean mustWait(Header h, ByteBuffer b) {
        if (responses != null && responses.size() >= MAX_RESPONSES) return true;
        return h.type() == Packet.PUBLISH && (h.flags() & 6) != 0 && broker.journal().pendingBytes() > JOURNAL_HIGH;
    }

    // ------------------------------------------------------------------ packets

    private void handle(Packet p) throws ProtocolException {
        if (!connected) {
            if (closeAfterFlush) return; // refused: ignore what follows
            if (!(p instanceof Connect c)) throw new ProtocolException("the first packet was not CONNECT");
            onConnect(c);
            return;
        }
        if (p instanceof Publish pub) {
            onPublish(pub);
        } else if (p instanceof Ack a) {
            onAck(a);
        } else if (p instanceof Packet.Subscribe sub) {
            Broker.Subscribed r = broker.subscribe(session, sub);
            gateState = Math.max(gateState, r.stateVersion());
            respond(new Packet.SubAck(sub.packetId(), r.codes()));
        } else if (p instanceof Packet.Unsubscribe u) {
            gateState = Math.max(gateState, broker.unsubscribe(session, u));
            respond(new Ack(Packet.UNSUBACK, u.packetId()));
        } else if (p instanceof Packet.Simple sp && sp.type() == Packet.PINGREQ) {
            respond(new Packet.Simple(Packet.PINGRESP));
        } else if (p instanceof Packet.Simple sp && sp.type() == Packet.DISCONNECT) {
            cleanDisconnect = true;
            close(true, "DISCONNECT");
        } else {
            throw new ProtocolException("a second CONNECT");
        }
    }

    private void onConnect(Connect c) throws ProtocolException {
        connect = c;
        String proto = c.protocolName();
        if (!proto.equals("MQTT") && !proto.equals("MQIsdp")) throw new ProtocolException("unknown protocol name '" + proto + "'");
        boolean known = proto.equals("MQTT") && c.level() == 4 || proto.equals("MQIsdp") && c.level() == 3;
        String id = c.clientId();
        int idBytes = id.getBytes(StandardCharsets.UTF_8).length;
        int code = 0;
        String why = null;
        if (!known) {
            code = 1;
            why = "protocol level " + c.level() + " (MQTT 3.1.1 and 3.1 only)";
        } else if (refused) {
            code = 3;
        } else if (idBytes > Broker.MAX_CLIENT_ID_BYTES) {
            code = 2;
            why = "a client id of " + idBytes + " bytes (at most " + Broker.MAX_CLIENT_ID_BYTES + ")";
        } else if (id.isEmpty() && !c.cleanSession()) {
            code = 2;
            why = "an empty client id needs a clean session";
        } else if (c.willTopic() != null && Topics.checkTopicName(c.willTopic()) != null) {
            throw new ProtocolException("invalid will topic: " + Topics.checkTopicName(c.willTopic()));
        }
        if (id.isEmpty()) id = "auto-" + UUID.randomUUID();
        if (code == 0) {
            Broker.Attached a = broker.attach(this, id, c.cleanSession());
            if (a.refusal() == 0) {
                session = a.session();
                clientId = id;
                keepAlive = c.keepAlive();
                connected = true;
                connAckPending = true;
                gateState = Math.max(gateState, a.stateVersion()); // a new persistent session is stored before its CONNACK
                respond(new Packet.ConnAck(a.present(), 0));
                LOG.debug("Client '{}' connected from {} (clean session {}, keep alive {} s)", id, remote, c.cleanSession(), c.keepAlive());
                pump();
                return;
            }
            code = a.refusal();
        }
        if (why != null) {
            LOG.info("Refused the connection of '{}' ({}): CONNACK {}: {}", idBytes > 64 ? id.substring(0, 32) + "..." : id, remote, code, why);
        }
        respond(new Packet.ConnAck(false, code));
        closeAfterFlush = true;
        pump();
    }

    private void onPublish(Publish pub) throws ProtocolException {
        String err = Topics.checkTopicName(pub.topic());
        if (err != null) throw new ProtocolException("PUBLISH: " + err);
        boolean first = true;
        if (pub.qos() == 2) {
            synchronized (session) {
                first = session.awaitingRelease().add(pub.packetId());
            }
        }
        long pos = -1;
        if (first) {
            try {
                pos = broker.publish(pub.topic(), pub.payload(), pub.qos(), pub.retain());
            } catch (IOException e) {
                LOG.error("Refusing the QoS {} publish of '{}' on {}: {}. Closing its connection without acknowledging it", pub.qos(), clientId,
                        pub.topic(), e.getMessage());
                close(false, null);
                return;
            }
        }
        if (pub.qos() == 1) respond(new Ack(Packet.PUBACK, pub.packetId()), pos);
        else if (pub.qos() == 2) respond(new Ack(Packet.PUBREC, pub.packetId()), pos);
    }

    private void onAck(Ack a) throws ProtocolException {
        Session s = session;
        switch (a.type()) {
            case Packet.PUBACK -> {
                synchronized (s) {
                    Session.Outgoing o = s.inflight == null ? null : s.inflight.get(a.packetId());
                    if (o != null && o.qos == 1) {
                        s.inflight.remove(a.packetId());
                        broker.giveBack(s, o.size);
                        if (o.journaled) s.deliveredTo = Math.max(s.deliveredTo, o.message.position());
                    }
                }
            }
            case Packet.PUBREC -> {
                synchronized (s) {
                    Session.Outgoing o = s.inflight == null ? null : s.inflight.get(a.packetId());
                    if (o != null && o.qos == 2) {
                        o.released = true;
                        o.sent = true;
                    }
                }
                respond(new Ack(Packet.PUBREL, a.packetId()));
            }
            case Packet.PUBCOMP -> {
                synchronized (s) {
                    Session.Outgoing o = s.inflight == null ? null : s.inflight.remove(a.packetId());
                    if (o != null) {
                        broker.giveBack(s, o.size);
                        if (o.journaled) s.deliveredTo = Math.max(s.deliveredTo, o.message.position());
                    }
                }
            }
            case Packet.PUBREL -> {
                synchronized (s) {
                    if (s.awaitingRelease != null) s.awaitingRelease.remove(a.packetId());
                }
                respond(new Ack(Packet.PUBCOMP, a.packetId()));
            }
            default -> throw new ProtocolException("unexpected packet type " + a.type());
        }
    }

    private void respond(Packet p) {
        respond(p, -1);
    }

    /** Queues a response behind the ones before it, held until the journal is past {@code journalPos}. */
    private void respond(Packet p, long journalPos) {
        if (journalPos > gateJournal) gateJournal = journalPos;
        if (responses == null) responses = new ArrayDeque<>(4);
        responses.add(new Response(MqttCodec.encode(p), gateJournal, gateState));
    }

    // ------------------------------------------------------------------ writing

    /** Moves released responses and session messages to the socket, as far as it takes them. */
    void pump() {
        if (closed) return;
        boolean waiting = false;
        if (responses != null && !responses.isEmpty()) {
            long end = broker.journal().end();
            long saved = broker.savedStateVersion();
            Response r;
            while ((r = responses.peek()) != null && r.journal() <= end && r.state() <= saved) {
                responses.poll();
                if (r.bytes().get(0) == (byte) (Packet.CONNACK << 4)) connAckPending = false;
                enqueue(r.bytes());
            }
            if (r != null) {
                if (r.journal() > end && broker.journal().failure() != null) {
                    LOG.error("The journal cannot write ({}): closing the connection of '{}' ({}) without acknowledging its QoS 1/2 publish(es)",
                            broker.journal().failure().getMessage(), clientId, remote);
                    close(false, null);
                    return;
                }
                waiting = true;
            }
        }
        if (connected && !closeAfterFlush && !connAckPending) { // nothing before the CONNACK
            try {
                fill();
            } catch (IOException e) {
                LOG.warn("Could not read the journal for '{}': {}", clientId, e.toString());
            }
        }
        if (!flush()) return;
        if (closeAfterFlush && (out == null || out.isEmpty())) {
            close(false, null);
            return;
        }
        if (waiting) loop.waitJournal(this);
        if (readPaused && inWanted == 0 && (responses == null || responses.size() < MAX_RESPONSES / 2)
                && broker.journal().pendingBytes() <= JOURNAL_HIGH / 2) {
            resumeReading();
        }
    }

    /** Takes messages from the session (and the journal, in journal mode) while the socket keeps up. */
    private void fill() throws IOException {
        Session s = session;
        int maxInflight = broker.settings().maxInflight();
        while (outBytes < OUT_HIGH) {
            boolean journalMode;
            int added = 0;
            synchronized (s) {
                if (s.connection != this) return;
                if (s.inflight != null) {
                    for (Session.Outgoing o : s.inflight.values()) {
                        if (!o.sent) {
                            o.sent = true;
                            write(o);
                            added++;
                        }
                    }
                }
                Session.Outgoing o;
                while (outBytes < OUT_HIGH && (o = s.queue.peek()) != null && (o.qos == 0 || s.inflightCount() < maxInflight)) {
                    s.queue.poll();
                    if (o.qos > 0) {
                        o.packetId = s.allocatePacketId();
                        s.inflight().put(o.packetId, o);
                    } else {
                        broker.giveBack(s, o.size);
                    }
                    o.sent = true;
                    write(o);
                    added++;
                }
                journalMode = s.journalFrom >= 0 && s.inflightCount() < maxInflight;
            }
            if (journalMode) {
                Broker.Progress r = broker.catchUp(s, this, loop.journalReader());
                if (r.state() == Broker.CatchUp.AT_END) loop.waitJournal(this);
                if (r.added() > 0 || (r.state() == Broker.CatchUp.LIVE && added > 0)) continue;
            }
            if (added == 0) return;
        }
    }

    private void write(Session.Outgoing o) {
        if (o.released) {
            enqueue(MqttCodec.encode(new Ack(Packet.PUBREL, o.packetId)));
            return;
        }
        boolean dup = o.qos > 0 && ++o.attempts > 1;
        byte[] payload = o.message.payload();
        enqueue(MqttCodec.publishHeader(o.topic(), payload.length, o.qos, o.retain, dup, o.packetId));
        if (payload.length > 0) enqueue(ByteBuffer.wrap(payload));
    }

    private void enqueue(ByteBuffer b) {
        if (out == null) out = new ArrayDeque<>(8);
        out.add(b);
        outBytes += b.remaining();
    }

    /** Writes what the socket takes; false when the connection broke. */
    private boolean flush() {
        if (out == null || out.isEmpty()) {
            setWriteInterest(false);
            return true;
        }
        try {
            ByteBuffer w = loop.writeBuffer();
            while (!out.isEmpty()) {
                ByteBuffer first = out.peek();
                long n;
                boolean full;
                if (first.remaining() >= w.capacity() / 2) {
                    n = ch.write(first); // a large payload: as it is
                    full = n == 0;
                } else {
                    // small packets (acknowledgements, headers, payloads) copied into one buffer: one write
                    w.clear();
                    for (ByteBuffer b : out) {
                        int k = Math.min(w.remaining(), b.remaining());
                        w.put(w.position(), b, b.position(), k);
                        w.position(w.position() + k);
                        if (!w.hasRemaining()) break;
                    }
                    w.flip();
                    int want = w.remaining();
                    n = ch.write(w);
                    for (long left = n; left > 0; ) { // move past what was written
                        ByteBuffer b = out.peek();
                        int k = (int) Math.min(left, b.remaining());
                        b.position(b.position() + k);
                        left -= k;
                        if (!b.hasRemaining()) out.poll();
                    }
                    full = n < want; // the socket took less: it is full
                }
                outBytes -= n;
                while (!out.isEmpty() && !out.peek().hasRemaining()) out.poll();
                if (full) break;
            }
        } catch (IOException e) {
            close(false, "write failed: " + e.getMessage());
            return false;
        }
        if (out.isEmpty()) out = null;
        setWriteInterest(out != null);
        return true;
    }

    private void setWriteInterest(boolean on) {
        if (writeInterest == on) return;
        writeInterest = on;
        interest();
    }

    // ------------------------------------------------------------------ time and end

    /** Once a second: the CONNECT deadline and keep-alive. */
    void tick(long now) {
        if (closed) return;
        if (!connected) {
            if (now - acceptedAt > (refused || closeAfterFlush ? 2_000 : 10_000)) close(false, "no CONNECT in time");
            return;
        }
        if (keepAlive > 0 && !readPaused && now - lastRead > keepAlive * 1500L) {
            LOG.info("Client '{}' ({}) sent nothing for 1.5 times its keep alive of {} s: closing its connection", clientId, remote, keepAlive);
            close(false, null);
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Closes the socket and hands the session back; publishes the will unless the client said DISCONNECT. */
    void close(boolean clean, String why) {
        if (closed) return;
        closed = true;
        if (key != null) key.cancel();
        try {
            ch.close();
        } catch (IOException e) {
            // closing
        }
        releaseIn();
        responses = null;
        out = null;
        loop.closed(this);
        if (session != null && connected) {
            broker.detach(this, session);
            if (!clean && !cleanDisconnect && connect != null && connect.willTopic() != null) {
                try {
                    broker.publish(connect.willTopic(), connect.willMessage(), connect.willQos(), connect.willRetain());
                } catch (IOException e) {
                    LOG.warn("Could not publish the will message of '{}': {}", clientId, e.getMessage());
                }
            }
            if (why != null) LOG.debug("Client '{}' ({}) disconnected: {}", clientId, remote, why);
        }
    }
}
