package io.tedge.bridge.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.net.ssl.SSLContext;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.BridgeRule;
import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudLink;
import io.tedge.api.DurableConsumer;

/**
 * One running cloud link. Outbound QoS 1/2 messages come from the journal through the durable
 * consumer {@code bridge-<cloud>}; the cursor only moves past a message once the cloud has
 * acknowledged it and everything before it, so a cloud outage, a reconnect, a crash or an update
 * of any bundle only delays messages (at least once, in order). QoS 0 messages are forwarded
 * live while connected, as a mosquitto bridge does. Messages from the cloud are published on the
 * bus under the local prefix. The MQTT client ({@link CloudClient}) keeps nothing itself (clean
 * session) and writes a whole batch of publishes before one flush.
 */
final class Link implements CloudClient.Listener, Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Link.class);

    /** Runtime settings from the bridge.* keys. */
    record Settings(long initialMs, long maxMs, long jitterMs, int inflight) {
    }

    private static final class Pending {
        final long position;
        volatile boolean acked;
        int packetId;

        Pending(long position) {
            this.position = position;
        }
    }

    final String cloud;
    final CloudLink spec;
    private final Bus bus;
    private final SSLContext tls;
    private final Settings settings;
    private final String uri;
    private final Object lock = new Object();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final Map<Integer, Pending> byId = new HashMap<>();
    private int nextId = 1;
    private final Backoff backoff;
    private final Thread thread;
    private final LinkStatus status;
    private final Object sleeper = new Object();
    private volatile boolean running = true;
    private volatile CloudClient client;
    private volatile boolean up;
    private volatile String lastError = "";
    private volatile boolean terminal;
    private volatile DurableConsumer consumer;
    /**
     * Messages this link brought in on a local topic that an outbound rule also matches (a rule
     * both ways): not sent back out, or a pub/sub cloud would echo them forever. Keyed by topic
     * and payload, counted; bounded (the oldest are forgotten).
     */
    private final Map<String, Integer> echoes = new java.util.LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > 10_000;
        }
    };
    private Bus.Subscription live;
    /** The link thread's last local topic sent, its rule and its cloud topic (spec.rules() do not change). */
    private String sendTopic;
    private BridgeRule sendRule;
    private String sendRemote;

    Link(String cloud, CloudLink spec, Bus bus, SSLContext tls, Settings settings, LinkStatus status) {
        this.cloud = cloud;
        this.spec = spec;
        this.bus = bus;
        this.tls = tls;
        this.settings = settings;
        this.uri = (spec.host().contains(":") ? "[" + spec.host() + "]" : spec.host()) + ":" + spec.port();
        this.backoff = new Backoff(settings.initialMs(), settings.maxMs(), settings.jitterMs());
        this.status = status;
        this.thread = new Thread(this, "tedge-bridge-" + cloud);
        thread.setDaemon(true);
    }

    /** Local topic filters of the outbound rules. */
    List<String> outboundFilters() {
        Set<String> f = new LinkedHashSet<>();
        for (BridgeRule r : spec.rules()) {
            if (r.outbound()) f.add(r.localFilter());
        }
        return new ArrayList<>(f);
    }

    void start() {
        consumer = bus.consumer("bridge-" + cloud, outboundFilters());
        live = bus.subscribe(outboundFilters(), this::forwardLive);
        DurableConsumer c = consumer;
        status.source(uri, () -> c.dropped());
        status.state("connecting", "", false);
        thread.start();
    }

    /**
     * Stops the loop without interrupting it (an interrupt closes any file channel the thread is
     * writing, e.g. its cursor): it waits at most a poll interval or is woken up; an interrupt is
     * the last resort.
     */
    void stop() {
        running = false;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        synchronized (lock) {
            lock.notifyAll();
        }
        disconnect();
        try {
            thread.join(5000);
            if (thread.isAlive()) {
                thread.interrupt();
                thread.join(2000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (live != null) live.close();
        commitAcknowledged();
        if (consumer != null) consumer.close();
        up = false;
        status.state("disconnected", "", false);
    }

    private void pause(long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        synchronized (sleeper) {
            long left;
            while (running && (left = end - System.nanoTime()) > 0) sleeper.wait(Math.max(1, left / 1_000_000L));
        }
    }

    boolean isUp() {
        return up;
    }

    // ------------------------------------------------------------------ the loop

    @Override
    public void run() {
        while (running) {
            try {
                if (!connect()) {
                    long d = backoff.nextDelay();
                    if (!running) return;
                    LOG.info("Link to {} ({}) is down: {}; retrying in {} ms", cloud, uri, lastError, d);
                    pause(d);
                    continue;
                }
                backoff.reset();
                forwardWhileConnected();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) return;
                lastError = e.toString();
                LOG.warn("Link to {}: {}", cloud, e.toString(), e);
                try {
                    pause(backoff.nextDelay());
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private boolean connect() throws InterruptedException {
        disconnect();
        try {
            CloudClient c = CloudClient.connect(tls.getSocketFactory(), spec.host(), spec.port(), spec.clientId(), spec.username(),
                    spec.keepAliveSeconds(), 15_000, this);
            client = c;
            List<String> filters = new ArrayList<>();
            List<Integer> qos = new ArrayList<>();
            for (BridgeRule r : spec.rules()) {
                if (r.inbound()) {
                    filters.add(r.remoteFilter());
                    qos.add(Math.min(r.qos(), spec.maxQos()));
                }
            }
            if (!filters.isEmpty()) {
                List<Integer> granted = c.subscribe(filters, qos, 15_000);
                for (int i = 0; i < granted.size() && i < filters.size(); i++) {
                    if (granted.get(i) == 0x80) LOG.warn("Link to {}: the cloud refused the subscription to {}", cloud, filters.get(i));
                }
            }
            synchronized (lock) {
                pending.clear();
                byId.clear();
            }
            consumer.rewind();
            up = true;
            lastError = "";
            terminal = false;
            LOG.info("Link to {} is up ({} as {})", cloud, uri, spec.clientId());
            status.state("up", "", false);
            return true;
        } catch (IOException e) {
            lastError = describe(e);
            terminal = terminal(e);
            up = false;
            disconnect();
            if (running) status.state("down", lastError, terminal);
            return false;
        }
    }

    /**
     * Whether retrying will not help until something is changed: the TLS handshake failed (an
     * untrusted certificate on either side), the cloud refused the CONNECT (not authorised, bad
     * client id or user name), the host is unknown or nothing listens on the port.
     */
    static boolean terminal(IOException e) {
        return e instanceof CloudClient.RefusedException || e instanceof javax.net.ssl.SSLException
                || e instanceof java.net.UnknownHostException || e instanceof java.net.ConnectException;
    }

    private String describe(IOException e) {
        if (e instanceof CloudClient.RefusedException) return e.getMessage();
        if (e instanceof javax.net.ssl.SSLException) {
            Throwable c = e;
            while (c.getCause() != null && c.getCause() != c) c = c.getCause();
            return "TLS: " + (c.getMessage() == null ? c.toString() : c.getMessage()) + " (check " + cloud
                    + ".root.cert.path, and that the cloud trusts the device certificate)";
        }
        if (e instanceof java.net.UnknownHostException) {
            // its message is the bare host name
            return "cannot reach " + uri + ": unknown host (check " + cloud + ".url, " + cloud + ".mqtt and the device's DNS)";
        }
        if (e instanceof java.net.ConnectException
                || e instanceof java.net.SocketTimeoutException || e instanceof java.net.NoRouteToHostException) {
            return "cannot reach " + uri + ": " + (e.getMessage() == null ? e.toString() : e.getMessage());
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private void forwardWhileConnected() throws InterruptedException {
        while (running && up) {
            CloudClient c = client;
            if (c == null || !c.isOpen()) break;
            commitAcknowledged();
            int room;
            // refill the window in batches, not one message per acknowledgement: fewer, larger writes
            int refill = Math.max(1, settings.inflight() / 4);
            synchronized (lock) {
                room = settings.inflight() - byId.size();
                if (room < refill && !byId.isEmpty() && up) {
                    lock.wait(50);
                    continue;
                }
            }
            List<BusMessage> batch = consumer.poll(room, Duration.ofMillis(200));
            boolean ok = true;
            for (BusMessage m : batch) {
                if (!(ok = send(c, m))) break;
            }
            if (ok && !batch.isEmpty()) {
                try {
                    c.flush();
                } catch (IOException e) {
                    lost(e);
                }
            }
        }
        commitAcknowledged();
        if (up || client != null) {
            up = false;
            disconnect();
            if (running) status.state("down", lastError, false);
        }
    }

    private BridgeRule ruleFor(String localTopic) {
        for (BridgeRule r : spec.rules()) {
            if (r.toRemote(localTopic) != null) return r;
        }
        return null;
    }

    private static String echoKey(String topic, byte[] payload) {
        return topic + '\u0000' + payload.length + ':' + java.util.Arrays.hashCode(payload);
    }

    /** Whether the message is one this link brought in (and forgets it). */
    private boolean isEcho(BusMessage m) {
        synchronized (echoes) {
            if (echoes.isEmpty()) return false; // the usual case: no key to build
        }
        String k = echoKey(m.topic(), m.payload());
        synchronized (echoes) {
            Integer n = echoes.get(k);
            if (n == null) return false;
            if (n <= 1) echoes.remove(k);
            else echoes.put(k, n - 1);
            return true;
        }
    }

    /** Writes one journaled message (not flushed); false when the connection broke. */
    private boolean send(CloudClient c, BusMessage m) {
        String topic = m.topic();
        if (!topic.equals(sendTopic)) { // a burst on one topic maps it once
            BridgeRule rule = null;
            String remote = null;
            for (BridgeRule x : spec.rules()) {
                if ((remote = x.toRemote(topic)) != null) {
                    rule = x;
                    break;
                }
            }
            sendTopic = topic;
            sendRule = rule;
            sendRemote = remote;
        }
        BridgeRule r = sendRule;
        Pending p = new Pending(m.position());
        synchronized (lock) {
            pending.add(p);
        }
        if (r == null || isEcho(m)) {
            p.acked = true;
            return true;
        }
        if (m.payload().length > spec.maxPayload()) {
            refuse(m);
            p.acked = true;
            return true;
        }
        int qos = Math.min(Math.min(m.qos(), r.qos()), spec.maxQos());
        try {
            if (qos > 0) {
                synchronized (lock) {
                    while (byId.containsKey(nextId)) nextId = nextId % 65535 + 1;
                    p.packetId = nextId;
                    byId.put(nextId, p);
                    nextId = nextId % 65535 + 1;
                }
            } else {
                p.acked = true;
            }
            c.publish(sendRemote, m.payload(), qos, m.retained() && spec.retainAllowed(), p.packetId);
            status.sent.incrementAndGet();
            return true;
        } catch (IOException e) {
            lost(e);
            return false;
        }
    }

    private void refuse(BusMessage m) {
        status.refused.incrementAndGet();
        String err = "Message on " + m.topic() + " (" + m.payload().length + " bytes) is larger than " + cloud + "'s limit of "
                + spec.maxPayload() + " bytes: not sent";
        LOG.warn("{}", err);
        try {
            bus.publish("tedge/errors", err.getBytes(StandardCharsets.UTF_8), 1, false);
        } catch (Bus.BusException e) {
            LOG.warn("Could not publish on tedge/errors: {}", e.getMessage());
        }
    }

    /** Moves the cursor over the acknowledged prefix of what is in flight. */
    private void commitAcknowledged() {
        long last = -1;
        synchronized (lock) {
            while (!pending.isEmpty() && pending.peek().acked) last = pending.poll().position;
        }
        if (last >= 0) consumer.commit(last);
    }

    private void forwardLive(BusMessage m) {
        if (m.qos() != 0 || !up) return; // QoS 1/2 come from the journal; QoS 0 is not kept while down
        BridgeRule r = ruleFor(m.topic());
        CloudClient c = client;
        if (r == null || c == null || isEcho(m)) return;
        if (m.payload().length > spec.maxPayload()) {
            refuse(m);
            return;
        }
        try {
            c.publish(r.toRemote(m.topic()), m.payload(), 0, m.retained() && spec.retainAllowed(), 0);
            c.flush();
            status.sent.incrementAndGet();
        } catch (IOException e) {
            LOG.debug("QoS 0 message on {} not forwarded: {}", m.topic(), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ from the cloud

    @Override
    public void acknowledged(int packetId) {
        synchronized (lock) {
            Pending p = byId.remove(packetId);
            if (p != null) p.acked = true;
            if (settings.inflight() - byId.size() >= Math.max(1, settings.inflight() / 4)) lock.notifyAll();
        }
    }

    @Override
    public void lost(Throwable cause) {
        if (cause == null) return; // closed by us
        lastError = "connection lost: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage());
        if (up) LOG.warn("Link to {}: {}", cloud, lastError);
        up = false;
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public void received(String topic, byte[] payload, int qos) throws Exception {
        for (BridgeRule r : spec.rules()) {
            String local = r.toLocal(topic);
            if (local != null) {
                if (ruleFor(local) != null) {
                    synchronized (echoes) {
                        echoes.merge(echoKey(local, payload), 1, Integer::sum);
                    }
                }
                bus.publish(local, payload, Math.min(qos, r.qos()), false);
                status.received.incrementAndGet();
                return;
            }
        }
    }

    private void disconnect() {
        CloudClient c = client;
        client = null;
        if (c != null) c.close(true);
    }
}
