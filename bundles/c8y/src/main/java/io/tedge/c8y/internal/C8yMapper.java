package io.tedge.c8y.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnected;
import io.tedge.api.Mapper;
import io.tedge.mapper.thinedge.Reconciler;
import io.tedge.mapper.thinedge.ThinEdgeJson;
import io.tedge.mapper.thinedge.Timestamp;

/**
 * The Cumulocity mapper: Thin Edge JSON to Cumulocity. It routes each input to its translator:
 * measurements (below), alarms ({@link AlarmTranslator}), events ({@link EventTranslator}) and
 * service health ({@link HealthTranslator}); the child devices it registers are shared
 * ({@link Children}). After a start it {@link #reconcile reconciles} the alarms and reports the
 * retained health of every service. Measurements, as thin-edge.io 0.4.3's
 * {@code tedge-mapper c8y} maps them:
 *
 * <ul>
 * <li>Input {@code tedge/measurements} (the device itself) and {@code tedge/measurements/<child>}
 * (a child device).</li>
 * <li>Output on {@code c8y/measurement/measurements/create}, QoS 1:
 * {@code {"type":"ThinEdgeMeasurement", ["externalSource":{"externalId":"<child>","type":"c8y_Serial"},]
 * "<name>":{"<name>":{"value":v}}, "<group>":{"<key>":{"value":v},...}, ...}}, keys in input
 * order, {@code time} where the input had it (re-rendered RFC 3339, see {@link Timestamp}) or
 * appended (now, the local offset) when it had none. Numbers are copied as written (0.2.0 style;
 * 0.2.4+ printed every number as a float).</li>
 * <li>The first valid message of a child device unknown to this mapper (an in-memory set, as
 * upstream) is preceded by {@code 101,<child>,<child>,thin-edge.io-child} on {@code c8y/s/us},
 * which creates the child under the device. An invalid message does not register the child.</li>
 * <li>Errors ({@link MappingException}, which the mapper runtime publishes on
 * {@code tedge/errors}): invalid Thin Edge JSON (see {@link ThinEdgeJson}), an empty child id
 * ({@code The given Child ID '' is invalid.}), and a translation larger than Cumulocity's MQTT
 * limit of 16184 bytes (checked on the payload, as thin-edge.io does).</li>
 * </ul>
 *
 * <p>It runs only while Cumulocity is connected: it references the bridge runtime's
 * {@code CloudConnected} service for {@code c8y}.
 */
@Component(service = Mapper.class, property = Mapper.NAME + "=c8y", configurationPid = {"tedge.device", "tedge.c8y"})
public class C8yMapper implements Mapper, Reconciler {

    static final String MEASUREMENTS = "tedge/measurements";
    static final String CHILD_MEASUREMENTS = "tedge/measurements/";
    static final String C8Y_MEASUREMENTS = "c8y/measurement/measurements/create";
    static final String SMARTREST_UP = "c8y/s/us";
    static final String ERRORS = "tedge/errors";
    static final String MEASUREMENT_TYPE = "ThinEdgeMeasurement";
    /** Cumulocity's largest MQTT payload. */
    static final int MAX_PAYLOAD = 16184;
    /** Characters of the input quoted in the too-large error, as thin-edge.io 0.12 does. */
    static final int QUOTED_INPUT_CHARS = 50;

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final Clock clock;
    private final Bus bus;
    private final Children children = new Children();
    private final AlarmTranslator alarms;
    private final EventTranslator events;
    private final HealthTranslator health;

    /**
     * The DS constructor.
     *
     * @param connected present while c8y is connected; the mapper needs nothing from it
     * @param bus       the bus, for the reconciliation after a start
     * @param config    {@code tedge.device} and {@code tedge.c8y}: {@code device.id} names the services in 102
     */
    @Activate
    public C8yMapper(@Reference(name = "connected", target = "(tedge.cloud=c8y)") CloudConnected connected, @Reference Bus bus,
            Map<String, Object> config) {
        this(Clock.systemDefaultZone(), bus, deviceId(config));
    }

    /** With the clock that supplies the time of measurements that have none. */
    C8yMapper(Clock clock) {
        this(clock, null, "device");
    }

    C8yMapper(Clock clock, Bus bus, String deviceId) {
        this.clock = clock;
        this.bus = bus;
        this.alarms = new AlarmTranslator(clock, children);
        this.events = new EventTranslator(clock, children);
        this.health = new HealthTranslator(children, deviceId);
    }

    static String deviceId(Map<String, Object> config) {
        Object id = config == null ? null : config.get("device.id");
        return id == null || id.toString().isBlank() ? "device" : id.toString().trim();
    }

