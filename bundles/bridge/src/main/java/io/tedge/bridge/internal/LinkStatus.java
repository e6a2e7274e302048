package io.tedge.bridge.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import io.tedge.api.Bus;

/**
 * The status of one cloud's link, published retained on {@code tedge/bridge/<cloud>/status} as
 * JSON: {@code cloud}, {@code status} ({@code connecting}, {@code up}, {@code down},
 * {@code error}, {@code disconnected}), {@code endpoint}, {@code since} (when the status last
 * changed), {@code queued} (journaled messages for the cloud not yet acknowledged by it, plus the
 * backlog of the cloud's mapper), {@code sent}, {@code received}, {@code refused}, {@code dropped},
 * {@code last_error} and {@code terminal} (the last error will not go away by retrying: TLS,
 * refused, not authorised, unknown host).
 *
 * <p>One object per cloud for the life of the bridge runtime, so the counters add up across link
 * restarts. A change of status is published at once; other changes (counters, queue) at most once
 * a second, by {@link #tick()}, and only when something changed. Counting the queue reads the
 * journal, so it is done at most every second and never more often than 20 times its own cost.
 * Published with QoS 0 (retained): nothing is written to the journal for it.
 */
final class LinkStatus {
    private static final Logger LOG = LoggerFactory.getLogger(LinkStatus.class);
    private static final JsonFactory JSON = new JsonFactory();
    static final long MIN_INTERVAL_NANOS = 1_000_000_000L;

    final String cloud;
    private final Bus bus;
    private final LongSupplier nanos;
    private final Supplier<Instant> clock;
    final AtomicLong sent = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    private volatile LongSupplier dropped = () -> 0;

    private String state = "disconnected";
    private String endpoint = "";
    private Instant since;
    private String lastError = "";
    private boolean terminal;
    private long queued;
    private boolean queueScanned;
    private long lastScan;
    private long scanCost;
    private String published;
    private long publishedAt;

    LinkStatus(String cloud, Bus bus, LongSupplier nanos, Supplier<Instant> clock) {
        this.cloud = cloud;
        this.bus = bus;
        this.nanos = nanos;
        this.clock = clock;
        this.since = clock.get();
    }

    static String topic(String cloud) {
        return "tedge/bridge/" + cloud + "/status";
    }

    /** The cursor names whose backlog is the link's queue: the link's own and its cloud's mapper's. */
    static String[] cursors(String cloud) {
        return new String[] {"bridge-" + cloud, "mapper-" + cloud};
    }

    void source(String endpoint, LongSupplier dropped) {
        synchronized (this) {
            this.endpoint = endpoint;
        }
        this.dropped = dropped;
    }

    synchronized String state() {
        return state;
    }

    synchronized String lastError() {
        return lastError;
    }

    /** A new status: published at once, with a fresh count of the queue. */
    void state(String newState, String error, boolean isTerminal) {
        synchronized (this) {
            boolean changed = !newState.equals(state);
            if (changed) since = clock.get();
            state = newState;
            lastError = error == null ? "" : error;
            terminal = isTerminal && !lastError.isEmpty();
        }
        scanQueue();
        publish(true);
    }

    /** Called every second or so: publishes what changed, at most once a second. */
    void tick() {
        long now = nanos.getAsLong();
        boolean due;
        synchronized (this) {
            due = !queueScanned || now - lastScan >= Math.max(MIN_INTERVAL_NANOS, 20 * scanCost);
        }
        if (due) scanQueue();
        publish(false);
    }

    private void scanQueue() {
        long t0 = nanos.getAsLong();
        long n = 0;
        for (String c : cursors(cloud)) {
            long b;
            try {
                b = bus.backlog(c);
            } catch (RuntimeException e) {
                b = -1;
            }
            if (b > 0) n += b;
        }
        long t1 = nanos.getAsLong();
        synchronized (this) {
            queued = n;
            queueScanned = true;
            lastScan = t1;
            scanCost = t1 - t0;
        }
    }

    private void publish(boolean force) {
        String json;
        synchronized (this) {
            json = json();
            long now = nanos.getAsLong();
            if (json.equals(published)) return;
            if (!force && published != null && now - publishedAt < MIN_INTERVAL_NANOS) return;
            published = json;
            publishedAt = now;
        }
        try {
            bus.publish(topic(cloud), json.getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, true);
        } catch (Bus.BusException e) {
            LOG.debug("Could not publish the status of {}: {}", cloud, e.getMessage());
        }
    }

    /** The status document (the caller holds the lock). */
    private String json() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("cloud", cloud);
            g.writeStringField("status", state);
            g.writeStringField("endpoint", endpoint);
            g.writeStringField("since", since.toString());
            g.writeNumberField("queued", queued);
            g.writeNumberField("sent", sent.get());
            g.writeNumberField("received", received.get());
            g.writeNumberField("refused", refused.get());
            g.writeNumberField("dropped", dropped.getAsLong());
            g.writeStringField("last_error", lastError);
            g.writeBooleanField("terminal", terminal);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A flat JSON object of strings, numbers and booleans (the answers of the bridge) as JSON. */
    static byte[] object(Map<String, Object> fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, Object> e : fields.entrySet()) {
                Object v = e.getValue();
                if (v instanceof Boolean b) g.writeBooleanField(e.getKey(), b);
                else if (v instanceof Number n) g.writeNumberField(e.getKey(), n.longValue());
                else g.writeStringField(e.getKey(), String.valueOf(v));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
