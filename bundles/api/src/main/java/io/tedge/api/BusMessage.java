package io.tedge.api;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One message on the bus.
 *
 * @param topic    MQTT topic name (no wildcards)
 * @param payload  raw payload bytes (never null; do not modify)
 * @param qos      0, 1 or 2 as published
 * @param retained whether the message was published (or delivered) as retained
 * @param position journal position of this message, or -1 for a message that was not journaled
 *                 (QoS 0, or live delivery). A durable consumer commits up to a position.
 */
public record BusMessage(String topic, byte[] payload, int qos, boolean retained, long position) {
    /**
     * Checks the values.
     *
     * @param topic    topic name
     * @param payload  payload bytes
     * @param qos      0, 1 or 2
     * @param retained whether it is retained
     * @param position journal position, or -1
     * @throws IllegalArgumentException when the QoS is not 0, 1 or 2
     */
    public BusMessage {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(payload, "payload");
        if (qos < 0 || qos > 2) throw new IllegalArgumentException("QoS must be 0, 1 or 2, not " + qos);
    }

    /**
     * A message to publish (no position yet).
     *
     * @param topic   topic name
     * @param payload UTF-8 text
     * @param qos     0, 1 or 2
     * @return the message
     */
    public static BusMessage of(String topic, String payload, int qos) {
        return new BusMessage(topic, payload.getBytes(StandardCharsets.UTF_8), qos, false, -1);
    }

    /**
     * The payload decoded as UTF-8.
     *
     * @return the text
     */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /**
     * For logs: topic, QoS, flags, position and size, not the payload.
     *
     * @return a short description
     */
    @Override
    public String toString() {
        return "BusMessage[" + topic + " qos=" + qos + (retained ? " retained" : "") + " pos=" + position + " "
                + payload.length + " bytes]";
    }
}
