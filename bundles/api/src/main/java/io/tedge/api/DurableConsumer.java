package io.tedge.api;

import java.time.Duration;
import java.util.List;

/**
 * A reader of the bus journal with its own persistent cursor. Not thread safe: one thread polls
 * and commits.
 *
 * <p>Typical loop: {@code poll}, handle each message, {@code commit(last.position())} once the
 * messages are safely handed on. After a crash, messages after the last commit are delivered
 * again (at least once, in order); messages dropped because the journal was full are counted in
 * {@link #dropped()}.
 */
public interface DurableConsumer extends AutoCloseable {

    /** The consumer's name (its cursor id). */
    String name();

    /**
     * Up to {@code max} messages after the read position, waiting up to {@code timeout} for the
     * first. Returns an empty list on timeout. Advances the read position, not the commit.
     */
    List<BusMessage> poll(int max, Duration timeout) throws InterruptedException;

    /**
     * Marks every message up to and including {@code position} as done. The cursor is stored on
     * disk (lazily and at close, so a crash may re-deliver a few messages, never skip one).
     */
    void commit(long position);

    /** Moves the read position back to the last commit (e.g. after a failed send). */
    void rewind();

    /** Position of the last committed message, or -1 when nothing was committed yet. */
    long committed();

    /**
     * Number of journaled messages after the commit point that match the filters; reads the
     * backlog, so implementations may stop counting at a limit (the journal's: 100 000).
     */
    long pending();

    /** Messages this consumer lost because the journal was full before it read them. */
    long dropped();

    @Override
    void close();
}
