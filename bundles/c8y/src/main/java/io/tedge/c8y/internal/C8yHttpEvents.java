package io.tedge.c8y.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadLocalRandom;

import javax.net.ssl.SSLContext;

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
import io.tedge.api.CloudConnector.ConnectorException;
import io.tedge.api.ConnectorConfig;
import io.tedge.api.DurableConsumer;

/**
 * Events too large for Cumulocity's MQTT limit, posted to its REST API as thin-edge.io 0.6+ does:
 * the mapper puts them on {@value EventTranslator#HTTP} (journaled), and this component reads
 * them through the durable consumer {@code c8y-http}, one at a time, and moves its cursor past
 * an event only once Cumulocity has created it. So an event waits, durably, while the cloud is
 * unreachable, and survives restarts; it is sent at least once, in order.
 *
 * <p>For each event: a JWT ({@code 71,<jwt>} on {@code c8y/s/dat}, asked for with an empty
 * {@code c8y/s/uat}, kept until Cumulocity answers 401), the internal id of its source
 * ({@code GET /identity/externalIds/c8y_Serial/<external id>}, the device's {@code device.id} or
 * the child's {@code externalSource}; kept), then {@code POST /event/events} with
 * {@code "source":{"id":...}} on {@code https://<c8y.http>} (trusting {@code c8y.root.cert.path},
 * host name verified), bearer authentication. 401 renews the token; a network error, a 5xx or a
 * missing token waits and tries again (1 s, doubling to 60 s); an unknown child is tried
 * {@value #CHILD_ATTEMPTS} times (its registration may still be on its way), then given up with
 * thin-edge.io's text on {@code tedge/errors}; any other refusal (400, 403, 422, ...) gives up the
 * event with the answer on {@code tedge/errors}.
 */
