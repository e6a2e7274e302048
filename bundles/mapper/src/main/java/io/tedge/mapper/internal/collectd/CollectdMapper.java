package io.tedge.mapper.internal.collectd;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.ConfigKey;
import io.tedge.api.DurableConsumer;
import io.tedge.mapper.internal.Health;
import io.tedge.mapper.thinedge.Timestamp;

/**
 * The collectd mapper ({@code tedge-mapper-collectd} of thin-edge.io 0.4.3 to 0.12):
 * cloud-neutral, always running. It reads {@code collectd/<host>/<group>/<key>} messages
 * ({@link CollectdMessage}), batches the values of one collectd round by their time
 * ({@link Batcher}: window {@code collectd.batching_window_ms}, closed
 * {@code collectd.maximum_message_delay_ms} after its end) and publishes each batch as one Thin
 * Edge JSON measurement on {@code tedge/measurements} (QoS 1):
 * {@code {"time":"<the earliest value's time>","<group>":{"<key>":<value>,...},...}}, groups and
 * keys in arrival order. A bad topic or payload gives upstream's text on {@code tedge/errors}, and
 * the batch goes on.
 *
 * <p>QoS 0 values (what collectd sends) are taken live; QoS 1/2 values come from the journal
 * through the durable consumer {@code mapper-collectd}, whose cursor moves past a value only
 * once the batch holding it is published. At most {@value #MAX_VALUES} values wait in open
 * batches and {@value #MAX_QUEUED} live values in the queue; beyond, values are dropped and
 * counted in the log. Health: {@code tedge/health/tedge-mapper-collectd}.
 */
@ConfigKey(key = "collectd.batching_window_ms", type = "int", defaultValue = "500",
        doc = "How long after its first value the collectd mapper groups values into one measurement, in milliseconds. Example: 500")
@ConfigKey(key = "collectd.maximum_message_delay_ms", type = "int", defaultValue = "400",
        doc = "How long the collectd mapper waits for late values of a batch before publishing it, in milliseconds. Example: 400")
