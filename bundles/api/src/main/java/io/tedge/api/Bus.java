package io.tedge.api;

import java.time.Duration;
import java.util.Collection;
import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The local message bus: the same topic space that outside clients see over MQTT on the local
 * broker, without a socket round trip.
 *
 * <p>Every QoS 1/2 publish, from inside or from an MQTT client, is appended to a journal before
 * it is acknowledged. {@link #consumer durable consumers} read that journal from their own
 * cursor, which survives restarts and crashes; so a consumer that is stopped, updated or absent
 * loses nothing, it resumes where it left off.
 */
@ProviderType
public interface Bus {

    /**
     * Publishes a message. With QoS 1 or 2 the call returns once the message is in the journal
     * (durable against a crash of the process); QoS 0 is fire and forget.
     *
     * @param topic   MQTT topic name (no wildcards)
     * @param payload payload bytes
     * @param qos     0, 1 or 2
     * @param retain  whether the broker keeps it as the topic's retained message
     * @throws BusException if the message could not be accepted (journal I/O error, broker gone)
     */
    void publish(String topic, byte[] payload, int qos, boolean retain) throws BusException;

    /**
     * Live subscription: the listener gets every message that matches one of the MQTT filters
     * (wildcards {@code +} and {@code #}) from now on, retained messages first. Nothing is kept
     * for a listener while it is not subscribed. The listener runs on a bus thread and must not
     * block for long.
     *
     * @param filters  MQTT topic filters
     * @param listener called with each matching message
     * @return the subscription; close it to stop
     */
    Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener);

    /**
     * Opens (or re-opens) the durable consumer with this name. It yields the journaled (QoS 1/2)
     * messages matching the filters, in journal order, starting after its last commit. The name
     * identifies the cursor on disk: the same name after a restart resumes where it stopped.
     * Changing the filters of an existing name keeps its position.
     *
     * @param name    the cursor's name, e.g. {@code mapper-acme}
     * @param filters MQTT topic filters of the messages to read
     * @return the consumer; close it when done (the cursor stays on disk)
     */
    DurableConsumer consumer(String name, Collection<String> filters);

    /**
     * How many journaled messages the durable consumer with this name has not committed yet
     * (those after its commit point that match its filters), without opening or creating it:
     * the backlog of a consumer that is running, stopped or absent. Counting reads the backlog,
     * so it stops at a limit (the journal's: 100 000).
     *
     * @param name a cursor name, e.g. {@code mapper-acme}
     * @return the count, or -1 when no consumer of that name exists (or the bus cannot tell)
     * @since 1.2
     */
    default long backlog(String name) {
        return -1;
    }

    /** A live subscription; close it to stop delivery. */
    interface Subscription extends AutoCloseable {
        /** Stops the delivery; idempotent. */
        @Override
        void close();
    }

    /** Thrown when the bus cannot take a message. */
    class BusException extends Exception {
        private static final long serialVersionUID = 1L;

        /**
         * An error with its cause.
         *
         * @param message what failed
         * @param cause   the underlying error
         */
        public BusException(String message, Throwable cause) {
            super(message, cause);
        }

        /**
         * An error.
         *
         * @param message what failed
         */
        public BusException(String message) {
            super(message);
        }
    }

    /** Convenience: {@link DurableConsumer#poll} timeout used by simple loops. */
    Duration DEFAULT_POLL = Duration.ofMillis(500);
}
