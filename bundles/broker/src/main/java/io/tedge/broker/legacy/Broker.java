package io.tedge.broker.legacy;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.Topics;

/**
 * The broker core: sessions, subscriptions, retained messages and routing, shared by the MQTT
 * connections and the in-process bus.
 *
 * <p>LEGACY: the thread-per-connection broker that the cloud stand-ins of bundles/testkit are
 * built on, kept (without journal or state) only until they run on mosquitto; the agent uses
 * {@link io.tedge.broker.mqtt.Broker}. Delete this package then.
 */
public final class Broker implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);

    /** Limits. */
    public record Settings(int maxInflight, int maxQueued, int maxPacketSize) {
        public static Settings defaults() {
            return new Settings(20, 10_000, 16 * 1024 * 1024);
        }
    }

    private final BrokerHooks hooks;
    private final Settings settings;
    private final Object routeLock = new Object();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, BusMessage> retained = new ConcurrentHashMap<>();
    private final List<InternalSubscription> internal = new CopyOnWriteArrayList<>();
    private final AtomicLong published = new AtomicLong();
    private volatile boolean closed;

    public Broker(BrokerHooks hooks, Settings settings) {
        this.hooks = hooks == null ? new BrokerHooks() { } : hooks;
        this.settings = settings == null ? Settings.defaults() : settings;
    }

    public BrokerHooks hooks() {
        return hooks;
    }

    public Settings settings() {
        return settings;
    }

    /** Number of messages published (from clients and from inside) since start. */
    public long publishedCount() {
        return published.get();
    }

    // ------------------------------------------------------------------ publishing

    /**
     * Routes a publish from a client or from inside. QoS 1/2 messages are appended to the
     * journal; the return value is the journal position to flush before
     * acknowledging, or -1.
     */
    public long publish(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        long pos = -1;
        synchronized (routeLock) {
            BusMessage m = new BusMessage(topic, payload, qos, false, pos);
            if (retain) {
                if (payload.length == 0) retained.remove(topic);
                else retained.put(topic, new BusMessage(topic, payload, qos, true, pos));
            }
            route(m);
        }
        published.incrementAndGet();
        return pos;
    }

    private void route(BusMessage m) {
        for (Session s : sessions.values()) {
            int q = s.matchQos(m.topic());
            if (q >= 0) deliver(s, m, Math.min(q, m.qos()), false);
        }
        for (InternalSubscription sub : internal) {
            if (sub.matches(m.topic())) sub.offer(m);
        }
    }

    /**
     * Sends a message to one client only, when it has a subscription that matches (at the lower of
     * the two QoS), bypassing the journal, the retained messages and every other subscriber: for
     * the cloud stand-ins, whose downstream topics ({@code s/ds}, {@code $iothub/...}) carry no
     * device id. Returns whether the message was queued for the client.
     */
    public boolean publishTo(String clientId, String topic, byte[] payload, int qos) {
        String err = Topics.checkTopicName(topic);
        if (err != null) throw new IllegalArgumentException(err);
        synchronized (routeLock) {
            Session s = sessions.get(clientId);
            if (s == null) return false;
            int q = s.matchQos(topic);
            if (q < 0) return false;
            return deliver(s, new BusMessage(topic, payload, qos, false, -1), Math.min(q, qos), false);
        }
    }

    private boolean deliver(Session s, BusMessage m, int qos, boolean retainFlag) {
        synchronized (s) {
            if (s.connection == null && (s.clean || qos == 0)) return false;
            if (s.queue.size() >= settings.maxQueued()) {
                if (s.dropped++ % 1000 == 0) {
                    LOG.warn("Queue of client '{}' is full ({} messages): dropping messages ({} so far)", s.clientId, settings.maxQueued(), s.dropped);
                }
                return false;
            }
            s.queue.add(new Session.Outgoing(m, qos, retainFlag));
            if (s.connection != null) s.notifyAll();
            return true;
        }
    }

    // ------------------------------------------------------------------ sessions

    /** Attaches a connection to its session (creating or resetting it); returns session present. */
    boolean attach(Connection c, String clientId, boolean clean) {
        Session old;
        synchronized (routeLock) {
            old = sessions.get(clientId);
        }
        if (old != null) {
            Connection oc;
            synchronized (old) {
                oc = old.connection;
            }
            if (oc != null && oc != c) {
                LOG.info("Client '{}' connected again: closing its previous connection", clientId);
                oc.close(false);
            }
        }
        synchronized (routeLock) {
            Session s = sessions.get(clientId);
            boolean present = s != null && !clean && !s.clean;
            if (s == null || clean || s.clean) {
                if (s != null) detachAll(s);
                s = new Session(clientId, clean);
                sessions.put(clientId, s);
            }
            synchronized (s) {
                s.connection = c;
                s.control.clear();
                // resend what was in flight, with DUP, before anything new
                for (Session.Outgoing o : s.inflight.values()) o.sent = false;
                s.notifyAll();
            }
            c.session = s;
            return present;
        }
    }

    private void detachAll(Session s) {
        synchronized (s) {
            s.connection = null;
            s.queue.clear();
            s.inflight.clear();
            s.notifyAll();
        }
    }

    /** The connection is gone; a clean session is discarded, a persistent one kept. */
    void detach(Connection c, Session s) {
        synchronized (routeLock) {
            synchronized (s) {
                if (s.connection != c) return;
                s.connection = null;
                s.control.clear();
                s.notifyAll();
            }
            if (s.clean) sessions.remove(s.clientId, s);
        }
    }

    /** Adds subscriptions; the retained messages they match are queued after the SUBACK. */
    List<Integer> subscribe(Session s, BrokerHooks.Client client, Packet.Subscribe sub, Packet suback) {
        List<Integer> codes = new ArrayList<>();
        synchronized (routeLock) {
            List<BusMessage> toSend = new ArrayList<>();
            List<Integer> qosOf = new ArrayList<>();
            for (int i = 0; i < sub.filters().size(); i++) {
                String f = sub.filters().get(i);
                int q = Math.min(sub.qos().get(i), 2);
                int granted = Topics.checkFilter(f) != null ? 0x80 : hooks.subscribe(client, f, q);
                codes.add(granted);
                if (granted == 0x80) continue;
                s.subscriptions.put(f, granted);
                for (BusMessage r : retained.values()) {
                    if (Topics.matches(f, r.topic())) {
                        toSend.add(r);
                        qosOf.add(Math.min(granted, r.qos()));
                    }
                }
            }
            synchronized (s) {
                s.control.add(new Packet.SubAck(sub.packetId(), codes));
                s.notifyAll();
            }
            for (int i = 0; i < toSend.size(); i++) deliver(s, toSend.get(i), qosOf.get(i), true);
        }
        return codes;
    }

    void unsubscribe(Session s, Packet.Unsubscribe u) {
        synchronized (routeLock) {
            for (String f : u.filters()) s.subscriptions.remove(f);
        }
    }

    /** Connected client ids. */
    public List<String> connectedClients() {
        List<String> out = new ArrayList<>();
        for (Session s : sessions.values()) {
            synchronized (s) {
                if (s.connection != null) out.add(s.clientId);
            }
        }
        return out;
    }

    /** Closes the connection of a client, if connected (used by the cloud stand-ins). */
    public boolean disconnect(String clientId) {
        Session s = sessions.get(clientId);
        if (s == null) return false;
        Connection c;
        synchronized (s) {
            c = s.connection;
        }
        if (c == null) return false;
        c.close(false);
        return true;
    }

    /** The retained message on a topic, or null. */
    public BusMessage retained(String topic) {
        return retained.get(topic);
    }

    // ------------------------------------------------------------------ in-process subscribers

    /** A live in-process subscription with its own delivery thread. */
    public Bus.Subscription subscribeInternal(Collection<String> filters, Consumer<BusMessage> listener) {
        for (String f : filters) {
            String err = Topics.checkFilter(f);
            if (err != null) throw new IllegalArgumentException(err);
        }
        InternalSubscription sub = new InternalSubscription(List.copyOf(filters), listener);
        synchronized (routeLock) {
            for (BusMessage r : retained.values()) {
                if (sub.matches(r.topic())) sub.offer(r);
            }
            internal.add(sub);
        }
        sub.start();
        return () -> {
            internal.remove(sub);
            sub.stop();
        };
    }

    private static final class InternalSubscription implements Runnable {
        private final List<String> filters;
        private final Consumer<BusMessage> listener;
        private final BlockingQueue<BusMessage> queue = new ArrayBlockingQueue<>(100_000);
        private final Thread thread;
        private volatile boolean stopped;
        private long dropped;

        InternalSubscription(List<String> filters, Consumer<BusMessage> listener) {
            this.filters = filters;
            this.listener = listener;
            this.thread = new Thread(null, this, "tedge-bus-sub " + filters, 256 * 1024);
            thread.setDaemon(true);
        }

        boolean matches(String topic) {
            for (String f : filters) {
                if (Topics.matches(f, topic)) return true;
            }
            return false;
        }

        void offer(BusMessage m) {
            if (!queue.offer(m) && dropped++ % 1000 == 0) {
                LOG.warn("In-process subscriber {} is too slow: dropped {} message(s)", filters, dropped);
            }
        }

        void start() {
            thread.start();
        }

        void stop() {
            stopped = true;
            thread.interrupt();
        }

        @Override
        public void run() {
            while (!stopped) {
                BusMessage m;
                try {
                    m = queue.poll(1, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    return;
                }
                if (m == null) continue;
                try {
                    listener.accept(m);
                } catch (RuntimeException e) {
                    LOG.warn("In-process subscriber {} failed on {}: {}", filters, m.topic(), e.toString(), e);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        List<Connection> open = new ArrayList<>();
        for (Session s : sessions.values()) {
            synchronized (s) {
                if (s.connection != null) open.add(s.connection);
            }
        }
        for (Connection c : open) c.close(false);
        for (InternalSubscription sub : internal) sub.stop();
        internal.clear();
    }

    /** For tests and status: sessions by client id with queue sizes. */
    public Map<String, Integer> queuedByClient() {
        Map<String, Integer> out = new HashMap<>();
        for (Session s : sessions.values()) {
            synchronized (s) {
                out.put(s.clientId, s.queue.size() + s.inflight.size());
            }
        }
        return out;
    }
}
