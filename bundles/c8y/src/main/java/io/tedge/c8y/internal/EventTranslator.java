package io.tedge.c8y.internal;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import io.tedge.api.BusMessage;
import io.tedge.api.Mapper.MappingException;
import io.tedge.mapper.thinedge.Fields;
import io.tedge.mapper.thinedge.ThinEdgeEvent;
import io.tedge.mapper.thinedge.ThinEdgeJson;
import io.tedge.mapper.thinedge.Timestamp;

/**
 * Thin Edge JSON events to Cumulocity, as thin-edge.io 0.12's c8y mapper does:
 * <ul>
 * <li>{@code tedge/events/<type>} with only {@code text} and/or {@code time} → SmartREST
 * {@code 400,<type>,"<text>",<time>} on {@code c8y/s/us} (the text defaults to the type, the time
 * to now in UTC);</li>
 * <li>other fields, or a child ({@code tedge/events/<type>/<child>}, registered first) →
 * {@code {"type","time","text",...the other fields}} on {@code c8y/event/events/create}, with
 * {@code externalSource} for a child;</li>
 * <li>a translation of 16184 bytes or more (Cumulocity's MQTT limit) goes over HTTP instead: it
 * is published (QoS 1, journaled) on {@value #HTTP} as the Cumulocity JSON event, for
 * {@link C8yHttpEvents} to POST to {@code /event/events}.</li>
 * </ul>
 * A bad topic or payload is an error with 0.12's texts ({@link ThinEdgeEvent#parse}).
 */
final class EventTranslator {
    static final String C8Y_EVENTS = "c8y/event/events/create";
    static final String HTTP = "c8y-internal/http/events";
    static final List<String> INPUTS = List.of(ThinEdgeEvent.TOPIC + "#");

    private final Clock clock;
    private final Children children;

    EventTranslator(Clock clock, Children children) {
        this.clock = clock;
        this.children = children;
    }

    static boolean accepts(String topic) {
        return topic.startsWith(ThinEdgeEvent.TOPIC);
    }

    List<BusMessage> map(String topic, byte[] payload) throws MappingException {
        ThinEdgeEvent event;
        try {
            event = ThinEdgeEvent.parse(topic, payload);
        } catch (ThinEdgeJson.InvalidThinEdgeJson e) {
            throw new MappingException(e.getMessage());
        }
        List<BusMessage> out = new ArrayList<>(2);
        children.register(event.child(), out);
        Fields f = event.fields();
        String text = f == null || f.text() == null ? event.type() : f.text();
        String time = (f == null || f.time() == null ? Timestamp.nowUtc(clock) : f.time()).renderRfc3339();
        if (event.child() == null && (f == null || !f.hasExtras())) {
            BusMessage smartRest = BusMessage.of(C8yMapper.SMARTREST_UP, "400," + event.type() + "," + SmartRest.quoted(text) + "," + time, 1);
            if (smartRest.payload().length < C8yMapper.MAX_PAYLOAD) {
                out.add(smartRest);
                return out;
            }
        }
        byte[] json = C8yJson.write(g -> {
            g.writeStartObject();
            g.writeStringField("type", event.type());
            g.writeStringField("time", time);
            g.writeStringField("text", text);
            if (f != null) C8yJson.extras(g, f.extras(), "type", "externalSource");
            if (event.child() != null) C8yJson.externalSource(g, event.child());
            g.writeEndObject();
        });
        out.add(new BusMessage(json.length < C8yMapper.MAX_PAYLOAD ? C8Y_EVENTS : HTTP, json, 1, false, -1));
        return out;
    }
}