@Component(immediate = true, service = {}, configurationPid = {"tedge.device", "tedge.c8y"})
public class C8yHttpEvents implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(C8yHttpEvents.class);
    static final String JWT_REQUEST = "c8y/s/uat";
    static final String JWT_RESPONSE = "c8y/s/dat";
    static final int CHILD_ATTEMPTS = 10;
    static final int MAX_IDS = 1000;

    /** Why an event could not be sent now: try again later. */
    static final class Later extends Exception {
        private static final long serialVersionUID = 1L;

        Later(String message) {
            super(message);
        }
    }

    /** Why an event will never be accepted: give it up. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /** Settings from tedge.toml. */
    record Settings(String deviceId, String endpoint, Path roots, String problem) {
        static Settings of(Map<String, Object> config) {
            String id = str(config, "device.id");
            String http = str(config, "c8y.http");
            String url = str(config, "c8y.url");
            String roots = str(config, "c8y.root.cert.path");
            String problem = null;
            String endpoint = null;
            try {
                ConnectorConfig.Endpoint e = ConnectorConfig.Endpoint.parse(http != null ? http : url == null ? "" : url, "c8y.http", 443);
                endpoint = "https://" + (e.host().contains(":") ? "[" + e.host() + "]" : e.host()) + ":" + e.port();
            } catch (ConnectorException e) {
                problem = http == null && url == null ? "c8y.url is not set" : e.getMessage();
            }
            if (id == null) problem = "device.id is not set: the device has no certificate yet";
            return new Settings(id, endpoint, Path.of(roots == null ? "/etc/ssl/certs" : roots), problem);
        }

        private static String str(Map<String, Object> config, String key) {
            Object v = config == null ? null : config.get(key);
            return v == null || v.toString().isBlank() ? null : v.toString().trim();
        }
    }

    private final Bus bus;
    private final Settings settings;
    private final Duration jwtTimeout;
    private final long maxBackoffMs;
    private final Thread thread;
    private final Map<String, String> ids = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_IDS;
        }
    };
    private volatile boolean running = true;
    private HttpClient client;
    private String token;
    private DurableConsumer consumer;

    @Activate
    public C8yHttpEvents(@Reference(name = "connected", target = "(tedge.cloud=c8y)") CloudConnected connected, @Reference Bus bus,
            Map<String, Object> config) {
        this(bus, Settings.of(config), Duration.ofSeconds(20), 60_000);
        start();
    }

    C8yHttpEvents(Bus bus, Settings settings, Duration jwtTimeout, long maxBackoffMs) {
        this.bus = bus;
        this.settings = settings;
        this.jwtTimeout = jwtTimeout;
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
                if (e.getMessage().startsWith(UNKNOWN)) unknownChild++;
                if (failures++ % 10 == 0) {
                    LOG.warn("A large event waits for Cumulocity's REST API: {} (attempt {}; it stays in the journal)", e.getMessage(), failures);
                }
                Thread.sleep(backoff + ThreadLocalRandom.current().nextLong(Math.max(1, backoff / 4)));
                backoff = Math.min(backoff * 2, maxBackoffMs);
            }
        }
        throw new InterruptedException("stopping");
    }

    private static final String UNKNOWN = "unknown source ";

    /** One try. */
    void send(byte[] event, boolean lastChildAttempt) throws Later, Refused, InterruptedException {
        if (settings.problem() != null) throw new Later(settings.problem());
        Map<String, String> fields = fields(event);
        String child = childOf(fields.get("externalSource"));
        String source = child != null ? child : settings.deviceId();
        HttpClient http = client();
        String id = internalId(http, source, child, lastChildAttempt);
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
        HttpResponse<String> r = call(http, HttpRequest.newBuilder(uri("/event/events")).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/json"));
        int status = r.statusCode();
        if (status == 200 || status == 201) return;
        if (status >= 400 && status < 500 && status != 408 && status != 429) {
            throw new Refused("Cumulocity refused an event sent over HTTP (POST /event/events answered " + status + "): " + excerpt(r.body()));
        }
        throw new Later("POST /event/events answered " + status);
    }

    /** The internal id of a source (cached). */
    private String internalId(HttpClient http, String externalId, String child, boolean lastChildAttempt)
            throws Later, Refused, InterruptedException {
        synchronized (ids) {
            String id = ids.get(externalId);
            if (id != null) return id;
        }
        HttpResponse<String> r = call(http, HttpRequest.newBuilder(uri("/identity/externalIds/c8y_Serial/"
                + URLEncoder.encode(externalId, StandardCharsets.UTF_8).replace("+", "%20"))).GET());
        if (r.statusCode() == 404) {
            if (child != null && lastChildAttempt) {
                throw new Refused("The given Child ID '" + child + "' is not registered with Cumulocity. To send the events to the child device, "
                        + "it has to be registered first.");
            }
            throw new Later(UNKNOWN + externalId + " (GET /identity/externalIds/c8y_Serial/" + externalId + " answered 404)");
        }
        if (r.statusCode() != 200) {
            if (r.statusCode() >= 400 && r.statusCode() < 500 && r.statusCode() != 408 && r.statusCode() != 429) {
                throw new Refused("Cumulocity refused the look-up of " + externalId + " (GET /identity/externalIds answered " + r.statusCode()
                        + "): " + excerpt(r.body()));
            }
            throw new Later("GET /identity/externalIds answered " + r.statusCode());
        }
        String id = managedObjectId(r.body());
        if (id == null) throw new Later("no managedObject.id in the answer of GET /identity/externalIds/c8y_Serial/" + externalId);
        synchronized (ids) {
            ids.put(externalId, id);
        }
        return id;
    }

    /** A request with the token; on 401 a new token, once. */
    private HttpResponse<String> call(HttpClient http, HttpRequest.Builder request) throws Later, InterruptedException {
        for (int attempt = 0;; attempt++) {
            String jwt = token();
            HttpRequest req = request.copy().header("Authorization", "Bearer " + jwt).header("Accept", "application/json")
                    .timeout(Duration.ofSeconds(30)).build();
            HttpResponse<String> r;
            try {
                r = http.send(req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new Later("cannot reach " + settings.endpoint() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            }
            if (r.statusCode() != 401) return r;
            synchronized (this) {
                if (jwt.equals(token)) token = null;
            }
            if (attempt >= 1) throw new Later(req.method() + " " + req.uri().getPath() + " answered 401 with a new token");
        }
    }

    private URI uri(String path) {
        return URI.create(settings.endpoint() + path);
    }

    private synchronized HttpClient client() throws Later {
        if (client == null) {
            SSLContext tls;
            try {
                tls = RootCertificates.context(settings.roots());
            } catch (IOException e) {
                throw new Later(e.getMessage());
            }
            client = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();
        }
        return client;
    }

    /** The JWT: the one kept, or a new one asked over MQTT. */
    private String token() throws Later, InterruptedException {
        synchronized (this) {
            if (token != null) return token;
        }
        BlockingQueue<String> answers = new ArrayBlockingQueue<>(16);
        try (Bus.Subscription sub = bus.subscribe(List.of(JWT_RESPONSE), m -> {
            String text = m.text();
            if (text.startsWith("71,")) answers.offer(text.substring(3).trim());
        })) {
            // QoS 0: while the link is down the request is not kept, so no pile of them goes out later
            bus.publish(JWT_REQUEST, new byte[0], 0, false);
            String jwt = answers.poll(jwtTimeout.toMillis(), TimeUnit.MILLISECONDS);
            if (jwt == null || jwt.isEmpty()) throw new Later("no JWT from Cumulocity (71 on " + JWT_RESPONSE + ") within " + jwtTimeout.toSeconds() + " s");
            synchronized (this) {
                token = jwt;
            }
            return jwt;
        } catch (Bus.BusException e) {
            throw new Later("cannot ask for a JWT: " + e.getMessage());
        }
    }

    /** The top-level fields of an event, as compact JSON values. */
    static Map<String, String> fields(byte[] event) throws Refused {
        Map<String, String> out = new LinkedHashMap<>();
        try (JsonParser p = C8yJson.factory().createParser(event)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new Refused("not a JSON event: " + excerpt(new String(event, StandardCharsets.UTF_8)));
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

    static String managedObjectId(String body) {
        try (JsonParser p = C8yJson.factory().createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("managedObject") && v == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String inner = p.currentName();
                        JsonToken iv = p.nextToken();
                        if (inner.equals("id") && (iv == JsonToken.VALUE_STRING || iv == JsonToken.VALUE_NUMBER_INT)) return p.getText();
                        p.skipChildren();
                    }
                    return null;
                }
                p.skipChildren();
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static String excerpt(String body) {
        if (body == null) return "";
        String one = body.replaceAll("\\s+", " ").trim();
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }
}
