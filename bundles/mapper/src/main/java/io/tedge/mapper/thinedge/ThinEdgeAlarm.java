package io.tedge.mapper.thinedge;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A Thin Edge JSON alarm as thin-edge.io 0.5 to 0.12 read it: topic
 * {@code tedge/alarms/<severity>/<type>} (the device) or {@code tedge/alarms/<severity>/<type>/<child>}
 * (a child device), severity one of {@code critical}, {@code major}, {@code minor},
 * {@code warning}; payload {@code {"text"?, "time"?, ...}} ({@link Fields}), or empty to clear
 * the alarm.
 *
 * @param severity the severity, lower case as in the topic
 * @param type     the alarm type (the topic's name level)
 * @param child    the child device, or null for the device itself
 * @param fields   the payload, or null for a clear (an empty payload)
 */
public record ThinEdgeAlarm(String severity, String type, String child, Fields fields) {

    /** The topic prefix, {@value}. */
    public static final String TOPIC = "tedge/alarms/";
    /** The severities, as in the topics. */
    public static final List<String> SEVERITIES = List.of("critical", "major", "minor", "warning");

    /**
     * Whether this alarm clears one (its payload was empty).
     *
     * @return true for a clear
     */
    public boolean isClear() {
        return fields == null;
    }

    /**
     * Reads an alarm message, with thin-edge.io 0.12's checks, in its order, and its error texts:
     * {@code Parsing of alarm message received on topic: <topic> failed due to error: <reason>.
     * Snipped payload: <the first 50 characters>}, the reason being {@code Unsupported topic:
     * <topic>}, {@code Unsupported alarm severity in topic: <topic or severity>},
     * {@code Unsupported external device ID in topic: <topic>}, or serde_json's text for a bad
     * payload (e.g. {@code invalid type: map, expected a string at line 1 column 35}). A payload
     * that is not UTF-8 gives {@code Failed to parse as an UTF-8 string the payload received on
     * topic: <topic>, due to error: <reason>.}
     *
     * @param topic   the MQTT topic
     * @param payload the payload
     * @return the alarm
     * @throws ThinEdgeJson.InvalidThinEdgeJson with the error text
     */
    public static ThinEdgeAlarm parse(String topic, byte[] payload) throws ThinEdgeJson.InvalidThinEdgeJson {
        String text = utf8(topic, payload);
        String[] levels = topic.split("/", -1);
        try {
            if (levels.length != 4 && levels.length != 5) throw new ThinEdgeJson.InvalidThinEdgeJson("Unsupported topic: " + topic);
            String severity = levels[2];
            String type = levels[3];
            if (severity.isEmpty()) throw new ThinEdgeJson.InvalidThinEdgeJson("Unsupported alarm severity in topic: " + topic);
            if (type.isEmpty()) throw new ThinEdgeJson.InvalidThinEdgeJson("Unsupported topic: " + topic);
            if (levels.length == 5 && levels[4].isEmpty()) {
                throw new ThinEdgeJson.InvalidThinEdgeJson("Unsupported external device ID in topic: " + topic);
            }
            Fields fields = payload.length == 0 ? null : Fields.read(payload, "ThinEdgeAlarmData");
            if (!SEVERITIES.contains(severity)) throw new ThinEdgeJson.InvalidThinEdgeJson("Unsupported alarm severity in topic: " + severity);
            return new ThinEdgeAlarm(severity, type, levels.length == 5 ? levels[4] : null, fields);
        } catch (ThinEdgeJson.InvalidThinEdgeJson e) {
            throw wrapped(topic, e.getMessage(), text);
        }
    }

    /** thin-edge.io 0.12's wrapper of every alarm and event parse error (it says alarm for both). */
    static ThinEdgeJson.InvalidThinEdgeJson wrapped(String topic, String reason, String payload) {
        return new ThinEdgeJson.InvalidThinEdgeJson("Parsing of alarm message received on topic: " + topic + " failed due to error: "
                + reason + ". Snipped payload: " + SerdeText.prefix(payload, 50));
    }

    static String utf8(String topic, byte[] payload) throws ThinEdgeJson.InvalidThinEdgeJson {
        String error = SerdeText.utf8Error(payload, null);
        if (error != null) {
            throw new ThinEdgeJson.InvalidThinEdgeJson("Failed to parse as an UTF-8 string the payload received on topic: " + topic
                    + ", due to error: " + error + ".");
        }
        return new String(payload, StandardCharsets.UTF_8);
    }
}
