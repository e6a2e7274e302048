package io.tedge.az.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnected;
import io.tedge.api.Mapper;
import io.tedge.mapper.thinedge.Fields;
import io.tedge.mapper.thinedge.ThinEdgeAlarm;
import io.tedge.mapper.thinedge.ThinEdgeEvent;
import io.tedge.mapper.thinedge.ThinEdgeJson;
import io.tedge.mapper.thinedge.Timestamp;

/**
 * The Azure IoT Hub mapper, as thin-edge.io 0.4.3's {@code tedge-mapper az}: Thin Edge JSON on
 * {@code tedge/measurements}, validated (the same rules and errors as the c8y mapper, see
 * {@link ThinEdgeJson}), forwarded on {@code az/messages/events/} (QoS 1) as compact Thin Edge
 * JSON: keys in input order, numbers as written, {@code time} re-rendered RFC 3339 where it was,
 * or appended (now, with the local offset) when the message has none and
 * {@code az.mapper.timestamp} is true (the default; {@code false} leaves it out). A message above
 * the hub's 256 KiB limit (262144 bytes, checked after translation) is refused with an error. No
 * child devices, as upstream.
 *
 * <p>Alarms ({@code tedge/alarms/<severity>/<type>[/<child>]}) and events
 * ({@code tedge/events/<type>[/<child>]}) are read with thin-edge.io 0.12's rules and errors
 * ({@link ThinEdgeAlarm#parse}, {@link ThinEdgeEvent#parse}) and forwarded on the same topic as
 * compact Thin Edge JSON: {@code text}, the other fields in input order, then {@code time} (the
 * message's, or now when it has none and {@code az.mapper.timestamp} is true), times printed as
 * 0.12 prints alarm times. The clear of an alarm (an empty payload) is not forwarded: IoT Hub
 * keeps no alarm state.
 *
 * <p>Configuration: the PID {@code tedge.az} (the {@code [az]} table of tedge.toml), property
 * {@code az.mapper.timestamp} ("true"/"false"); a change applies to the next message without a
 * restart. It runs only while Azure is connected: it references the bridge runtime's
 * {@code CloudConnected} service for {@code az}.
 */
@Component(service = Mapper.class, property = Mapper.NAME + "=az", configurationPid = "tedge.az")
public class AzMapper implements Mapper {

    static final String INPUT = "tedge/measurements";
    static final String ALARMS = ThinEdgeAlarm.TOPIC + "#";
    static final String EVENTS = ThinEdgeEvent.TOPIC + "#";
    static final String OUTPUT = "az/messages/events/";
    static final String TIMESTAMP_KEY = "az.mapper.timestamp";
    /** IoT Hub's largest message. */
    static final int MAX_PAYLOAD = 262144;
    /** Characters of the input quoted in the too-large error. */
    static final int QUOTED_INPUT_CHARS = 50;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final Clock clock;
    private volatile boolean addTimestamp;

    /**
     * The DS constructor.
     *
     * @param connected  present while az is connected; the mapper needs nothing from it
     * @param properties the {@code tedge.az} configuration
     */
    @Activate
    public AzMapper(@Reference(name = "connected", target = "(tedge.cloud=az)") CloudConnected connected, Map<String, Object> properties) {
        this(Clock.systemDefaultZone(), properties);
    }

    /** With the clock that supplies the time of measurements that have none. */
    AzMapper(Clock clock, Map<String, Object> properties) {
        this.clock = clock;
        modified(properties);
    }

    /** A new {@code tedge.az} configuration. */
    @Modified
    void modified(Map<String, Object> properties) {
        addTimestamp = flag(properties.get(TIMESTAMP_KEY));
    }

    /** {@code az.mapper.timestamp}: true unless it says false. */
    static boolean flag(Object value) {
        if (value instanceof Boolean b) return b;
        return value == null || !"false".equalsIgnoreCase(value.toString().trim());
    }

    boolean addsTimestamp() {
        return addTimestamp;
    }

    @Override
    public List<String> inputs() {
        return List.of(INPUT, ALARMS, EVENTS);
    }

    @Override
    public List<BusMessage> map(BusMessage in) throws MappingException {
        if (in.topic().startsWith(ThinEdgeAlarm.TOPIC) || in.topic().startsWith(ThinEdgeEvent.TOPIC)) return alarmOrEvent(in);
        ThinEdgeJson.Measurement m;
        try {
            m = ThinEdgeJson.parse(in.payload());
        } catch (ThinEdgeJson.InvalidThinEdgeJson e) {
            throw new MappingException(e.getMessage());
        }
        byte[] out = ThinEdgeJson.toJson(m, addTimestamp && !m.hasTime() ? Timestamp.now(clock) : null);
        if (out.length > MAX_PAYLOAD) throw new MappingException(tooLarge(in, out.length));
        return List.of(new BusMessage(OUTPUT, out, 1, false, -1));
    }

    private List<BusMessage> alarmOrEvent(BusMessage in) throws MappingException {
        Fields f;
        try {
            if (in.topic().startsWith(ThinEdgeAlarm.TOPIC)) {
                ThinEdgeAlarm a = ThinEdgeAlarm.parse(in.topic(), in.payload());
                if (a.isClear()) return List.of();
                f = a.fields();
            } else {
                ThinEdgeEvent e = ThinEdgeEvent.parse(in.topic(), in.payload());
                f = e.fields() == null ? new Fields(null, null, Map.of()) : e.fields();
            }
        } catch (ThinEdgeJson.InvalidThinEdgeJson e) {
            throw new MappingException(e.getMessage());
        }
        Timestamp time = f.time() != null ? f.time() : addTimestamp ? Timestamp.now(clock) : null;
        byte[] out = json(f, time);
        if (out.length > MAX_PAYLOAD) throw new MappingException(tooLarge(in, out.length));
        return List.of(new BusMessage(OUTPUT, out, 1, false, -1));
    }

    /** {@code {"text":…, …the other fields, "time":…}}. */
    static byte[] json(Fields f, Timestamp time) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (f.text() != null) g.writeStringField("text", f.text());
            for (Map.Entry<String, String> e : f.extras().entrySet()) {
                g.writeFieldName(e.getKey());
                g.writeRawValue(e.getValue());
            }
            if (time != null) g.writeStringField("time", time.renderRfc3339());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static String tooLarge(BusMessage in, int size) {
        String text = in.text();
        if (text.codePointCount(0, text.length()) > QUOTED_INPUT_CHARS) {
            text = text.substring(0, text.offsetByCodePoints(0, QUOTED_INPUT_CHARS));
        }
        return "The payload " + text + " received on " + in.topic() + " after translation is greater than the threshold size of "
                + MAX_PAYLOAD + ". The message is " + size + " bytes, larger than Azure IoT Hub's limit of " + MAX_PAYLOAD
                + " bytes (256 KiB).";
    }
}
