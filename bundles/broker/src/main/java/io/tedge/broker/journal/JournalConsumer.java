package io.tedge.broker.journal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;

/** A {@link DurableConsumer} over the journal and one cursor. */
public final class JournalConsumer implements DurableConsumer {
    /** pending() counts at most this many messages: it reads the backlog, and status asks for it every few seconds. */
    public static final long PENDING_SCAN_LIMIT = 100_000;
    /** Non-matching records skipped before the commit moves past them. */
    static final long SKIP_COMMIT = 1024 * 1024;
    private final Journal journal;
    private final Cursor cursor;
    private final JournalReader reader;
    private long lastReturned;
    private volatile boolean closed;
    /** The last topic asked about (the reader hands the same String for a repeated topic) and the answer, for these filters. */
    private String lastTopic;
    private List<String> lastFilters;
    private boolean lastWanted;
    private final java.util.function.Predicate<String> wanted = this::wanted;
    /** The same question, thread safe, asked by the journal's writer thread to wake this consumer only for what it wants. */
    private final java.util.function.Predicate<String> matches;

    public JournalConsumer(Journal journal, Cursor cursor) {
        this.journal = journal;
        this.cursor = cursor;
        this.reader = journal.reader(cursor.committedPosition());
        this.lastReturned = cursor.committedPosition();
        this.matches = cursor::matches;
    }

    @Override
    public String name() {
        return cursor.name();
    }

    @Override
    public List<BusMessage> poll(int max, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<BusMessage> out = new ArrayList<>();
        while (!closed) {
            try {
                BusMessage m;
                while (out.size() < max && (m = reader.next(wanted)) != null) out.add(m);
            } catch (IOException e) {
                if (closed) break;
                throw new UncheckedIOException("Cannot read the journal: " + e.getMessage(), e);
            }
            if (!out.isEmpty()) {
                lastReturned = out.get(out.size() - 1).position();
                return out;
            }
            // everything up to the end was read and did not match: once all returned messages are
            // committed, the commit can skip those, so a restart does not scan them again; only
            // past SKIP_COMMIT bytes, so that a trickle of other topics writes no cursor file
            if (cursor.committedPosition() >= lastReturned && reader.position() - lastReturned >= SKIP_COMMIT) {
                lastReturned = reader.position();
                cursor.commit(lastReturned);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                reader.trim(); // a whole timeout with nothing: idle, give the buffers back
                break;
            }
            journal.awaitWanted(reader.position(), left, TimeUnit.NANOSECONDS, matches);
        }
        return out;
    }

    private boolean wanted(String topic) {
        List<String> f = cursor.filters();
        if (topic != lastTopic || f != lastFilters) {
            lastWanted = Journal.matchesAny(f, topic);
            lastTopic = topic;
            lastFilters = f;
        }
        return lastWanted;
    }

    @Override
    public void commit(long position) {
        cursor.commit(position);
    }

    @Override
    public void rewind() {
        reader.seek(cursor.committedPosition());
        lastReturned = cursor.committedPosition();
    }

    @Override
    public long committed() {
        return cursor.committedPosition();
    }

    @Override
    public long pending() {
        return count(journal, cursor);
    }

    /** {@link io.tedge.api.Bus#backlog}: the pending count of an existing cursor, -1 when there is none. */
    public static long backlog(Journal journal, String name) {
        for (Cursor c : journal.cursors()) {
            if (c.name().equals(name)) return count(journal, c);
        }
        return -1;
    }

    private static long count(Journal journal, Cursor cursor) {
        long n = 0;
        JournalReader r = journal.reader(cursor.committedPosition());
        try {
            BusMessage m;
            while (n < PENDING_SCAN_LIMIT && (m = r.next(cursor::matches)) != null) n++;
        } catch (IOException e) {
            return -1;
        }
        return n;
    }

    @Override
    public long dropped() {
        return cursor.dropped() + reader.skippedCorrupt();
    }

    /** Whether the reader holds its read-ahead buffer (for tests: an idle consumer gives it back). */
    boolean holdsReadBuffer() {
        return reader.holdsBuffer();
    }

    @Override
    public void close() {
        closed = true;
        journal.saveCursors();
    }
}
