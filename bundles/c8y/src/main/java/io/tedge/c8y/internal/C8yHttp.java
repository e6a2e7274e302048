package io.tedge.c8y.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.io.OutputStream;
import java.net.HttpRetryException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.tedge.api.Bus;
import io.tedge.api.CloudConnector.ConnectorException;
import io.tedge.api.ConnectorConfig;
import io.tedge.c8y.internal.operations.OperationsHttp;

/**
 * The device's one client of Cumulocity's REST API, shared by the large events
 * ({@link C8yHttpEvents}) and device management ({@code C8yOperations}), as thin-edge.io's
 * {@code c8y_http_proxy}:
 *
 * <ul>
 * <li><b>JWT:</b> an empty message on {@code c8y/s/uat} (QoS 0) and {@code 71,<jwt>} on
 * {@code c8y/s/dat}; kept until Cumulocity answers 401, then asked for again (once per call);
 * one request for a token at a time.</li>
 * <li><b>Identity:</b> the internal id of an external id from
 * {@code GET /identity/externalIds/c8y_Serial/<id>} (the last {@value #MAX_IDS} kept; a 404 on
 * the managed object forgets it).</li>
 * <li><b>Calls</b> on {@code https://<c8y.http>} (default {@code c8y.url}, port 443), trusting
 * {@code c8y.root.cert.path}, host name verified, no redirects, bearer authentication,
 * {@code Accept: application/json}, 30 s per call, answers read up to {@value #MAX_ANSWER}
 * bytes.</li>
 * <li><b>Device management:</b> the device's managed object updated with a PUT, an event with a
 * binary attachment, and downloads (the JWT only to an HTTPS URL on the tenant's own host:
 * {@code c8y.url} or {@code c8y.http}).</li>
 * </ul>
 * A network error, a 5xx, 408, 429 or no token is {@link Later} (worth trying again); any other
 * refusal is {@link Refused}.
 */
@Component(service = C8yHttp.class, configurationPid = {"tedge.device", "tedge.c8y"})
public class C8yHttp implements OperationsHttp {
    static final String JWT_REQUEST = "c8y/s/uat";
    static final String JWT_RESPONSE = "c8y/s/dat";
    static final int MAX_IDS = 1000;
    static final int MAX_ANSWER = 1 << 20;
    static final int DOWNLOAD_ATTEMPTS = 3;

    /** Why a call could not be made now: try again later. */
    public static class Later extends IOException {
        private static final long serialVersionUID = 1L;

        public Later(String message) {
            super(message);
        }
    }

    /** No managed object has this external id (404): it may still be on its way. */
    public static final class UnknownId extends Later {
        private static final long serialVersionUID = 1L;

        UnknownId(String message) {
            super(message);
        }
    }

