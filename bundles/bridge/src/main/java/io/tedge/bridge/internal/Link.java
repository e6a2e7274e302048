package io.tedge.bridge.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

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
    private volatile boolean running = true;
    private volatile CloudClient client;
    private volatile boolean up;
    private volatile String lastError = "";
    private volatile Instant since = Instant.now();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private DurableConsumer consumer;
    private Bus.Subscription live;

    Link(String cloud, CloudLink spec, Bus bus, SSLContext tls, Settings settings) {
        this.cloud = cloud;
        this.spec = spec;
        this.bus = bus;
        this.tls = tls;
        this.settings = settings;
        this.uri = (spec.host().contains(":") ? "[" + spec.host() + "]" : spec.host()) + ":" + spec.port();
        this.backoff = new Backoff(settings.initialMs(), settings.maxMs(), settings.jitterMs());
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
        publishStatus("connecting");
        thread.start();
    }

    void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (live != null) live.close();
        disconnect();
        commitAcknowledged();
        if (consumer != null) consumer.close();
        up = false;
        publishStatus("disconnected");
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
                    LOG.info("Link to {} ({}) is down: {}; retrying in {} ms", cloud, uri, lastError, d);
                    Thread.sleep(d);
                    continue;
                }
                backoff.reset();
                forwardWhileConnected();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                lastError = e.toString();
                LOG.warn("Link to {}: {}", cloud, e.toString(), e);
                try {
                    Thread.sleep(backoff.nextDelay());
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
            since = Instant.now();
            lastError = "";
            LOG.info("Link to {} is up ({} as {})", cloud, uri, spec.clientId());
            publishStatus("up");
            return true;
        } catch (IOException e) {
            lastError = describe(e);
            up = false;
            since = Instant.now();
            publishStatus("down");
            disconnect();
            return false;
        }
    }

    private String describe(IOException e) {
        if (e instanceof CloudClient.RefusedException) return e.getMessage();
        if (e instanceof javax.net.ssl.SSLException) {
            Throwable c = e;
            while (c.getCause() != null && c.getCause() != c) c = c.getCause();
            return "TLS: " + (c.getMessage() == null ? c.toString() : c.getMessage()) + " (check " + cloud
                    + ".root.cert.path, and that the cloud trusts the device certificate)";
        }
        if (e instanceof java.net.ConnectException || e instanceof java.net.UnknownHostException
                || e instanceof java.net.SocketTimeoutException || e instanceof java.net.NoRouteToHostException) {
            return "cannot reach " + uri + ": " + (e.getMessage() == null ? e.toString() : e.getMessage());
        }
        return e.getMessage() == null ? e.toString() : e.getMessage();
    }

    private void forwardWhileConnected() throws InterruptedException {
        long lastStatus = System.nanoTime();
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
            if (System.nanoTime() - lastStatus > 5_000_000_000L) {
                lastStatus = System.nanoTime();
                publishStatus("up");
            }
        }
        commitAcknowledged();
        if (up || client != null) {
            up = false;
            since = Instant.now();
            disconnect();
            publishStatus("down");
        }
    }

    private BridgeRule ruleFor(String localTopic) {
        for (BridgeRule r : spec.rules()) {
            if (r.toRemote(localTopic) != null) return r;
        }
        return null;
    }

    /** Writes one journaled message (not flushed); false when the connection broke. */
    private boolean send(CloudClient c, BusMessage m) {
        BridgeRule r = ruleFor(m.topic());
        Pending p = new Pending(m.position());
        synchronized (lock) {
            pending.add(p);
        }
        if (r == null) {
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
            c.publish(r.toRemote(m.topic()), m.payload(), qos, m.retained() && spec.retainAllowed(), p.packetId);
            sent.incrementAndGet();
            return true;
        } catch (IOException e) {
            lost(e);
            return false;
        }
    }

    private void refuse(BusMessage m) {
        refused.incrementAndGet();
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
        if (r == null || c == null) return;
        if (m.payload().length > spec.maxPayload()) {
            refuse(m);
            return;
        }
        try {
            c.publish(r.toRemote(m.topic()), m.payload(), 0, m.retained() && spec.retainAllowed(), 0);
            c.flush();
            sent.incrementAndGet();
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
                bus.publish(local, payload, Math.min(qos, r.qos()), false);
                received.incrementAndGet();
                return;
            }
        }
    }

    private void disconnect() {
        CloudClient c = client;
        client = null;
        if (c != null) c.close(true);
    }

    // ------------------------------------------------------------------ status

    private volatile String lastStatusJson;

    void publishStatus(String state) {
        long q;
        try {
            q = consumer == null ? 0 : consumer.pending();
        } catch (RuntimeException e) {
            q = -1;
        }
        String json = "{\"cloud\":\"" + cloud + "\",\"status\":\"" + state + "\",\"endpoint\":\"" + uri + "\",\"since\":\"" + since
                + "\",\"queued\":" + q + ",\"sent\":" + sent.get() + ",\"received\":" + received.get() + ",\"refused\":" + refused.get()
                + ",\"dropped\":" + (consumer == null ? 0 : consumer.dropped()) + ",\"last_error\":\"" + escape(lastError) + "\"}";
        if (json.equals(lastStatusJson)) return; // unchanged: no journal record, no flash write every 5 s while idle
        try {
            bus.publish(BridgeRuntime.statusTopic(cloud), json.getBytes(StandardCharsets.UTF_8), 1, true);
            lastStatusJson = json;
        } catch (Bus.BusException e) {
            LOG.debug("Could not publish the status of {}: {}", cloud, e.getMessage());
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        return sb.toString();
    }
}
