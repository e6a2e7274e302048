package io.tedge.mapper.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;

/**
 * The health of one service, as thin-edge.io 0.6+ publishes it: retained, QoS 1,
 * {@code {"pid":<pid>,"status":"up"|"down","time":<unix seconds>}} on {@code tedge/health/<name>}
 * when the service starts and stops, and again (up) on any message on {@code tedge/health-check}
 * or {@code tedge/health-check/<name>}.
 */
public final class Health implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Health.class);
    public static final String TOPIC = "tedge/health/";
    public static final String CHECK = "tedge/health-check";
    public static final long PID = ProcessHandle.current().pid();
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final Bus bus;
    private final String name;
    private final Clock clock;
    private volatile Bus.Subscription checks;
    private volatile boolean up;

    public Health(Bus bus, String name, Clock clock) {
        this.bus = bus;
        this.name = name;
        this.clock = clock;
    }

    public String name() {
        return name;
    }

    /** Publishes up and starts answering health checks. */
    public void start() {
        up = true;
        publish("up");
        checks = bus.subscribe(List.of(CHECK, CHECK + "/" + name), m -> publish(up ? "up" : "down"));
    }

    /** Stops answering and publishes down. */
    @Override
    public void close() {
        up = false;
        Bus.Subscription s = checks;
        checks = null;
        if (s != null) s.close();
        publish("down");
    }

    private void publish(String status) {
        try {
            bus.publish(TOPIC + name, payload(PID, status, clock.millis() / 1000), 1, true);
        } catch (Bus.BusException e) {
            LOG.warn("Could not publish the health of {}: {}", name, e.getMessage());
        }
    }

    /** The status and pid of a health message, or null when it is not such a JSON object. */
    public record Status(String status, long pid) {
    }

    public static Status read(byte[] payload) {
        String status = null;
        long pid = -1;
        try (JsonParser p = JSON.createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (field.equals("status") && v == JsonToken.VALUE_STRING) status = p.getText();
                else if (field.equals("pid") && v == JsonToken.VALUE_NUMBER_INT) pid = p.getLongValue();
                else p.skipChildren();
            }
        } catch (IOException e) {
            return null;
        }
        return status == null ? null : new Status(status, pid);
    }

    /** {@code {"pid":…,"status":…,"time":…}}, keys sorted as thin-edge.io's serde_json writes them. */
    public static byte[] payload(long pid, String status, long epochSeconds) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("pid", pid);
            g.writeStringField("status", status);
            g.writeNumberField("time", epochSeconds);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
