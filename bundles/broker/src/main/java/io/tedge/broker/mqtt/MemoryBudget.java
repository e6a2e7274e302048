package io.tedge.broker.mqtt;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A broker-wide bound in bytes, shared by the holders of one kind of memory (messages waiting for
 * their clients, partly received packets). Each holder may always keep a small guaranteed part;
 * beyond it, it takes from the shared budget, and when that is spent the holder that wants more
 * pays (drops, waits or is paused), never the others.
 */
final class MemoryBudget {
    private final String name;
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    MemoryBudget(String name, long limit) {
        this.name = name;
        this.limit = limit;
    }

    /** The budget for a part of the JVM's maximum heap. */
    static MemoryBudget ofHeap(String name, int divisor, long atLeast) {
        return new MemoryBudget(name, Math.max(atLeast, Runtime.getRuntime().maxMemory() / divisor));
    }

    boolean tryTake(long n) {
        while (true) {
            long u = used.get();
            if (u + n > limit) return false;
            if (used.compareAndSet(u, u + n)) return true;
        }
    }

    void give(long n) {
        used.addAndGet(-n);
    }

    long used() {
        return used.get();
    }

    long limit() {
        return limit;
    }

    @Override
    public String toString() {
        return name + " " + used.get() + "/" + limit + " bytes";
    }
}
