package io.tedge.api;

import java.time.Duration;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A reader of the bus journal with its own persistent cursor. Not thread safe: one thread polls
 * and commits.
 *
 * <p>Typical loop: {@code poll}, handle each message, {@code commit(last.position())} once the
 * messages are safely handed on. After a crash, messages after the last commit are delivered
 * again (at least once, in order); messages dropped because the journal was full are counted in
 * {@link #dropped()}.
 */
@ProviderType
public interface DurableConsumer extends AutoCloseable {

    /**
     * The consumer's name.
     *
     * @return its cursor id
     */
    String name();

    /**
     * Up to {@code max} messages after the read position, waiting up to {@code timeout} for the
     * first. Advances the read position, not the commit.
     *
     * @param max     the most messages to return
     * @param timeout how long to wait for the first one
     * @return the messages in journal order; empty on timeout
     * @throws InterruptedException when the thread is interrupted while waiting
     */
    List<BusMessage> poll(int max, Duration timeout) throws InterruptedException;

    /**
     * Marks every message up to and including {@code position} as done. The cursor is stored on
     * disk (lazily and at close, so a crash may re-deliver a few messages, never skip one).
     *
     * @param position the {@link BusMessage#position()} of the last message handled
     */
    void commit(long position);

    /** Moves the read position back to the last commit (e.g. after a failed send). */
    void rewind();

    /**
     * Where the commit point is.
     *
     * @return the journal position after the last committed message
     */
    long committed();

    /**
     * Number of journaled messages after the commit point that match the filters; reads the
     * backlog, so implementations may stop counting at a limit (the journal's: 100 000).
     *
     * @return the count, or -1 when the journal cannot be read
     */
    long pending();

    /**
     * Messages this consumer lost because the journal was full before it read them.
     *
     * @return the count since the cursor was created
     */
    long dropped();

    /** Stores the cursor and stops reading; a blocked {@link #poll} returns. */
    @Override
    void close();
}