@Component(immediate = true, service = {}, configurationPid = "tedge.collectd")
public class CollectdMapper implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(CollectdMapper.class);
    static final String INPUT = "collectd/#";
    static final String OUTPUT = "tedge/measurements";
    static final String ERRORS = "tedge/errors";
    static final String NAME = "tedge-mapper-collectd";
    static final String WINDOW_KEY = "collectd.batching_window_ms";
    static final String DELAY_KEY = "collectd.maximum_message_delay_ms";
    static final int MAX_VALUES = 10_000;
    static final int MAX_QUEUED = 10_000;
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final Bus bus;
    private final Clock clock;
    private final Batcher batcher;
    private final BlockingQueue<BusMessage> liveQueue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final ArrayDeque<Long> polled = new ArrayDeque<>();
    private final Health health;
    private final Thread thread;
    private volatile boolean running = true;
    private DurableConsumer consumer;
    private Bus.Subscription live;
    private long dropped;

    @Activate
    public CollectdMapper(@Reference Bus bus, Map<String, Object> config) {
        this(bus, Clock.systemUTC(), config);
        start();
    }

    CollectdMapper(Bus bus, Clock clock, Map<String, Object> config) {
        this.bus = bus;
        this.clock = clock;
        this.batcher = new Batcher(millis(config, WINDOW_KEY, 500) * 1_000_000L, millis(config, DELAY_KEY, 400) * 1_000_000L, 0, MAX_VALUES);
        this.health = new Health(bus, NAME, clock);
        this.thread = new Thread(this, NAME);
        thread.setDaemon(true);
    }

    void start() {
        consumer = bus.consumer("mapper-collectd", List.of(INPUT));
        live = bus.subscribe(List.of(INPUT), m -> {
            if (m.qos() == 0 && !m.retained() && running && !liveQueue.offer(m)) dropLive();
        });
        thread.start();
        health.start();
        LOG.info("Mapper 'collectd' started on {}", INPUT);
    }

    private synchronized void dropLive() {
        if (dropped++ % 1000 == 0) LOG.warn("collectd mapper: {} value(s) dropped, the queue of {} is full", dropped, MAX_QUEUED);
    }

    @Modified
    void modified(Map<String, Object> config) {
        batcher.configure(millis(config, WINDOW_KEY, 500) * 1_000_000L, millis(config, DELAY_KEY, 400) * 1_000_000L);
    }

    static long millis(Map<String, Object> config, String key, long dflt) {
        Object v = config == null ? null : config.get(key);
        if (v == null) return dflt;
        try {
            long ms = Long.parseLong(v.toString().trim());
            return ms < 0 ? dflt : ms;
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    @Deactivate
    void stop() {
        running = false;
        if (live != null) live.close();
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (consumer != null) consumer.close();
        health.close();
    }

    @Override
    public void run() {
        try {
            while (running) step(100);
        } catch (InterruptedException e) {
            // stopping
        }
        try {
            publish(batcher.flush());
            commit();
        } catch (Bus.BusException e) {
            LOG.warn("collectd mapper: the last batches could not be published ({}); their QoS 1/2 values come again after a restart",
                    e.getMessage());
        }
    }

    /** One turn: publish what is due, take what arrived (waiting at most {@code waitMs}). */
    void step(long waitMs) throws InterruptedException {
        try {
            long now = nowNanos();
            publish(batcher.closed(now));
            commit();
            long wait = Math.min(waitMs, Math.max(1, (batcher.nextDeadline() - now) / 1_000_000L));
            BusMessage m = liveQueue.poll(wait, TimeUnit.MILLISECONDS);
            while (m != null) {
                accept(m);
                m = liveQueue.poll();
            }
            for (BusMessage d : consumer.poll(500, Duration.ZERO)) {
                accept(d);
                polled.add(d.position());
            }
            commit();
        } catch (Bus.BusException e) {
            LOG.warn("collectd mapper: cannot publish ({}); retrying", e.getMessage());
            Thread.sleep(1000);
        }
    }

    private void accept(BusMessage m) throws Bus.BusException {
        List<CollectdMessage> values;
        try {
            values = CollectdMessage.parse(m.topic(), m.payload(), m.position());
        } catch (CollectdMessage.Invalid e) {
            bus.publish(ERRORS, e.getMessage().getBytes(StandardCharsets.UTF_8), 1, false);
            return;
        }
        long now = nowNanos();
        for (CollectdMessage v : values) {
            Batcher.Outcome o = batcher.add(now, v);
            if (o == Batcher.Outcome.TOO_OLD || o == Batcher.Outcome.IN_THE_FUTURE) {
                LOG.debug("collectd value {}/{} at {} discarded: {}", v.group(), v.key(), v.epochNanos(), o);
            } else if (o == Batcher.Outcome.FULL) {
                dropLive();
            }
        }
    }

    /** Moves the cursor over every polled message that no open batch holds any more. */
    private void commit() {
        long low = batcher.lowestPosition();
        long last = -1;
        while (!polled.isEmpty() && polled.peekFirst() < low) last = polled.pollFirst();
        if (last >= 0) consumer.commit(last);
    }

    private void publish(List<Batcher.Batch> batches) throws Bus.BusException {
        for (Batcher.Batch b : batches) {
            if (b.values.isEmpty()) continue;
            bus.publish(OUTPUT, thinEdgeJson(b.values()), 1, false);
        }
    }

    /** {@code {"time":"<earliest>","<group>":{"<key>":<value>,...},...}}. */
    static byte[] thinEdgeJson(List<CollectdMessage> values) {
        long earliest = Long.MAX_VALUE;
        Map<String, Map<String, Double>> groups = new LinkedHashMap<>();
        for (CollectdMessage v : values) {
            earliest = Math.min(earliest, v.epochNanos());
            groups.computeIfAbsent(v.group(), k -> new LinkedHashMap<>()).put(v.key(), v.value());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + values.size() * 32);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Timestamp.ofInstant(Instant.ofEpochSecond(0, earliest)).renderRfc3339());
            for (Map.Entry<String, Map<String, Double>> group : groups.entrySet()) {
                g.writeObjectFieldStart(group.getKey());
                for (Map.Entry<String, Double> kv : group.getValue().entrySet()) {
                    g.writeFieldName(kv.getKey());
                    g.writeNumber(CollectdMessage.json(kv.getValue()));
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private long nowNanos() {
        Instant i = clock.instant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }
}
