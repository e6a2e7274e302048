package io.tedge.c8y.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

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
import io.tedge.api.CloudConnected;
import io.tedge.api.DurableConsumer;
import io.tedge.c8y.internal.C8yHttp.Later;
import io.tedge.c8y.internal.C8yHttp.Refused;

/**
 * Events too large for Cumulocity's MQTT limit, posted to its REST API as thin-edge.io 0.6+ does:
 * the mapper puts them on {@value EventTranslator#HTTP} (journaled), and this component reads
 * them through the durable consumer {@code c8y-http}, one at a time, and moves its cursor past
 * an event only once Cumulocity has created it. So an event waits, durably, while the cloud is
 * unreachable, and survives restarts; it is sent at least once, in order.
 *
 * <p>For each event, through the bundle's one REST client ({@link C8yHttp}: the JWT from
 * {@code s/uat}, renewed on 401, the identity look-up, TLS): the internal id of its source (the
 * device's {@code device.id} or the child's {@code externalSource}), then {@code POST /event/events}
 * with {@code "source":{"id":...}}. A network error, a 5xx or a missing token waits and tries
 * again (1 s, doubling to 60 s); an unknown child is tried
 * {@value #CHILD_ATTEMPTS} times (its registration may still be on its way), then given up with
 * thin-edge.io's text on {@code tedge/errors}; any other refusal (400, 403, 422, ...) gives up the
 * event with the answer on {@code tedge/errors}.
 */
@Component(immediate = true, service = {})
public class C8yHttpEvents implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(C8yHttpEvents.class);
    static final int CHILD_ATTEMPTS = 10;

    private final Bus bus;
    private final C8yHttp http;
    private final long maxBackoffMs;
    private final Thread thread;
    private volatile boolean running = true;
    private DurableConsumer consumer;

    @Activate
    public C8yHttpEvents(@Reference(name = "connected", target = "(tedge.cloud=c8y)") CloudConnected connected, @Reference Bus bus,
            @Reference(name = "http") C8yHttp http) {
        this(bus, http, 60_000);
        start();
    }

    C8yHttpEvents(Bus bus, C8yHttp http, long maxBackoffMs) {
        this.bus = bus;
        this.http = http;
        this.maxBackoffMs = maxBackoffMs;
        this.thread = new Thread(this, "tedge-c8y-http");
        thread.setDaemon(true);
    }

    void start() {
        consumer = bus.consumer("c8y-http", List.of(EventTranslator.HTTP));
        thread.start();
    }

    @Deactivate
    void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (consumer != null) consumer.close();
    }

    @Override
    public void run() {
        try {
            while (running) {
                for (BusMessage m : consumer.poll(1, Duration.ofMillis(500))) {
                    deliver(m);
                    consumer.commit(m.position());
                }
            }
        } catch (InterruptedException e) {
            // stopping; the event in hand stays in the journal
        } catch (RuntimeException e) {
            LOG.error("Large events to Cumulocity stopped: {}", e.toString(), e);
        }
    }

    /** Sends one event, waiting and trying again until it is created or refused for good. */
    void deliver(BusMessage m) throws InterruptedException {
        long backoff = 1000;
        int failures = 0;
        int unknownChild = 0;
        while (running) {
            try {
                send(m.payload(), unknownChild + 1 >= CHILD_ATTEMPTS);
                if (failures > 0) LOG.info("A large event was sent to Cumulocity over HTTP after {} failed attempt(s)", failures);
                return;
            } catch (Refused e) {
                LOG.warn("{}", e.getMessage());
                try {
                    bus.publish(C8yMapper.ERRORS, e.getMessage().getBytes(StandardCharsets.UTF_8), 1, false);
                } catch (Bus.BusException be) {
                    LOG.warn("Could not publish on {}: {}", C8yMapper.ERRORS, be.getMessage());
                }
                return;
            } catch (Later e) {
                if (e instanceof C8yHttp.UnknownId) unknownChild++;
                if (failures++ % 10 == 0) {
                    LOG.warn("A large event waits for Cumulocity's REST API: {} (attempt {}; it stays in the journal)", e.getMessage(), failures);
                }
                Thread.sleep(backoff + ThreadLocalRandom.current().nextLong(Math.max(1, backoff / 4)));
                backoff = Math.min(backoff * 2, maxBackoffMs);
            }
        }
        throw new InterruptedException("stopping");
    }

    /** One try. */
    void send(byte[] event, boolean lastChildAttempt) throws Later, Refused, InterruptedException {
        if (http.settings().problem() != null) throw new Later(http.settings().problem());
        Map<String, String> fields = fields(event);
        String child = childOf(fields.get("externalSource"));
        String source = child != null ? child : http.settings().deviceId();
        String id;
        try {
            id = http.internalId(source);
        } catch (C8yHttp.UnknownId e) {
            if (child != null && lastChildAttempt) {
                throw new Refused("The given Child ID '" + child + "' is not registered with Cumulocity. To send the events to the child device, "
                        + "it has to be registered first.");
            }
            throw e;
        }
        byte[] body = C8yJson.write(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("source");
            g.writeStringField("id", id);
            g.writeEndObject();
            for (Map.Entry<String, String> f : fields.entrySet()) {
                if (f.getKey().equals("source") || f.getKey().equals("externalSource")) continue;
                g.writeFieldName(f.getKey());
                g.writeRawValue(f.getValue());
            }
            g.writeEndObject();
        });
        C8yHttp.Answer r = http.call(C8yHttp.Request.post(http.uri("/event/events"), body).header("Content-Type", "application/json"),
                C8yHttp.MAX_ANSWER);
        if (r.status() == 200 || r.status() == 201) return;
        C8yHttp.raise("POST /event/events", r, "an event sent over HTTP");
    }

    /** The top-level fields of an event, as compact JSON values. */
    static Map<String, String> fields(byte[] event) throws Refused {
        Map<String, String> out = new LinkedHashMap<>();
        try (JsonParser p = C8yJson.factory().createParser(event)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new Refused("not a JSON event: " + C8yHttp.excerpt(new String(event, StandardCharsets.UTF_8)));
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                try (JsonGenerator g = C8yJson.factory().createGenerator(buf)) {
                    g.copyCurrentStructure(p);
                }
                out.put(name, buf.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new Refused("not a JSON event: " + e.getMessage());
        }
        return out;
    }

    /** {@code externalSource.externalId}, or null. */
    static String childOf(String externalSource) {
        if (externalSource == null) return null;
        try (JsonParser p = C8yJson.factory().createParser(externalSource)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (p.nextToken() == JsonToken.VALUE_STRING && name.equals("externalId")) return p.getText();
                p.skipChildren();
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }
}
