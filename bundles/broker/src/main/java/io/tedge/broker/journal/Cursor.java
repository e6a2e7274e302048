package io.tedge.broker.journal;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A durable read position in the journal with the topic filters of its consumer. The committed
 * position is stored on disk by the {@link CursorStore}.
 */
public final class Cursor {
    private final String name;
    private volatile List<String> filters;
    private volatile long committed;
    private final AtomicLong dropped;
    private final CursorStore store;
    volatile boolean dirty;
    volatile long savedAt;

    Cursor(String name, List<String> filters, long committed, long dropped, CursorStore store) {
        this.name = name;
        this.filters = List.copyOf(filters);
        this.committed = committed;
        this.dropped = new AtomicLong(dropped);
        this.store = store;
    }

    public String name() {
        return name;
    }

    public List<String> filters() {
        return filters;
    }

    /** Replaces the filters (stored with the next save). */
    public void filters(List<String> f) {
        if (!f.equals(filters)) {
            filters = List.copyOf(f);
            dirty = true;
            store.saveSoon(this);
        }
    }

    public boolean matches(String topic) {
        return Journal.matchesAny(filters, topic);
    }

    /** Where reading resumes after a restart: just after the last committed message. */
    public long committedPosition() {
        return committed;
    }

    /** Moves the commit point forward (never back) and stores it soon. */
    public void commit(long position) {
        if (position <= committed) return;
        committed = position;
        dirty = true;
        store.saveSoon(this);
    }

    public long dropped() {
        return dropped.get();
    }

    void addDropped(long n) {
        dropped.addAndGet(n);
        dirty = true;
        store.saveSoon(this);
    }

    @Override
    public String toString() {
        return "Cursor[" + name + " at " + committed + " " + filters + "]";
    }
}