    /** Why a call will never be accepted as it is. */
    public static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }
    }

    /** Settings from tedge.toml. */
    public record Settings(String deviceId, String endpoint, Path roots, String problem, List<String> tenantHosts) {
        public static Settings of(Map<String, Object> config) {
            String id = str(config, "device.id");
            String http = str(config, "c8y.http");
            String url = str(config, "c8y.url");
            String roots = str(config, "c8y.root.cert.path");
            String problem = null;
            String endpoint = null;
            List<String> hosts = new ArrayList<>();
            for (String v : new String[] {url, http}) {
                try {
                    if (v != null) hosts.add(ConnectorConfig.Endpoint.parse(v, "c8y.http", 443).host().toLowerCase(java.util.Locale.ROOT));
                } catch (ConnectorException e) {
                    // reported below
                }
            }
            try {
                ConnectorConfig.Endpoint e = ConnectorConfig.Endpoint.parse(http != null ? http : url == null ? "" : url, "c8y.http", 443);
                endpoint = "https://" + (e.host().contains(":") ? "[" + e.host() + "]" : e.host()) + ":" + e.port();
            } catch (ConnectorException e) {
                problem = http == null && url == null ? "c8y.url is not set" : e.getMessage();
            }
            if (id == null) problem = "device.id is not set: the device has no certificate yet";
            return new Settings(id, endpoint, Path.of(roots == null ? "/etc/ssl/certs" : roots), problem, List.copyOf(hosts));
        }

        private static String str(Map<String, Object> config, String key) {
            Object v = config == null ? null : config.get(key);
            return v == null || v.toString().isBlank() ? null : v.toString().trim();
        }
    }

    /** An answer: its status and at most the bytes asked for of its body. */
    record Answer(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A request: method, URL, body (null for none), headers in order, time allowed for the answer. */
    record Request(String method, URI uri, byte[] body, List<String[]> headers, Duration timeout) {
        static Request get(URI uri) {
            return new Request("GET", uri, null, List.of(), Duration.ofSeconds(30));
        }

        static Request post(URI uri, byte[] body) {
            return new Request("POST", uri, body, List.of(), Duration.ofSeconds(30));
        }

        static Request put(URI uri, byte[] body) {
            return new Request("PUT", uri, body, List.of(), Duration.ofSeconds(30));
        }

        Request header(String name, String value) {
            List<String[]> h = new ArrayList<>(headers);
            h.add(new String[] {name, value});
            return new Request(method, uri, body, List.copyOf(h), timeout);
        }

        Request timeout(Duration d) {
            return new Request(method, uri, body, headers, d);
        }
    }

    private final Bus bus;
    private final Settings settings;
    private final Duration jwtTimeout;
    private final Clock clock;
    private final long retryMillis;
    private final ReentrantLock tokenFetch = new ReentrantLock();
    private final Map<String, String> ids = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > MAX_IDS;
        }
    };
    /** Answers no authentication challenge. */
    private static final java.net.Authenticator NO_AUTHENTICATOR = new java.net.Authenticator() {
    };
    private volatile String token;
    private SSLSocketFactory tls;
    /**
     * Closes the connection of a call whose thread is interrupted (a stop of tedge): a blocking
     * socket read does not end on an interrupt by itself. Its thread ends when no call is made for 10 s.
     */
    private final ScheduledThreadPoolExecutor aborter = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "tedge-c8y-http-abort");
        t.setDaemon(true);
        return t;
    });

    {
        aborter.setKeepAliveTime(10, TimeUnit.SECONDS);
        aborter.allowCoreThreadTimeOut(true);
        aborter.setRemoveOnCancelPolicy(true);
    }

    @Activate
    public C8yHttp(@Reference Bus bus, Map<String, Object> config) {
        this(bus, Settings.of(config), Duration.ofSeconds(20), Clock.systemUTC(), 2000);
    }

    /** With explicit settings, token wait, clock and first download retry pause (tests). */
    public C8yHttp(Bus bus, Settings settings, Duration jwtTimeout, Clock clock, long retryMillis) {
        this.bus = bus;
        this.settings = settings;
        this.jwtTimeout = jwtTimeout;
        this.clock = clock;
        this.retryMillis = retryMillis;
    }

    Settings settings() {
        return settings;
    }

    // ------------------------------------------------------------------ token and identity

    /** The JWT: the one kept, or a new one asked for over MQTT. */
    @Override
    public String jwt() throws Later, InterruptedException {
        String t = token;
        if (t != null) return t;
        tokenFetch.lockInterruptibly();
        try {
            if (token != null) return token;
            BlockingQueue<String> answers = new ArrayBlockingQueue<>(16);
            try (Bus.Subscription sub = bus.subscribe(List.of(JWT_RESPONSE), m -> {
                String text = m.text();
                if (text.startsWith("71,")) answers.offer(text.substring(3).trim());
            })) {
                // QoS 0: while the link is down the request is not kept, so no pile of them goes out later
                bus.publish(JWT_REQUEST, new byte[0], 0, false);
                String jwt = answers.poll(jwtTimeout.toMillis(), TimeUnit.MILLISECONDS);
                if (jwt == null || jwt.isEmpty()) {
                    throw new Later("no JWT from Cumulocity (71 on " + JWT_RESPONSE + ") within " + jwtTimeout.toSeconds() + " s");
                }
                token = jwt;
                return jwt;
            } catch (Bus.BusException e) {
                throw new Later("cannot ask for a JWT: " + e.getMessage());
            }
        } finally {
            tokenFetch.unlock();
        }
    }

    /** The internal id of an external id of type c8y_Serial (kept). */
    String internalId(String externalId) throws Later, Refused, InterruptedException {
        synchronized (ids) {
            String id = ids.get(externalId);
            if (id != null) return id;
        }
        String path = "/identity/externalIds/c8y_Serial/" + URLEncoder.encode(externalId, StandardCharsets.UTF_8).replace("+", "%20");
        Answer r = call(Request.get(uri(path)), MAX_ANSWER);
        if (r.status() == 404) throw new UnknownId("unknown source " + externalId + " (GET " + path + " answered 404)");
        if (r.status() != 200) raise("GET /identity/externalIds/c8y_Serial/" + externalId, r, "the look-up of " + externalId);
        String id = managedObjectId(r.text());
        if (id == null) throw new Later("no managedObject.id in the answer of GET " + path);
        synchronized (ids) {
            ids.put(externalId, id);
        }
        return id;
    }

    private void forget(String externalId) {
        synchronized (ids) {
            ids.remove(externalId);
        }
    }

    // ------------------------------------------------------------------ calls

    /** A request to Cumulocity's API with the token ({@code Accept: application/json}); a 401 gets a new token, once. */
    Answer call(Request request, long maxBytes) throws Later, Refused, InterruptedException {
        return withToken(request.header("Accept", "application/json").timeout(Duration.ofSeconds(30)), maxBytes);
    }

    private Answer withToken(Request request, long maxBytes) throws Later, Refused, InterruptedException {
        if (settings.problem() != null) throw new Later(settings.problem());
        for (int attempt = 0;; attempt++) {
            String jwt = jwt();
            Request req = request.header("Authorization", "Bearer " + jwt);
            Answer r = exchange(req, maxBytes);
            if (r.status() != 401) return r;
            invalidate(jwt);
            if (attempt >= 1) throw new Later(req.method() + " " + req.uri().getPath() + " answered 401 with a new token");
        }
    }

    private void invalidate(String jwt) {
        synchronized (this) {
            if (jwt.equals(token)) token = null;
        }
    }

    /**
     * One exchange over {@link HttpURLConnection} (HTTP/1.1, no proxy, no redirects, host name
     * verified; the JDK's {@code java.net.http} client costs about 4 MiB more of a gateway's
     * memory: docs/benchmarks.md); the body is cut at {@code maxBytes} ({@link Refused} when
     * {@code maxBytes} is a hard limit: negative).
     */
    private Answer exchange(Request req, long maxBytes) throws Later, Refused, InterruptedException {
        if (Thread.interrupted()) throw new InterruptedException();
        String where = req.uri().getScheme() + "://" + req.uri().getAuthority();
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) req.uri().toURL().openConnection(Proxy.NO_PROXY);
        } catch (IOException | IllegalArgumentException e) {
            throw new Later("cannot reach " + where + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
        if (c instanceof HttpsURLConnection https) {
            https.setSSLSocketFactory(tls());
            // the JDK checks the name against the certificate itself and asks this verifier only
            // when that fails: never yes, whatever default another bundle of the JVM may have set
            https.setHostnameVerifier((host, session) -> false);
        }
        c.setInstanceFollowRedirects(false);
        c.setUseCaches(false);
        // never a JVM-wide Authenticator another bundle may have set: its passwords are not for these servers
        c.setAuthenticator(NO_AUTHENTICATOR);
        c.setConnectTimeout(10_000);
        c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, req.timeout().toMillis()));
        Thread caller = Thread.currentThread();
        ScheduledFuture<?> watch = aborter.scheduleWithFixedDelay(() -> {
            if (caller.isInterrupted()) c.disconnect();
        }, 200, 200, TimeUnit.MILLISECONDS);
        int status;
        try {
            c.setRequestMethod(req.method());
            for (String[] h : req.headers()) c.addRequestProperty(h[0], h[1]);
            if (req.body() != null) {
                c.setDoOutput(true);
                c.setFixedLengthStreamingMode(req.body().length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(req.body());
                }
            }
            status = c.getResponseCode();
            if (status < 0) throw new IOException("not an HTTP answer");
        } catch (HttpRetryException e) {
            // a streamed body is not sent again on a 401: the token is renewed by the caller
            watch.cancel(false);
            c.disconnect();
            return new Answer(e.responseCode(), new byte[0]);
        } catch (IOException e) {
            watch.cancel(false);
            c.disconnect();
            if (Thread.interrupted()) throw new InterruptedException();
            throw new Later("cannot reach " + where + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
        long limit = Math.abs(maxBytes);
        try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
            if (in == null) return new Answer(status, new byte[0]);
            byte[] body = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 8));
            if (maxBytes < 0 && status == 200 && in.read() >= 0) {
                c.disconnect();
                throw new Refused(req.uri() + " is larger than " + limit + " bytes");
            }
            return new Answer(status, body);
        } catch (IOException e) {
            if (e instanceof Refused x) throw x;
            c.disconnect();
            if (Thread.interrupted()) throw new InterruptedException();
            throw new Later("the answer of " + req.method() + " " + req.uri().getPath() + " broke off: " + e.getMessage());
        } finally {
            watch.cancel(false);
        }
    }

    URI uri(String path) {
        return URI.create(settings.endpoint() + path);
    }

    /** The TLS of every call: c8y.root.cert.path as the trust anchors. */
    private synchronized SSLSocketFactory tls() throws Later {
        if (tls == null) {
            try {
                tls = RootCertificates.context(settings.roots()).getSocketFactory();
            } catch (IOException e) {
                throw new Later(e.getMessage());
            }
        }
        return tls;
    }

    /** {@link Refused} for a 4xx other than 408 and 429, else {@link Later}. */
    static IOException failure(String call, Answer r, String what) {
        int s = r.status();
        if (s >= 400 && s < 500 && s != 408 && s != 429) {
            return new Refused("Cumulocity refused " + what + " (" + call + " answered " + s + "): " + excerpt(r.text()));
        }
        return new Later(call + " answered " + s);
    }

    /** Throws {@link #failure}. */
    static void raise(String call, Answer r, String what) throws Later, Refused {
        IOException e = failure(call, r, what);
        if (e instanceof Refused x) throw x;
        throw (Later) e;
    }

    static String excerpt(String body) {
        if (body == null) return "";
        String one = body.replaceAll("\\s+", " ").trim();
        return one.length() > 300 ? one.substring(0, 300) + "..." : one;
    }

    // ------------------------------------------------------------------ device management

    /** {@code PUT /inventory/managedObjects/<internal id>}; a 404 looks the id up again, once. */
    @Override
    public void updateDevice(byte[] json) throws IOException, InterruptedException {
        for (int attempt = 0;; attempt++) {
            String id = internalId(settings.deviceId());
            String path = "/inventory/managedObjects/" + id;
            Answer r = call(Request.put(uri(path), json).header("Content-Type", "application/json"), MAX_ANSWER);
            if (r.status() == 200 || r.status() == 201 || r.status() == 204) return;
            if (r.status() == 404 && attempt == 0) {
                forget(settings.deviceId());
                continue;
            }
            throw failure("PUT " + path, r, "the update of the device's managed object");
        }
    }

    /**
     * {@code POST /event/events} (the device as source, now, {@code type}, {@code text}), then
     * {@code POST /event/events/<id>/binaries} with the content as {@code text/plain}; the binary's URL.
     */
    @Override
    public String uploadEventBinary(String type, String text, byte[] content) throws IOException, InterruptedException {
        String source = internalId(settings.deviceId());
        String time = clock.instant().truncatedTo(ChronoUnit.MILLIS).toString();
        byte[] event = C8yJson.write(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("source");
            g.writeStringField("id", source);
            g.writeEndObject();
            g.writeStringField("type", type);
            g.writeStringField("time", time);
            g.writeStringField("text", text);
            g.writeEndObject();
        });
        Answer created = call(Request.post(uri("/event/events"), event).header("Content-Type", "application/json"), MAX_ANSWER);
        if (created.status() != 200 && created.status() != 201) throw failure("POST /event/events", created, "the event " + type);
        String eventId = field(created.text(), "id");
        if (eventId == null) throw new Later("no id in the answer of POST /event/events");
        String path = "/event/events/" + URLEncoder.encode(eventId, StandardCharsets.UTF_8) + "/binaries";
        Answer bin = call(Request.post(uri(path), content).header("Content-Type", "text/plain"), MAX_ANSWER);
        if (bin.status() != 200 && bin.status() != 201) throw failure("POST " + path, bin, "the attachment of the event " + type);
        return publicBase() + path;
    }

    /** {@code https://<host>[:<port> unless 443]}, as a user of the tenant sees it. */
    private String publicBase() {
        String e = settings.endpoint();
        return e.endsWith(":443") ? e.substring(0, e.length() - 4) : e;
    }

    /** Whether the JWT may go to this URL: HTTPS on the tenant's own host. */
    public boolean tenantUrl(URI url) {
        return "https".equalsIgnoreCase(url.getScheme()) && url.getHost() != null
                && settings.tenantHosts().contains(url.getHost().toLowerCase(java.util.Locale.ROOT));
    }

    /**
     * GET of a URL, at most {@code maxBytes}; the JWT only for {@link #tenantUrl}. Up to
     * {@value #DOWNLOAD_ATTEMPTS} attempts (2 s, 4 s apart) on network errors, 429 and 5xx.
     */
    @Override
    public byte[] download(String url, long maxBytes) throws IOException, InterruptedException {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new Refused("Invalid URL " + url + ": " + e.getMessage());
        }
        if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())) {
            throw new Refused("Cannot download " + url + ": only http and https URLs are supported");
        }
        Request get = Request.get(uri).timeout(Duration.ofSeconds(60));
        IOException last = null;
        for (int attempt = 1; attempt <= DOWNLOAD_ATTEMPTS; attempt++) {
            if (attempt > 1) Thread.sleep(retryMillis << (attempt - 2));
            try {
                Answer r = tenantUrl(uri) ? withToken(get, -maxBytes) : exchange(get, -maxBytes);
                if (r.status() == 200) return r.body();
                last = new IOException("Download of " + url + " failed: HTTP status " + r.status());
                if (r.status() != 429 && r.status() < 500) throw last;
            } catch (Later e) {
                last = new IOException("Download of " + url + " failed: " + e.getMessage());
            }
        }
        throw last;
    }

    /** A top-level string or number field of a JSON object, or null. */
    static String field(String json, String name) {
        try (JsonParser p = C8yJson.factory().createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String n = p.currentName();
                JsonToken v = p.nextToken();
                if (n.equals(name) && (v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NUMBER_INT)) return p.getText();
                p.skipChildren();
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** {@code managedObject.id} of an identity answer, or null. */
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
}
