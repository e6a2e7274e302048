package io.tedge.mapper.internal.collectd;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * thin-edge.io's batching of collectd values by their event time (its {@code batcher} crate):
 * a value opens a batch that covers {@code window} from its time (bounded by the neighbouring
 * batches); a value whose time falls in a batch joins it, unless the batch already holds its
 * key with another time, which splits the batch at the midpoint of the two times; a batch is
 * closed once the processing time passes its end plus {@code maxDelay}. A value older than
 * {@code maxDelay} or in the future (beyond {@code leap}) is discarded, a value equal to one
 * already in the batch (same key and time) too. All times in nanoseconds.
 *
 * <p>Bounded: at most {@code maxValues} values are held; beyond, new values are refused (the
 * caller counts them).
 */
final class Batcher {

    /** What {@link #add} did with a value. */
    enum Outcome {
        ADDED, DUPLICATE, TOO_OLD, IN_THE_FUTURE, FULL
    }

    /** An open batch: [start, end] in event time, values by key, in arrival order. */
    static final class Batch {
        long start;
        long end;
        final Map<String, CollectdMessage> values = new LinkedHashMap<>();

        Batch(long start, long end) {
            this.start = start;
            this.end = end;
        }

        List<CollectdMessage> values() {
            return new ArrayList<>(values.values());
        }
    }

    private volatile long window;
    private volatile long maxDelay;
    private final long leap;
    private final int maxValues;
    private final List<Batch> batches = new ArrayList<>();
    private int held;

    Batcher(long windowNanos, long maxDelayNanos, long leapNanos, int maxValues) {
        this.window = windowNanos;
        this.maxDelay = maxDelayNanos;
        this.leap = leapNanos;
        this.maxValues = maxValues;
    }

    /** New settings, for the batches opened from now on. */
    void configure(long windowNanos, long maxDelayNanos) {
        this.window = windowNanos;
        this.maxDelay = maxDelayNanos;
    }

    Outcome add(long now, CollectdMessage m) {
        long t = m.epochNanos();
        if (t < now - maxDelay) return Outcome.TOO_OLD;
        if (t > now + leap) return Outcome.IN_THE_FUTURE;
        if (held >= maxValues) return Outcome.FULL;
        Batch target = null;
        for (Batch b : batches) {
            if (b.start <= t && t <= b.end) {
                target = b;
                break;
            }
        }
        if (target == null) {
            long start = t;
            long end = t + window;
            for (Batch b : batches) {
                if (b.end < t) start = Math.max(start, b.end);
                if (b.start > t) end = Math.min(end, b.start);
            }
            Batch b = new Batch(start, end);
            b.values.put(key(m), m);
            batches.add(b);
            held++;
            return Outcome.ADDED;
        }
        CollectdMessage existing = target.values.get(key(m));
        if (existing == null) {
            target.values.put(key(m), m);
            held++;
            return Outcome.ADDED;
        }
        if (existing.epochNanos() == t) return Outcome.DUPLICATE;
        split(target, existing.epochNanos(), m);
        held = 0;
        for (Batch b : batches) held += b.values.size();
        return Outcome.ADDED;
    }

    /** Splits at the midpoint of the two times: the earlier values stay, the later ones move to a new batch. */
    private void split(Batch b, long existingTime, CollectdMessage m) {
        long mid = m.epochNanos() + (existingTime - m.epochNanos()) / 2;
        Batch later = new Batch(mid, b.end);
        b.end = mid;
        List<CollectdMessage> all = new ArrayList<>(b.values.values());
        all.add(m);
        b.values.clear();
        for (CollectdMessage v : all) {
            (v.epochNanos() < mid ? b : later).values.put(key(v), v);
        }
        batches.add(later);
    }

    private static String key(CollectdMessage m) {
        return m.group() + "/" + m.key();
    }

    /** The batches whose end plus the maximum delay is past; they are removed. */
    List<Batch> closed(long now) {
        List<Batch> out = new ArrayList<>();
        for (Iterator<Batch> it = batches.iterator(); it.hasNext();) {
            Batch b = it.next();
            if (b.end + maxDelay <= now) {
                it.remove();
                held -= b.values.size();
                out.add(b);
            }
        }
        out.sort((a, c) -> Long.compare(a.start, c.start));
        return out;
    }

    /** Every open batch (at shutdown). */
    List<Batch> flush() {
        List<Batch> out = new ArrayList<>(batches);
        batches.clear();
        held = 0;
        out.sort((a, c) -> Long.compare(a.start, c.start));
        return out;
    }

    /** When the next batch closes, or {@code Long.MAX_VALUE} when none is open. */
    long nextDeadline() {
        long next = Long.MAX_VALUE;
        for (Batch b : batches) next = Math.min(next, b.end + maxDelay);
        return next;
    }

    /** The smallest journal position held in an open batch, or {@code Long.MAX_VALUE}. */
    long lowestPosition() {
        long low = Long.MAX_VALUE;
        for (Batch b : batches) {
            for (CollectdMessage m : b.values.values()) {
                if (m.position() >= 0) low = Math.min(low, m.position());
            }
        }
        return low;
    }

    int held() {
        return held;
    }
}
