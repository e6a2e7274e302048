package io.tedge.testkit;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * An HTTPS stand-in for the Cumulocity REST calls that {@code tedge cert upload c8y} makes, on
 * 127.0.0.1 and an ephemeral port, with a server certificate of a {@link TestPki}:
 * <ul>
 * <li>{@code GET /tenant/currentTenant} → 200 {@code {"name":"t12345","domainName":"localhost",...}};</li>
 * <li>{@code POST /tenant/tenants/{t}/trusted-certificates} → 201 (body echoed plus
 * {@code fingerprint}, {@code subject}, ...), 404 for another tenant, 409 for a fingerprint
 * already uploaded, 422 when the PEM is not an X.509 v3 certificate with CA:TRUE;</li>
 * <li>{@code GET} of that list, {@code GET} and {@code DELETE} of {@code .../{fingerprint}};</li>
 * <li>401 {@code {"error":"security/Unauthorized",...}} for a missing or wrong Basic
 * authorization (user {@code admin} or {@code t12345/admin}, the password given).</li>
 * <li>With a device's JWT ({@code Authorization: Bearer <jwt>}, accepted when
 * {@link #setTokenCheck} says so, else 401): {@code GET /identity/externalIds/c8y_Serial/{id}} →
 * 200 {@code {"externalId","type":"c8y_Serial","managedObject":{"id",...}}} or 404 (see
 * {@link #setIdentities}); {@code POST /event/events} → 201 with the event and its {@code id}
 * when it has {@code type}, {@code text}, {@code time} and {@code source.id}, else 422;
 * {@code PUT /inventory/managedObjects/{id}} of an id the look-up gave → 200 with the object, its
 * top-level fragments replaced ({@link #managedObject}), else 404;
 * {@code POST /event/events/{id}/binaries} of an event created here → 201 (the body kept,
 * {@link #binary}), {@code GET} of it → 200 with the body; {@code GET} of a file put with
 * {@link #putBinary} ({@code /inventory/binaries/{id}}) → 200 with its bytes.</li>
 * </ul>
 * A certificate uploaded with status ENABLED is added to the {@link LiveTrust} given at start, so
 * an MQTT stand-in that shares it trusts the device at once. Every request is recorded before it
 * is answered; {@link #respondNext} forces the answer to the next request. As the real server,
 * a POST without an {@code Accept} header gets an empty response body.
 */
public final class C8yHttpStandIn implements AutoCloseable {
    public static final String TENANT = "t12345";
    public static final String USER = "admin";

    private static final Pattern TRUSTED = Pattern.compile("/tenant/tenants/([^/]+)/trusted-certificates(?:/([^/]+))?/?");
    private static final Pattern MANAGED_OBJECT = Pattern.compile("/inventory/managedObjects/([^/]+)/?");
    private static final Pattern BINARY = Pattern.compile("/(?:event/events/([^/]+)/binaries|inventory/binaries/[^/]+)/?");
    private static final String UNAUTHORIZED = "{\"error\":\"security/Unauthorized\",\"message\":\"Invalid credentials! : Bad credentials\","
            + "\"info\":\"https://cumulocity.com/guides/reference/rest-implementation\"}";

    /** One request as the stand-in received it. Header names are case-insensitive. */
    public record Request(String method, String path, String query, Map<String, List<String>> headers, String body) {
        /** The first value of a header, or null. */
        public String header(String name) {
            List<String> v = headers.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    /** One trusted certificate as the stand-in holds it. */
    public record Upload(String name, String fingerprint, X509Certificate cert, boolean autoRegistrationEnabled, String status) {
    }

    private record Forced(int status, String body) {
    }

    private final HttpsServer server;
    private final ExecutorService executor;
    private final LiveTrust trust;
    private volatile String password;
    private final List<Request> requests = new ArrayList<>();
    private final Map<String, Upload> uploads = Collections.synchronizedMap(new LinkedHashMap<>());
    private final Queue<Forced> forced = new ConcurrentLinkedQueue<>();
    private volatile Predicate<String> tokenCheck = t -> false;
    private volatile java.util.function.Function<String, String> identities = new java.util.function.Function<>() {
        private final Map<String, String> ids = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public String apply(String externalId) {
            return ids.computeIfAbsent(externalId, k -> Integer.toString(20_000 + ids.size()));
        }
    };
    private final java.util.concurrent.atomic.AtomicLong eventIds = new java.util.concurrent.atomic.AtomicLong(90_000);
    private final Set<String> events = ConcurrentHashMap.newKeySet();
    private final Set<String> issuedIds = ConcurrentHashMap.newKeySet();
    private final Map<String, Map<String, Object>> managedObjects = new ConcurrentHashMap<>();
    private final Map<String, byte[]> binaries = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong binaryIds = new java.util.concurrent.atomic.AtomicLong(70_000);

    private C8yHttpStandIn(HttpsServer server, ExecutorService executor, LiveTrust trust, String password) {
        this.server = server;
        this.executor = executor;
        this.trust = trust;
        this.password = password;
    }

    /**
     * Starts a stand-in whose server certificate is issued by {@code pki} (so a client trusts it
     * with {@code pki.caPem()}), and that adds uploaded certificates to {@code trust}.
     */
    public static C8yHttpStandIn start(TestPki pki, LiveTrust trust, String password) throws IOException {
        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(TestPki.serverContext(pki.issueServer("localhost"), null)));
        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "c8y-http-stand-in");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        C8yHttpStandIn s = new C8yHttpStandIn(server, executor, trust, password);
        server.createContext("/", s::handle);
        server.start();
        return s;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code 127.0.0.1:<port>}: what {@code c8y.url} (or {@code c8y.http}) is set to. */
    public String hostPort() {
        return "127.0.0.1:" + port();
    }

    public LiveTrust trust() {
        return trust;
    }

    public void setPassword(String password) {
        this.password = password;
    }

    /** Which bearer tokens (a device's JWT) are valid; none by default. */
    public void setTokenCheck(Predicate<String> check) {
        this.tokenCheck = check;
    }

    /** The managed object id of an external id of type c8y_Serial, or null (404); by default every id is known. */
    public void setIdentities(java.util.function.Function<String, String> resolver) {
        this.identities = resolver;
    }

    /** The answer to the next request, whatever it is (it is still recorded). */
    public void respondNext(int status, String jsonBody) {
        forced.add(new Forced(status, jsonBody == null ? "" : jsonBody));
    }

    /** All requests so far, oldest first. */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** The first request (already received or arriving within the timeout) that matches. */
    public Optional<Request> awaitRequest(Predicate<Request> match, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (requests) {
            while (true) {
                for (Request r : requests) {
                    if (match.test(r)) return Optional.of(r);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) return Optional.empty();
                requests.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** The managed object with this id as the device's PUTs left it (empty when none came). */
    public Map<String, Object> managedObject(String id) {
        return Map.copyOf(managedObjects.getOrDefault(id, Map.of()));
    }

    /** The managed object id the identity look-up gives for an external id (null: unknown). */
    public String idOf(String externalId) {
        return identities.apply(externalId);
    }

    /** The content of a binary at this path ({@code /event/events/{id}/binaries} or {@code /inventory/binaries/{id}}), or null. */
    public byte[] binary(String path) {
        return binaries.get(path);
    }

    /** A file the device may download with its JWT; returns its URL {@code https://127.0.0.1:<port>/inventory/binaries/<id>}. */
    public String putBinary(byte[] content) {
        String path = "/inventory/binaries/" + binaryIds.incrementAndGet();
        binaries.put(path, content.clone());
        return "https://" + hostPort() + path;
    }

    /** The certificates uploaded so far, oldest first. */
    public List<Upload> uploads() {
        synchronized (uploads) {
            return List.copyOf(uploads.values());
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------ handling

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body;
            try (InputStream in = ex.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            ex.getRequestHeaders().forEach((k, v) -> headers.put(k, List.copyOf(v)));
            Request req = new Request(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(),
                    Collections.unmodifiableMap(headers), body);
            synchronized (requests) {
                requests.add(req);
                requests.notifyAll();
            }
            Forced f = forced.poll();
            if (f != null) {
                send(ex, f.status(), f.body());
                return;
            }
            answer(ex, req);
        }
    }

    private void answer(HttpExchange ex, Request req) throws IOException {
        if (req.path().startsWith("/identity/externalIds/c8y_Serial/") || req.path().startsWith("/event/events")
                || req.path().startsWith("/inventory/")) {
            deviceApi(ex, req);
            return;
        }
        if (req.path().equals("/tenant/currentTenant")) {
            if (!req.method().equals("GET")) {
                send(ex, 405, error("general/methodNotAllowed", "Method not allowed"));
            } else if (!authorized(req)) {
                send(ex, 401, UNAUTHORIZED);
            } else {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("name", TENANT);
                t.put("domainName", "localhost");
                t.put("self", "https://" + hostPort() + "/tenant/currentTenant");
                send(ex, 200, Json.object(t));
            }
            return;
        }
        Matcher m = TRUSTED.matcher(req.path());
        if (!m.matches()) {
            send(ex, 404, error("general/notFound", "Nothing at " + req.path()));
            return;
        }
        if (!authorized(req)) {
            send(ex, 401, UNAUTHORIZED);
            return;
        }
        if (!m.group(1).equals(TENANT)) {
            send(ex, 404, error("tenant/Not Found", "Tenant with id " + m.group(1) + " not found!"));
            return;
        }
        String fp = m.group(2);
        if (fp == null && req.method().equals("POST")) {
            upload(ex, req);
        } else if (fp == null && req.method().equals("GET")) {
            List<String> all = new ArrayList<>();
            for (Upload u : uploads()) all.add(describe(u));
            send(ex, 200, "{\"certificates\":[" + String.join(",", all) + "]}");
        } else if (fp != null && (req.method().equals("GET") || req.method().equals("DELETE"))) {
            Upload u = uploads.get(fp.toLowerCase());
            if (u == null) {
                send(ex, 404, error("tenant/Not Found", "Certificate with fingerprint " + fp + " not found"));
            } else if (req.method().equals("GET")) {
                send(ex, 200, describe(u));
            } else {
                uploads.remove(u.fingerprint());
                trust.remove(u.cert());
                send(ex, 204, "");
            }
        } else {
            send(ex, 405, error("general/methodNotAllowed", "Method not allowed"));
        }
    }

    private void upload(HttpExchange ex, Request req) throws IOException {
        Map<String, Object> in;
        try {
            in = Json.parseObject(req.body());
        } catch (IllegalArgumentException e) {
            send(ex, 422, error("undefined/validationError", "Invalid JSON: " + e.getMessage()));
            return;
        }
        Object pem = in.get("certInPemFormat");
        if (!(pem instanceof String)) {
            send(ex, 422, error("undefined/validationError", "Following mandatory fields should be included: certInPemFormat"));
            return;
        }
        X509Certificate cert;
        try {
            cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(((String) pem).getBytes(StandardCharsets.US_ASCII)));
        } catch (GeneralSecurityException | ClassCastException e) {
            send(ex, 422, error("undefined/validationError", "Invalid certificate data: cannot parse the certificate"));
            return;
        }
        if (cert.getVersion() != 3) {
            send(ex, 422, error("undefined/validationError", "Invalid certificate data: only X.509 version 3 certificates are accepted"));
            return;
        }
        if (cert.getBasicConstraints() < 0) {
            send(ex, 422, error("undefined/validationError",
                    "Invalid certificate data: the certificate is not a CA certificate (BasicConstraints CA:TRUE is required)"));
            return;
        }
        String fp = fingerprint(cert);
        String status = in.get("status") instanceof String st ? st : "ENABLED";
        boolean auto = Boolean.TRUE.equals(in.get("autoRegistrationEnabled"));
        String name = in.get("name") instanceof String n ? n : cert.getSubjectX500Principal().getName();
        Upload u = new Upload(name, fp, cert, auto, status);
        synchronized (uploads) {
            if (uploads.containsKey(fp)) {
                send(ex, 409, error("tenant/Duplicate", "Duplicate - A certificate with the same fingerprint already exists: " + fp));
                return;
            }
            uploads.put(fp, u);
        }
        if (status.equals("ENABLED")) trust.add(cert);
        send(ex, 201, req.header("Accept") == null ? "" : describe(u));
    }

    private void deviceApi(HttpExchange ex, Request req) throws IOException {
        String h = req.header("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7) || !tokenCheck.test(h.substring(7).trim())) {
            send(ex, 401, UNAUTHORIZED);
            return;
        }
        Matcher bin = BINARY.matcher(req.path());
        if (bin.matches()) {
            binaries(ex, req, bin.group(1));
            return;
        }
        Matcher object = MANAGED_OBJECT.matcher(req.path());
        if (object.matches()) {
            updateManagedObject(ex, req, object.group(1));
            return;
        }
        if (req.path().equals("/event/events")) {
            if (!req.method().equals("POST")) {
                send(ex, 405, error("general/methodNotAllowed", "Method not allowed"));
                return;
            }
            Map<String, Object> event;
            try {
                event = Json.parseObject(req.body());
            } catch (IllegalArgumentException e) {
                send(ex, 422, error("undefined/validationError", "Invalid JSON: " + e.getMessage()));
                return;
            }
            Object source = event.get("source");
            boolean ok = event.get("type") instanceof String && event.get("text") instanceof String && event.get("time") instanceof String
                    && source instanceof Map<?, ?> m && m.get("id") instanceof String;
            if (!ok) {
                send(ex, 422, error("undefined/validationError", "Following mandatory fields should be included: type, text, time, source.id"));
                return;
            }
            Map<String, Object> created = new LinkedHashMap<>(event);
            String id = Long.toString(eventIds.incrementAndGet());
            created.put("id", id);
            created.put("self", "https://" + hostPort() + "/event/events/" + id);
            events.add(id);
            send(ex, 201, Json.write(created));
            return;
        }
        if (!req.path().startsWith("/identity/externalIds/c8y_Serial/")) {
            send(ex, 404, error("general/notFound", "Nothing at " + req.path()));
            return;
        }
        String externalId = java.net.URLDecoder.decode(req.path().substring("/identity/externalIds/c8y_Serial/".length()), StandardCharsets.UTF_8);
        String id = req.method().equals("GET") ? identities.apply(externalId) : null;
        if (!req.method().equals("GET")) {
            send(ex, 405, error("general/methodNotAllowed", "Method not allowed"));
        } else if (id == null) {
            send(ex, 404, error("identity/Not Found", "External id not found; external id = ID [type=c8y_Serial, value=" + externalId + "]"));
        } else {
            issuedIds.add(id);
            Map<String, Object> mo = new LinkedHashMap<>();
            mo.put("id", id);
            mo.put("self", "https://" + hostPort() + "/inventory/managedObjects/" + id);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("externalId", externalId);
            out.put("type", "c8y_Serial");
            out.put("managedObject", mo);
            send(ex, 200, Json.write(out));
        }
    }

    private void updateManagedObject(HttpExchange ex, Request req, String id) throws IOException {
        if (!req.method().equals("PUT")) {
            send(ex, 405, error("general/methodNotAllowed", "Method not allowed"));
            return;
        }
        if (!issuedIds.contains(id)) {
            send(ex, 404, error("inventory/Not Found", "Finding device data from database failed : No managedObject for id '" + id + "'!"));
            return;
        }
        Map<String, Object> update;
        try {
            update = Json.parseObject(req.body());
        } catch (IllegalArgumentException e) {
            send(ex, 422, error("undefined/validationError", "Invalid JSON: " + e.getMessage()));
            return;
        }
        Map<String, Object> merged = managedObjects.compute(id, (k, before) -> {
            Map<String, Object> m = before == null ? new LinkedHashMap<>() : new LinkedHashMap<>(before);
            m.putAll(update);
            m.put("id", id);
            return m;
        });
        send(ex, 200, Json.write(merged));
    }

    private void binaries(HttpExchange ex, Request req, String eventId) throws IOException {
        if (eventId != null && !events.contains(eventId)) {
            send(ex, 404, error("event/Not Found", "Finding event data from database failed : No event for id '" + eventId + "'!"));
            return;
        }
        if (req.method().equals("POST") && eventId != null) {
            if (binaries.containsKey(req.path())) {
                send(ex, 409, error("binaries/Duplicate", "The event " + eventId + " already has a binary"));
                return;
            }
            binaries.put(req.path(), req.body().getBytes(StandardCharsets.UTF_8));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("self", "https://" + hostPort() + req.path());
            out.put("source", eventId);
            out.put("type", req.header("Content-Type"));
            send(ex, 201, Json.write(out));
        } else if (req.method().equals("GET")) {
            byte[] b = binaries.get(req.path());
            if (b == null) {
                send(ex, 404, error("binaries/Not Found", "No binary at " + req.path()));
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
            ex.sendResponseHeaders(200, b.length == 0 ? -1 : b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        } else {
            send(ex, 405, error("general/methodNotAllowed", "Method not allowed"));
        }
    }

    private String describe(Upload u) {
        X509Certificate c = u.cert();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", u.name());
        out.put("certInPemFormat", TestPki.pem(c));
        out.put("autoRegistrationEnabled", u.autoRegistrationEnabled());
        out.put("status", u.status());
        out.put("fingerprint", u.fingerprint());
        out.put("subject", c.getSubjectX500Principal().getName());
        out.put("issuer", c.getIssuerX500Principal().getName());
        out.put("notBefore", c.getNotBefore().toInstant().toString());
        out.put("notAfter", c.getNotAfter().toInstant().toString());
        out.put("serialNumber", c.getSerialNumber().toString(16));
        out.put("algorithmName", c.getSigAlgName());
        out.put("version", c.getVersion());
        out.put("self", "https://" + hostPort() + "/tenant/tenants/" + TENANT + "/trusted-certificates/" + u.fingerprint());
        return Json.object(out);
    }

    /** Lower-case hex SHA-1 of the DER: the stand-in's fingerprint. */
    public static String fingerprint(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private boolean authorized(Request req) {
        String h = req.header("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Basic ", 0, 6)) return false;
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(h.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) return false;
        String user = decoded.substring(0, colon);
        return (user.equals(USER) || user.equals(TENANT + "/" + USER)) && decoded.substring(colon + 1).equals(password);
    }

    private static String error(String type, String message) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("error", type);
        e.put("message", message);
        return Json.object(e);
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0) ex.getResponseHeaders().set("Content-Type", "application/json");
        boolean noBody = bytes.length == 0 || status == 204 || ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, noBody ? -1 : bytes.length);
        if (!noBody) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
