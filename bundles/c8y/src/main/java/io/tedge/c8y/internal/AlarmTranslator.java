package io.tedge.c8y.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.Mapper.MappingException;
import io.tedge.mapper.thinedge.Fields;
import io.tedge.mapper.thinedge.Retained;
import io.tedge.mapper.thinedge.ThinEdgeAlarm;
import io.tedge.mapper.thinedge.ThinEdgeJson;
import io.tedge.mapper.thinedge.Timestamp;

/**
 * Thin Edge JSON alarms to Cumulocity, as thin-edge.io 0.12's c8y mapper does:
 * <ul>
 * <li>{@code tedge/alarms/<severity>/<type>[/<child>]} with only {@code text} and/or
 * {@code time} → SmartREST {@code 301} (critical), {@code 302} (major), {@code 303} (minor) or
 * {@code 304} (warning) {@code ,<type>,"<text>",<time>} on {@code c8y/s/us}, or
 * {@code c8y/s/us/<child>} for a child (the text {@code ""} when absent, the time now in UTC
 * when absent);</li>
 * <li>an empty payload (the retained clear) → {@code 306,<type>} on the same topic;</li>
 * <li>any other field → {@code {"severity":"MAJOR","type","time","text" (default: the type),
 * ...the other fields}} on {@code c8y/alarm/alarms/create}, with {@code externalSource} for a
 * child;</li>
 * <li>a child is registered first ({@link Children});</li>
 * <li>every mapped alarm is copied, retained, to {@code c8y-internal/alarms/<severity>/<type>[/<child>]}
 * (an empty copy for a clear removes it): the mapper's record of what the cloud has.</li>
 * </ul>
 * A payload larger than 16184 bytes, a bad topic or payload are errors with 0.12's texts
 * ({@link ThinEdgeAlarm#parse}); nothing goes to the cloud for them.
 *
 * <p>{@link #reconcile}: the alarms retained on the bus are compared with the internal copies;
 * an alarm copied but no longer retained was cleared while the mapper was not running and is
 * cleared in the cloud, an alarm retained but not copied (or copied with another payload) is
 * raised.
 */
final class AlarmTranslator {
    static final String INTERNAL = "c8y-internal/alarms/";
    static final String C8Y_ALARMS = "c8y/alarm/alarms/create";
    static final List<String> INPUTS = List.of(ThinEdgeAlarm.TOPIC + "#");

    private final Clock clock;
    private final Children children;

    AlarmTranslator(Clock clock, Children children) {
        this.clock = clock;
        this.children = children;
    }

    static boolean accepts(String topic) {
        return topic.startsWith(ThinEdgeAlarm.TOPIC);
    }

    List<BusMessage> map(String topic, byte[] payload) throws MappingException {
        if (payload.length > C8yMapper.MAX_PAYLOAD) {
            throw new MappingException("The payload size of the message is " + payload.length
                    + ", which is greater than the threshold size of " + C8yMapper.MAX_PAYLOAD + ".");
        }
        ThinEdgeAlarm alarm;
        try {
            alarm = ThinEdgeAlarm.parse(topic, payload);
        } catch (ThinEdgeJson.InvalidThinEdgeJson e) {
            throw new MappingException(e.getMessage());
        }
        List<BusMessage> out = new ArrayList<>(3);
        children.register(alarm.child(), out);
        out.add(translate(alarm));
        out.add(new BusMessage(INTERNAL + topic.substring(ThinEdgeAlarm.TOPIC.length()), payload, 1, true, -1));
        return out;
    }

    BusMessage translate(ThinEdgeAlarm alarm) {
        String smartRestTopic = alarm.child() == null ? C8yMapper.SMARTREST_UP : C8yMapper.SMARTREST_UP + "/" + alarm.child();
        if (alarm.isClear()) return BusMessage.of(smartRestTopic, "306," + alarm.type(), 1);
        Fields f = alarm.fields();
        String time = (f.time() != null ? f.time() : Timestamp.nowUtc(clock)).renderRfc3339();
        if (!f.hasExtras()) {
            String code = switch (alarm.severity()) {
                case "critical" -> "301";
                case "major" -> "302";
                case "minor" -> "303";
                default -> "304";
            };
            return BusMessage.of(smartRestTopic, code + "," + alarm.type() + "," + SmartRest.quoted(f.text() == null ? "" : f.text()) + ","
                    + time, 1);
        }
        byte[] json = C8yJson.write(g -> {
            g.writeStartObject();
            if (alarm.child() != null) C8yJson.externalSource(g, alarm.child());
            g.writeStringField("severity", alarm.severity().toUpperCase(java.util.Locale.ROOT));
            g.writeStringField("type", alarm.type());
            g.writeStringField("time", time);
            g.writeStringField("text", f.text() == null ? alarm.type() : f.text());
            C8yJson.extras(g, f.extras(), "externalSource", "severity", "type");
            g.writeEndObject();
        });
        return new BusMessage(C8Y_ALARMS, json, 1, false, -1);
    }

    /**
     * What the cloud missed while the mapper was not running: clears first, then raises, as
     * thin-edge.io 0.12's sync. An alarm whose retained payload is invalid gives its error on
     * {@code tedge/errors}.
     */
    List<BusMessage> reconcile(Bus bus) throws Bus.BusException, InterruptedException {
        Map<String, byte[]> all = Retained.snapshot(bus, List.of(ThinEdgeAlarm.TOPIC + "+/+", ThinEdgeAlarm.TOPIC + "+/+/+", INTERNAL + "#"),
                Duration.ofSeconds(10));
        List<BusMessage> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            if (!e.getKey().startsWith(INTERNAL)) continue;
            String live = ThinEdgeAlarm.TOPIC + e.getKey().substring(INTERNAL.length());
            if (!all.containsKey(live)) mapInto(live, new byte[0], out);
        }
        for (Map.Entry<String, byte[]> e : all.entrySet()) {
            if (!e.getKey().startsWith(ThinEdgeAlarm.TOPIC)) continue;
            byte[] copy = all.get(INTERNAL + e.getKey().substring(ThinEdgeAlarm.TOPIC.length()));
            if (copy == null || !Arrays.equals(copy, e.getValue())) mapInto(e.getKey(), e.getValue(), out);
        }
        return out;
    }

    private void mapInto(String topic, byte[] payload, List<BusMessage> out) {
        try {
            out.addAll(map(topic, payload));
        } catch (MappingException e) {
            out.add(BusMessage.of(C8yMapper.ERRORS, e.getMessage(), 1));
        }
    }
}
