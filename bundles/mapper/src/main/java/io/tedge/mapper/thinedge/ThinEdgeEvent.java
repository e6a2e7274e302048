package io.tedge.mapper.thinedge;

/**
 * A Thin Edge JSON event as thin-edge.io 0.5 to 0.12 read it: topic {@code tedge/events/<type>}
 * (the device) or {@code tedge/events/<type>/<child>} (a child device); payload
 * {@code {"text"?, "time"?, ...}} ({@link Fields}), or empty.
 *
 * @param type   the event type (the topic's name level)
 * @param child  the child device, or null for the device itself
 * @param fields the payload, or null when it was empty
 */
public record ThinEdgeEvent(String type, String child, Fields fields) {

    /** The topic prefix, {@value}. */
    public static final String TOPIC = "tedge/events/";

    /**
     * Reads an event message, with thin-edge.io 0.12's checks and error texts: {@code Parsing of
     * alarm message received on topic: <topic> failed due to error: <reason>. Snipped payload:
     * <the first 50 characters>} (0.12 says alarm for events too), the reason being
     * {@code Unsupported topic: <topic>}, {@code Event name can not be empty}, or serde_json's
     * text for a bad payload. An empty child level ({@code tedge/events/<type>/}) is refused as
     * an unsupported topic (0.12 would register a child with an empty name).
     *
     * @param topic   the MQTT topic
     * @param payload the payload
     * @return the event
     * @throws ThinEdgeJson.InvalidThinEdgeJson with the error text
     */
    public static ThinEdgeEvent parse(String topic, byte[] payload) throws ThinEdgeJson.InvalidThinEdgeJson {
        String text = ThinEdgeAlarm.utf8(topic, payload);
        String[] levels = topic.split("/", -1);
        try {
            if (levels.length != 3 && levels.length != 4) throw new ThinEdgeJson.InvalidThinEdgeJson("Unsupported topic: " + topic);
            if (levels[2].isEmpty()) throw new ThinEdgeJson.InvalidThinEdgeJson("Event name can not be empty");
            if (levels.length == 4 && levels[3].isEmpty()) throw new ThinEdgeJson.InvalidThinEdgeJson("Unsupported topic: " + topic);
            Fields fields = payload.length == 0 ? null : Fields.read(payload, "ThinEdgeEventData");
            return new ThinEdgeEvent(levels[2], levels.length == 4 ? levels[3] : null, fields);
        } catch (ThinEdgeJson.InvalidThinEdgeJson e) {
            throw ThinEdgeAlarm.wrapped(topic, e.getMessage(), text);
        }
    }
}
