package io.tedge.broker.legacy;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Topics;
import io.tedge.broker.legacy.Packet.Ack;
import io.tedge.broker.legacy.Packet.Connect;
import io.tedge.broker.legacy.Packet.Publish;

/**
 * One client connection: a reader thread that handles what comes in and a writer thread that
 * sends what the session has for the client.
 *
 * <p>Acknowledgements of QoS 1/2 publishes are held back until the journal has the messages:
 * the reader handles every packet that is already buffered, then flushes the journal once (group
 * commit) and only then releases the PUBACKs/PUBRECs to the writer.
 */
final class Connection {
    private static final Logger LOG = LoggerFactory.getLogger(Connection.class);
    private static final int MAX_BATCH = 512;

    private final Broker broker;
    private final Socket socket;
    private final String remote;
    volatile Session session;
    private BrokerHooks.Client client;
    private Connect connect;
    private volatile boolean closed;
    private volatile boolean cleanDisconnect;
    private Thread writer;

    Connection(Broker broker, Socket socket) {
        this.broker = broker;
        this.socket = socket;
        this.remote = String.valueOf(socket.getRemoteSocketAddress());
    }

    void start() {
        Thread reader = new Thread(null, this::readLoop, "mqtt-in " + remote, 256 * 1024);
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop() {
        try (socket) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000); // CONNECT must come quickly
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            if (!handshake(in, out)) return;
            writer = new Thread(null, () -> writeLoop(out), "mqtt-out " + client.clientId(), 256 * 1024);
            writer.setDaemon(true);
            writer.start();
            List<Packet> acks = new ArrayList<>();
            long flushTo = -1;
            int batch = 0;
            while (!closed) {
                Packet p = MqttCodec.read(in, broker.settings().maxPacketSize());
                if (p == null) break;
                long pos = handle(p, acks);
                if (pos > flushTo) flushTo = pos;
                if (++batch >= MAX_BATCH || in.available() == 0) {
                    if (!acks.isEmpty()) {
                        Session s = session;
                        synchronized (s) {
                            s.control.addAll(acks);
                            s.notifyAll();
                        }
                        acks.clear();
                    }
                    flushTo = -1;
                    batch = 0;
                }
                if (p instanceof Packet.Simple sp && sp.type() == Packet.DISCONNECT) {
                    cleanDisconnect = true;
                    break;
                }
            }
        } catch (SocketTimeoutException e) {
            LOG.info("Client '{}' ({}) timed out (keep alive)", client == null ? "?" : client.clientId(), remote);
        } catch (MqttCodec.ProtocolException e) {
            LOG.warn("Closing connection of '{}' ({}): protocol error: {}", client == null ? "?" : client.clientId(), remote, e.getMessage());
        } catch (IOException e) {
            if (!closed) LOG.debug("Connection of '{}' ({}) ended: {}", client == null ? "?" : client.clientId(), remote, e.toString());
        } catch (RuntimeException e) {
            LOG.warn("Closing connection of '{}' ({}) after an error: {}", client == null ? "?" : client.clientId(), remote, e.toString(), e);
        } finally {
            finish();
        }
    }

    private boolean handshake(InputStream in, OutputStream out) throws IOException {
        Certificate[] peer = null;
        if (socket instanceof SSLSocket ssl) {
            ssl.startHandshake();
            try {
                peer = ssl.getSession().getPeerCertificates();
            } catch (SSLPeerUnverifiedException e) {
                peer = null;
            }
        }
        Packet first = MqttCodec.read(in, broker.settings().maxPacketSize());
        if (!(first instanceof Connect c)) {
            LOG.warn("Closing connection from {}: the first packet was not CONNECT", remote);
            return false;
        }
        connect = c;
        boolean v311 = c.protocolName().equals("MQTT") && c.level() == 4;
        boolean v31 = c.protocolName().equals("MQIsdp") && c.level() == 3;
        String id = c.clientId();
        int code = 0;
        if (!v311 && !v31) {
            code = 1; // unacceptable protocol version
        } else if (id.isEmpty() && !c.cleanSession()) {
            code = 2; // identifier rejected: an empty id needs a clean session
        } else if (c.willTopic() != null && Topics.checkTopicName(c.willTopic()) != null) {
            throw new MqttCodec.ProtocolException("invalid will topic");
        }
        if (id.isEmpty()) id = "auto-" + UUID.randomUUID();
        client = new BrokerHooks.Client(id, c.username(), peer, remote);
        if (code == 0) code = broker.hooks().authenticate(c, client);
        if (code != 0) {
            MqttCodec.write(out, new Packet.ConnAck(false, code));
            out.flush();
            LOG.info("Refused connection of '{}' ({}): CONNACK {}", id, remote, code);
            return false;
        }
        boolean present = broker.attach(this, id, c.cleanSession());
        socket.setSoTimeout(c.keepAlive() > 0 ? c.keepAlive() * 1500 : 0);
        synchronized (session) {
            session.control.add(0, new Packet.ConnAck(present, 0));
            session.notifyAll();
        }
        broker.hooks().connected(client);
        LOG.debug("Client '{}' connected from {} (clean session {}, keep alive {} s)", id, remote, c.cleanSession(), c.keepAlive());
        return true;
    }

    /** Handles one packet; returns the journal position to flush before the acks, or -1. */
    private long handle(Packet p, List<Packet> acks) throws IOException {
        Session s = session;
        if (p instanceof Publish pub) {
            String err = Topics.checkTopicName(pub.topic());
            if (err != null) throw new MqttCodec.ProtocolException("PUBLISH: " + err);
            long pos = -1;
            boolean accept;
            try {
                accept = broker.hooks().publish(client, pub);
            } catch (Exception e) {
                throw new MqttCodec.ProtocolException("publish refused: " + e.getMessage());
            }
            if (pub.qos() == 2) {
                boolean first;
                synchronized (s) {
                    first = s.awaitingRelease.add(pub.packetId());
                }
                if (first && accept) pos = broker.publish(pub.topic(), pub.payload(), 2, pub.retain());
                acks.add(new Ack(Packet.PUBREC, pub.packetId()));
            } else {
                if (accept) pos = broker.publish(pub.topic(), pub.payload(), pub.qos(), pub.retain());
                if (pub.qos() == 1) acks.add(new Ack(Packet.PUBACK, pub.packetId()));
            }
            return pos;
        }
        if (p instanceof Ack a) {
            switch (a.type()) {
                case Packet.PUBACK -> {
                    synchronized (s) {
                        Session.Outgoing o = s.inflight.get(a.packetId());
                        if (o != null && o.qos == 1) s.inflight.remove(a.packetId());
                        s.notifyAll();
                    }
                }
                case Packet.PUBREC -> {
                    synchronized (s) {
                        Session.Outgoing o = s.inflight.get(a.packetId());
                        if (o != null) o.released = true;
                        s.control.add(new Ack(Packet.PUBREL, a.packetId()));
                        s.notifyAll();
                    }
                }
                case Packet.PUBCOMP -> {
                    synchronized (s) {
                        s.inflight.remove(a.packetId());
                        s.notifyAll();
                    }
                }
                case Packet.PUBREL -> {
                    synchronized (s) {
                        s.awaitingRelease.remove(a.packetId());
                    }
                    acks.add(new Ack(Packet.PUBCOMP, a.packetId()));
                }
                default -> throw new MqttCodec.ProtocolException("unexpected packet type " + a.type());
            }
            return -1;
        }
        if (p instanceof Packet.Subscribe sub) {
            for (int q : sub.qos()) {
                if (q > 2) throw new MqttCodec.ProtocolException("SUBSCRIBE with QoS " + q);
            }
            // the SUBACK goes out before the retained messages: flush pending acks first
            if (!acks.isEmpty()) {
                synchronized (s) {
                    s.control.addAll(acks);
                }
                acks.clear();
            }
            broker.subscribe(s, client, sub, null);
            return -1;
        }
        if (p instanceof Packet.Unsubscribe u) {
            broker.unsubscribe(s, u);
            acks.add(new Ack(Packet.UNSUBACK, u.packetId()));
            return -1;
        }
        if (p instanceof Packet.Simple sp) {
            if (sp.type() == Packet.PINGREQ) acks.add(new Packet.Simple(Packet.PINGRESP));
            else if (sp.type() != Packet.DISCONNECT) throw new MqttCodec.ProtocolException("unexpected packet type " + sp.type());
            return -1;
        }
        throw new MqttCodec.ProtocolException("unexpected packet " + p.getClass().getSimpleName());
    }

    private void writeLoop(OutputStream out) {
        Session s = session;
        List<Packet> control = new ArrayList<>();
        List<Session.Outgoing> sends = new ArrayList<>();
        int maxInflight = broker.settings().maxInflight();
        try {
            while (true) {
                synchronized (s) {
                    while (true) {
                        if (closed || s.connection != this) return;
                        if (!s.control.isEmpty()) break;
                        if (hasUnsent(s)) break;
                        if (s.inflight.size() < maxInflight && !s.queue.isEmpty()) break;
                        s.wait();
                    }
                    control.addAll(s.control);
                    s.control.clear();
                    for (Session.Outgoing o : s.inflight.values()) {
                        if (!o.sent) {
                            o.sent = true;
                            sends.add(o);
                        }
                    }
                    while (!s.queue.isEmpty() && (s.inflight.size() < maxInflight || s.queue.peek().qos == 0)) {
                        Session.Outgoing o = s.queue.poll();
                        if (o.qos > 0) {
                            o.packetId = s.allocatePacketId();
                            s.inflight.put(o.packetId, o);
                        }
                        o.sent = true;
                        sends.add(o);
                        if (sends.size() >= 256) break;
                    }
                }
                for (Packet p : control) MqttCodec.write(out, p);
                for (Session.Outgoing o : sends) {
                    if (o.released) {
                        MqttCodec.write(out, new Ack(Packet.PUBREL, o.packetId));
                    } else {
                        boolean dup = o.qos > 0 && ++o.attempts > 1;
                        MqttCodec.writePublish(out, o.message.topic(), o.message.payload(), o.qos, o.retain, dup, o.packetId);
                    }
                }
                control.clear();
                sends.clear();
                synchronized (s) {
                    if (s.control.isEmpty() && !hasUnsent(s) && (s.queue.isEmpty() || s.inflight.size() >= maxInflight)) {
                        out.flush();
                    }
                }
            }
        } catch (IOException e) {
            LOG.debug("Writing to '{}' failed: {}", client.clientId(), e.toString());
            close(false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                out.flush();
            } catch (IOException e) {
                // closing
            }
        }
    }

    private static boolean hasUnsent(Session s) {
        for (Session.Outgoing o : s.inflight.values()) {
            if (!o.sent) return true;
        }
        return false;
    }

    /** Closes the socket; the reader thread then cleans up. */
    void close(boolean clean) {
        if (closed) return;
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
        Session s = session;
        if (s != null) {
            synchronized (s) {
                s.notifyAll();
            }
        }
    }

    private void finish() {
        closed = true;
        Session s = session;
        if (s != null) {
            synchronized (s) {
                s.notifyAll();
            }
            if (writer != null) {
                try {
                    writer.join(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            broker.detach(this, s);
            if (!cleanDisconnect && connect != null && connect.willTopic() != null) {
                try {
                    broker.publish(connect.willTopic(), connect.willMessage(), connect.willQos(), connect.willRetain());
                } catch (IOException e) {
                    LOG.warn("Could not publish the will message of '{}': {}", client.clientId(), e.toString());
                }
            }
            broker.hooks().disconnected(client, cleanDisconnect);
            LOG.debug("Client '{}' disconnected ({})", client.clientId(), cleanDisconnect ? "DISCONNECT" : "connection lost");
        }
    }
}
