package io.tedge.api;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A message translator on the mapper runtime's whiteboard: register an implementation as a
 * service (with {@link #NAME} set) and the runtime feeds it every journaled message that matches
 * {@link #inputs()}, through a durable consumer named after the mapper, publishes what it
 * returns (QoS 1 unless the output says otherwise) and only then commits. A
 * {@link MappingException} becomes its message on {@code tedge/errors}; the mapper goes on with
 * the next message. QoS 0 inputs are mapped too, live, while the mapper runs.
 */
@ConsumerType
public interface Mapper {
    /** Service property: the mapper's name, also the name of its durable consumer. */
    String NAME = "tedge.mapper";

    /**
     * The topics to read.
     *
     * @return MQTT topic filters, e.g. {@code tedge/measurements}, {@code tedge/measurements/+}
     */
    List<String> inputs();

    /**
     * Translates one message. Called from one thread at a time.
     *
     * @param in an input message
     * @return the messages to publish, possibly none
     * @throws MappingException when the input cannot be translated; its text goes to {@code tedge/errors}
     */
    List<BusMessage> map(BusMessage in) throws MappingException;

    /** A message that cannot be translated; the text goes to {@code tedge/errors} as it is. */
    class MappingException extends Exception {
        private static final long serialVersionUID = 1L;

        /**
         * An input that cannot be translated.
         *
         * @param message the text for {@code tedge/errors}
         */
        public MappingException(String message) {
            super(message);
        }
    }
}
