package io.tedge.api;

import java.time.Duration;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * The local message bus: the same topic space that outside clients see over MQTT on the local
 * broker, without a socket round trip.
 *
 * <p>Every QoS 1/2 publish, from inside or from an MQTT client, is appended to a journal before
 * it is acknowledged. {@link #consumer durable consumers} read that journal from their own
 * cursor, which survives restarts and crashes; so a consumer that is stopped, updated or absent
 * loses nothing, it resumes where it left off.
 */
public interface Bus {

    /**
     * Publishes a message. With QoS 1 or 2 the call returns once the message is in the journal
     * (durable against a crash of the process); QoS 0 is fire and forget.
     *
     * @throws BusException if the message could not be accepted (journal I/O error, broker gone)
     */
    void publish(String topic, byte[] payload, int qos, boolean retain) throws BusException;

    /**
     * Live subscription: the listener gets every message that matches one of the MQTT filters
     * (wildcards {@code +} and {@code #}) from now on, retained messages first. Nothing is kept
     * for a listener while it is not subscribed. The listener runs on a bus thread and must not
     * block for long.
     */
    Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener);

    /**
     * Opens (or re-opens) the durable consumer with this name. It yields the journaled (QoS 1/2)
     * messages matching the filters, in journal order, starting after its last commit. The name
     * identifies the cursor on disk: the same name after a restart resumes where it stopped.
     * Changing the filters of an existing name keeps its position.
     */
    DurableConsumer consumer(String name, Collection<String> filters);

    /** A live subscription; close it to stop delivery. */
    interface Subscription extends AutoCloseable {
        @Override
        void close();
    }

    /** Thrown when the bus cannot take a message. */
    class BusException extends Exception {
        private static final long serialVersionUID = 1L;

        public BusException(String message, Throwable cause) {
            super(message, cause);
        }

        public BusException(String message) {
            super(message);
        }
    }

    /** Convenience: {@link DurableConsumer#poll} timeout used by simple loops. */
    Duration DEFAULT_POLL = Duration.ofMillis(500);
}
