package io.tedge.mapper.thinedge;

import java.util.List;

import io.tedge.api.BusMessage;

/**
 * Implemented by a {@code Mapper} service (of {@code io.tedge.api}) that must compare its state
 * with the bus once it has caught up, as thin-edge.io 0.12's c8y mapper reconciles the alarms
 * raised and cleared while it was not running. The mapper runtime calls {@link #reconcile} once
 * per start of the mapper, after the backlog of its durable consumer is mapped (the first poll
 * that reaches the end of the journal), under the same lock as {@code map}, and publishes what it
 * returns like the output of {@code map}.
 */
public interface Reconciler {
    /**
     * Compares and returns the messages that bring the cloud up to date.
     *
     * @return messages to publish (QoS 1 at least), possibly none
     * @throws Exception when the state cannot be read; the runtime logs it and does not retry
     */
    List<BusMessage> reconcile() throws Exception;
}
