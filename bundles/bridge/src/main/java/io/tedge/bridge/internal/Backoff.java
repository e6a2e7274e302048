package io.tedge.bridge.internal;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential back-off with jitter: initial, doubled per failure up to max, plus 0..jitter. */
final class Backoff {
    private final long initial;
    private final long max;
    private final long jitter;
    private long next;

    Backoff(long initialMs, long maxMs, long jitterMs) {
        this.initial = Math.max(1, initialMs);
        this.max = Math.max(this.initial, maxMs);
        this.jitter = Math.max(0, jitterMs);
        this.next = this.initial;
    }

    /** The wait before the next attempt; grows the one after. */
    long nextDelay() {
        long d = next + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0);
        next = Math.min(max, next * 2);
        return d;
    }

    void reset() {
        next = initial;
    }
}