    /** A new {@code device.id}. */
    @Modified
    void modified(Map<String, Object> config) {
        health.deviceId(deviceId(config));
    }

    @Override
    public List<String> inputs() {
        List<String> all = new ArrayList<>(List.of(MEASUREMENTS, CHILD_MEASUREMENTS + "+"));
        all.addAll(AlarmTranslator.INPUTS);
        all.addAll(EventTranslator.INPUTS);
        all.addAll(HealthTranslator.INPUTS);
        return all;
    }

    @Override
    public List<BusMessage> map(BusMessage in) throws MappingException {
        String topic = in.topic();
        if (AlarmTranslator.accepts(topic)) return alarms.map(topic, in.payload());
        if (EventTranslator.accepts(topic)) return events.map(topic, in.payload());
        if (HealthTranslator.accepts(topic)) return health.map(topic, in.payload());
        return measurement(in);
    }

    /**
     * After a start, once the backlog is mapped: the alarms raised or cleared while the mapper
     * was not running ({@link AlarmTranslator#reconcile}), and the health of every service.
     */
    @Override
    public List<BusMessage> reconcile() throws Bus.BusException, InterruptedException {
        if (bus == null) return List.of();
        List<BusMessage> out = new ArrayList<>(alarms.reconcile(bus));
        out.addAll(health.reconcile(bus));
        return out;
    }

    private List<BusMessage> measurement(BusMessage in) throws MappingException {
        String child = childId(in.topic());
        ThinEdgeJson.Measurement m;
        try {
            m = ThinEdgeJson.parse(in.payload());
        } catch (ThinEdgeJson.InvalidThinEdgeJson e) {
            throw new MappingException(e.getMessage());
        }
        byte[] out = toC8yJson(m, child, m.hasTime() ? null : Timestamp.now(clock));
        if (out.length > MAX_PAYLOAD) throw new MappingException(tooLarge(in, out.length));
        List<BusMessage> result = new ArrayList<>(2);
        children.register(child, result);
        result.add(new BusMessage(C8Y_MEASUREMENTS, out, 1, false, -1));
        return result;
    }

    /**
     * The child device of a measurement topic: null for {@code tedge/measurements} (and, as
     * upstream, for a topic that is not a measurement topic).
     */
    static String childId(String topic) throws MappingException {
        if (!topic.startsWith(CHILD_MEASUREMENTS)) return null;
        String child = topic.substring(CHILD_MEASUREMENTS.length());
        if (child.isEmpty() || child.indexOf('/') >= 0) {
            throw new MappingException("The given Child ID '" + child + "' is invalid.");
        }
        return child;
    }

    /** The Cumulocity JSON measurement; {@code addTime}, when not null, is appended as time. */
    static byte[] toC8yJson(ThinEdgeJson.Measurement m, String child, Timestamp addTime) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("type", MEASUREMENT_TYPE);
            if (child != null) {
                g.writeObjectFieldStart("externalSource");
                g.writeStringField("externalId", child);
                g.writeStringField("type", "c8y_Serial");
                g.writeEndObject();
            }
            for (ThinEdgeJson.Entry e : m.entries()) {
                if (e instanceof ThinEdgeJson.Time t) {
                    g.writeStringField(ThinEdgeJson.TIME, t.value().render());
                } else if (e instanceof ThinEdgeJson.Single s) {
                    g.writeObjectFieldStart(s.name());
                    g.writeObjectFieldStart(s.name());
                    g.writeFieldName("value");
                    g.writeNumber(s.number());
                    g.writeEndObject();
                    g.writeEndObject();
                } else if (e instanceof ThinEdgeJson.Group group) {
                    g.writeObjectFieldStart(group.name());
                    for (ThinEdgeJson.Single s : group.values()) {
                        g.writeObjectFieldStart(s.name());
                        g.writeFieldName("value");
                        g.writeNumber(s.number());
                        g.writeEndObject();
                    }
                    g.writeEndObject();
                }
            }
            if (addTime != null) g.writeStringField(ThinEdgeJson.TIME, addTime.render());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON to memory", e);
        }
        return out.toByteArray();
    }

    static String tooLarge(BusMessage in, int size) {
        String text = in.text();
        if (text.codePointCount(0, text.length()) > QUOTED_INPUT_CHARS) {
            text = text.substring(0, text.offsetByCodePoints(0, QUOTED_INPUT_CHARS));
        }
        return "The payload " + text + " received on " + in.topic() + " after translation is greater than the threshold size of "
                + MAX_PAYLOAD + ". The translated measurement is " + size + " bytes, larger than Cumulocity's limit of "
                + MAX_PAYLOAD + " bytes per MQTT message.";
    }

    /** The child devices registered since the mapper started. */
    Set<String> children() {
        return children.all();
    }
}
