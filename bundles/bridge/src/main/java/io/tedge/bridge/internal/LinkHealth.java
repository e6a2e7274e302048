package io.tedge.bridge.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;

/**
 * The health of each cloud link, as thin-edge.io's built-in bridge names it: the service
 * {@code tedge-mapper-bridge-<cloud>}, retained on {@code tedge/health/tedge-mapper-bridge-<cloud>}
 * as {@code {"pid":…,"status":"up"|"down","time":<unix seconds>}}, up while the link's status
 * ({@code tedge/bridge/<cloud>/status}) is {@code up}, down otherwise; published when it changes,
 * and again on {@code tedge/health-check} or {@code tedge/health-check/tedge-mapper-bridge-<cloud>}.
 * When the bridge stops, every link it reported up is reported down.
 */
@Component(immediate = true, service = {})
public class LinkHealth {
    private static final Logger LOG = LoggerFactory.getLogger(LinkHealth.class);
    static final String PREFIX = "tedge-mapper-bridge-";
    static final long PID = ProcessHandle.current().pid();
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private final Bus bus;
    private final Clock clock;
    private final Map<String, String> states = new ConcurrentHashMap<>();
    private final Bus.Subscription sub;

    @Activate
    public LinkHealth(@Reference Bus bus) {
        this(bus, Clock.systemUTC());
    }

    LinkHealth(Bus bus, Clock clock) {
        this.bus = bus;
        this.clock = clock;
        this.sub = bus.subscribe(List.of("tedge/bridge/+/status", "tedge/health-check", "tedge/health-check/+"), this::onMessage);
    }

    private void onMessage(BusMessage m) {
        String[] levels = m.topic().split("/");
        if (m.topic().startsWith("tedge/bridge/")) {
            String cloud = levels[2];
            String state = "up".equals(status(m.payload())) ? "up" : "down";
            String before = states.put(cloud, state);
            if (!state.equals(before)) publish(cloud, state);
        } else if (levels.length == 2) {
            states.forEach(this::publish);
        } else if (levels[2].startsWith(PREFIX)) {
            String state = states.get(levels[2].substring(PREFIX.length()));
            if (state != null) publish(levels[2].substring(PREFIX.length()), state);
        }
    }

    @Deactivate
    void stop() {
        sub.close();
        states.forEach((cloud, state) -> {
            if (state.equals("up")) publish(cloud, "down");
        });
    }

    private void publish(String cloud, String state) {
        try {
            bus.publish("tedge/health/" + PREFIX + cloud, payload(PID, state, clock.millis() / 1000), 1, true);
        } catch (Bus.BusException e) {
            LOG.debug("health of {}: {}", cloud, e.getMessage());
        }
    }

    static byte[] payload(long pid, String status, long time) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("pid", pid);
            g.writeStringField("status", status);
            g.writeNumberField("time", time);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /** The {@code status} field of a link status, or null. */
    static String status(byte[] json) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("status")) return v == JsonToken.VALUE_STRING ? p.getText() : null;
                p.skipChildren();
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
