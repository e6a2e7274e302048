package io.tedge.testkit;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stand-in for Cumulocity's core MQTT endpoint (8883 role), for what thin-edge.io uses, on
 * mosquitto, 127.0.0.1 and an ephemeral port (PROTOCOLS.md §1, §3, §6.1 C; see
 * {@link CloudMqttStandIn} for how it is built and what that costs).
 *
 * <p>Connect: a client certificate chain that the {@link LiveTrust} trusts, else the TLS
 * handshake fails (mosquitto: {@code require_certificate}, {@code capath}; a client without a
 * certificate, or not speaking TLS, fails too). Then, checked from mosquitto's log and enforced by
 * closing the connection right after its CONNACK 0: the client id is {@code [d:]id[:template]}
 * (else refused with code 2) and the id part is the certificate's CN (else 5; mosquitto's
 * {@code use_identity_as_username} tells the CN). The same device id connecting again under
 * another client id form closes the older connection; under the same client id mosquitto does.
 *
 * <p>Uplink, per connection (the device is the client's id):
 * <ul>
 * <li>{@code s/us}, {@code t/us}, {@code q/us}, {@code c/us} and {@code .../us/<child>}: SmartREST
 * CSV, one or more lines, quoting as Cumulocity's ({@code "..."}, inner {@code \"} or
 * {@code ""}); each line is in {@link #smartRestLines()}. Any line creates the device (or the
 * first-level child) when unknown. {@code 100} for an existing device answers
 * {@code 41,100,Device already existing} on {@code s/e}; {@code 101,<child>,...} registers a
 * child; {@code 105} answers {@code 106,<children>} and {@code 123} answers {@code 124,<id>} on
 * {@code s/ds}; {@code 200}, {@code 201}, {@code 210}, {@code 211}, {@code 212} become
 * measurements in Cumulocity's JSON shape (e.g. {@code 211,20}: fragment
 * {@code c8y_TemperatureMeasurement}, series {@code T}, value 20, unit C), a bad value answers
 * {@code 45,<id>,...} on {@code s/e}; a line that is not valid CSV answers {@code 42,...}.</li>
 * <li>{@code s/uat} → {@code 71,<jwt>} on {@code s/dat} to that client: a real HS256 token
 * ({@link #jwtClaims} checks it) with {@code iss}, {@code aud}, {@code sub=device_<id>},
 * {@code ten=t12345}, {@code iat}, {@code nbf}, {@code exp}, {@code tci}, {@code xsrfToken}.</li>
 * <li>{@code s/ut/<X-ID>}: empty → {@code 20,<X-ID>,<id>} or {@code 41,<X-ID>} on {@code s/dt};
 * otherwise the template collection is created.</li>
 * <li>JSON via MQTT ({@code [t|q|c/]measurement/measurements/create|createBulk},
 * {@code event/events/...}, {@code alarm/alarms/...}, {@code inventory/managedObjects/...}):
 * parsed and kept ({@link #jsonMessages()}, {@link #measurements()}); creates need their
 * mandatory fields (measurement: type, time; event: type, text, time; alarm: type, text,
 * severity, time). Invalid → {@code {"error":...,"message":...,"messageId":<packet id>}} on
 * {@code error} to that client.</li>
 * <li>A packet of more than 16184 bytes (fixed header included) closes the connection
 * (mosquitto's {@code max_packet_size}; {@link #oversizeClosures()}). The retain flag is
 * recorded and then dropped: the stand-in clears what mosquitto retained. A last will is
 * processed as if the device had published it.</li>
 * </ul>
 * A device may publish on any topic (all are recorded) and receive only on {@link #DOWNLINK}.
 * Replies go to the device that asked, and only if it is subscribed to the reply topic; on a
 * stand-in with several devices, every one subscribed to that topic gets them (the topics carry no
 * device id). Cumulocity's "strict" SUBACK 0x80 before a device exists cannot be made with
 * mosquitto, whose default ACL grants every subscription.
 */
public final class C8yMqttStandIn extends CloudMqttStandIn {
    /** Cumulocity's limit on a whole MQTT packet. */
    public static final int MAX_PACKET_SIZE = 16184;
    public static final String TENANT = C8yHttpStandIn.TENANT;
    /** The topics a device may receive on (mosquitto's ACL). */
    public static final List<String> DOWNLINK = List.of("s/ds", "s/ds/#", "s/dat", "s/e", "s/dt", "s/dc/#", "devicecontrol/notifications", "error");

    /**
     * One SmartREST line from a device; {@code child} is set for {@code s/us/<child>} topics;
     * {@code qos} and {@code retain} are those of the PUBLISH that carried it.
     */
    public record SmartRestLine(String device, String child, String topic, String line, int qos, boolean retain) {
        /** The device or child the line is about. */
        public String source() {
            return child == null ? device : child;
        }

        public List<String> fields() {
            return csv(line).get(0).fields();
        }
    }

    /**
     * One JSON object the cloud recorded: from a JSON-via-MQTT topic, or (for measurements) made
     * from a SmartREST 2xx line. {@code source} is the device, or the child of a child topic;
     * {@code qos} and {@code retain} are those of the PUBLISH that carried it.
     */
    public record JsonMessage(String source, String topic, Map<String, Object> json, int qos, boolean retain) {
    }

    private static final Pattern SMARTREST = Pattern.compile("[stqc]/us(?:/(.+))?");
    private static final Pattern TEMPLATE = Pattern.compile("s/ut/(.+)");
    private static final Pattern JSON_TOPIC = Pattern.compile(
            "(?:[tqc]/)?(measurement/measurements|event/events|alarm/alarms|inventory/managedObjects)/(.+)");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] jwtKey = new byte[32];
    private volatile String jwtIssuer = "127.0.0.1";
    private volatile Duration jwtLifetime = Duration.ofHours(1);

    // guarded by lock
    private final List<SmartRestLine> lines = new ArrayList<>();
    private final List<JsonMessage> json = new ArrayList<>();
    private final List<JsonMessage> measurements = new ArrayList<>();
    private final Set<String> devices = new LinkedHashSet<>();
    private final Map<String, Set<String>> children = new HashMap<>();
    private final Map<String, Integer> managedObjectIds = new HashMap<>();
    private final Map<String, Integer> templates = new HashMap<>();

    private C8yMqttStandIn(TestPki pki, LiveTrust trust) throws IOException {
        super("c8y-mqtt-stand-in", pki, trust);
        RANDOM.nextBytes(jwtKey);
    }

    /**
     * Starts a stand-in whose server certificate is issued by {@code pki} (clients trust
     * {@code pki.caPem()}), trusting the client certificates of {@code trust}: share it with a
     * {@link C8yHttpStandIn} so that an uploaded certificate is trusted at once.
     */
    public static C8yMqttStandIn start(TestPki pki, LiveTrust trust) throws IOException {
        C8yMqttStandIn s = new C8yMqttStandIn(pki, trust);
        s.listen();
        return s;
    }

    // ------------------------------------------------------------------ test API

    /** The {@code iss} claim of the tokens (default {@code 127.0.0.1}: the host of {@link #hostPort()}). */
    public void setJwtIssuer(String issuer) {
        this.jwtIssuer = issuer;
    }

    public void setJwtLifetime(Duration lifetime) {
        this.jwtLifetime = lifetime;
    }

    /** The HS256 key of the tokens. */
    public byte[] jwtKey() {
        return jwtKey.clone();
    }

    /** Makes a device exist (as if it had sent {@code 100}). */
    public void addDevice(String deviceId) {
        synchronized (lock) {
            devices.add(deviceId);
            lock.notifyAll();
        }
    }

    /** Devices that exist (created by {@code 100}, by another SmartREST line, or {@link #addDevice}). */
    public List<String> devices() {
        synchronized (lock) {
            return List.copyOf(devices);
        }
    }

    /** Children registered under a device (or under a child). */
    public List<String> children(String parent) {
        synchronized (lock) {
            return List.copyOf(children.getOrDefault(parent, Set.of()));
        }
    }

    /** Every SmartREST line received, oldest first. */
    public List<SmartRestLine> smartRestLines() {
        synchronized (lock) {
            return List.copyOf(lines);
        }
    }

    /** The SmartREST lines received after the first {@code from}, oldest first (a poller's cheap read). */
    public List<SmartRestLine> smartRestLines(int from) {
        synchronized (lock) {
            return from >= lines.size() ? List.of() : List.copyOf(lines.subList(from, lines.size()));
        }
    }

    /**
     * The SmartREST lines received after the first {@code from}, waiting up to {@code wait} for
     * at least one when there is none yet (empty when none came).
     */
    public List<SmartRestLine> smartRestLines(int from, java.time.Duration wait) throws InterruptedException {
        long end = System.nanoTime() + wait.toNanos();
        synchronized (lock) {
            long left;
            while (lines.size() <= from && (left = end - System.nanoTime()) > 0) {
                java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(lock, left);
            }
            return from >= lines.size() ? List.of() : List.copyOf(lines.subList(from, lines.size()));
        }
    }

    /** Every valid JSON object received on a JSON-via-MQTT topic, oldest first. */
    public List<JsonMessage> jsonMessages() {
        synchronized (lock) {
            return List.copyOf(json);
        }
    }

    /** Measurements: from {@code measurement/measurements/create(Bulk)} and from SmartREST 2xx lines. */
    public List<JsonMessage> measurements() {
        synchronized (lock) {
            return List.copyOf(measurements);
        }
    }

    /** Connections closed because a packet was over {@value #MAX_PACKET_SIZE} bytes. */
    public List<Closure> oversizeClosures() {
        return closures().stream().filter(c -> c.reason().startsWith("oversize")).toList();
    }

    public SmartRestLine awaitSmartRest(Predicate<SmartRestLine> match, Duration timeout) {
        return await("a SmartREST line that matches", timeout, () -> first(lines, match), () -> "lines: " + lines);
    }

    /** The first SmartREST line equal to {@code line} (from any device). */
    public SmartRestLine awaitSmartRest(String line, Duration timeout) {
        return awaitSmartRest(l -> l.line().equals(line), timeout);
    }

    public JsonMessage awaitMeasurement(Predicate<JsonMessage> match, Duration timeout) {
        return await("a measurement that matches", timeout, () -> first(measurements, match), () -> "measurements: " + measurements);
    }

    public JsonMessage awaitJson(Predicate<JsonMessage> match, Duration timeout) {
        return await("a JSON message that matches", timeout, () -> first(json, match), () -> "JSON messages: " + json);
    }

    /**
     * Sends an operation line on {@code s/ds} to the device (for a child, to its parent device,
     * the child id in field 1). Kept until the device subscribes when it is not subscribed yet;
     * returns whether it went out at once.
     */
    public boolean sendOperation(String deviceId, String csvLine) {
        return send(deviceId, "s/ds", csvLine);
    }

    /** Sends a JSON operation on {@code devicecontrol/notifications} to the device (kept as operations are). */
    public boolean sendJsonNotification(String deviceId, String json) {
        return send(deviceId, "devicecontrol/notifications", json);
    }

    /** Sends anything on any topic to the device (kept until it subscribes). */
    public boolean send(String deviceId, String topic, String payload) {
        return sendToDevice(deviceId, topic, payload.getBytes(StandardCharsets.UTF_8), 1);
    }

    /**
     * The claims of a token of this stand-in, after checking its HS256 signature; throws
     * IllegalArgumentException when it is not one of ours.
     */
    public Map<String, Object> jwtClaims(String token) {
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3) throw new IllegalArgumentException("not a JWT: " + token);
        String expected = base64url(hmac(parts[0] + "." + parts[1]));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), parts[2].getBytes(StandardCharsets.US_ASCII))) {
            throw new IllegalArgumentException("bad JWT signature");
        }
        Map<String, Object> header = Json.parseObject(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8));
        if (!"HS256".equals(header.get("alg"))) throw new IllegalArgumentException("not HS256: " + header);
        return Json.parseObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ connect

    @Override
    protected String deviceIdOf(String clientId) {
        String[] parts = clientId.split(":", -1);
        return parts.length == 1 ? parts[0] : parts[1];
    }

    @Override
    protected Decision authorize(ConnectInfo c) {
        String cid = c.clientId();
        String[] parts = cid.split(":", -1);
        if (cid.isEmpty() || parts.length > 3 || (parts.length > 1 && !parts[0].equals("d")) || deviceIdOf(cid).isEmpty()) {
            return Decision.refuse(2, "client id '" + cid + "' is not of the form [d:]id[:template]");
        }
        String id = deviceIdOf(cid);
        if (c.protocolLevel() == 3 && cid.length() >= 24) {
            return Decision.refuse(5, "MQTT 3.1 client id of 24 characters or more");
        }
        String cn = c.certificateCn();
        if (!id.equals(cn)) return Decision.refuse(5, "certificate CN '" + cn + "' is not the device id '" + id + "'");
        return Decision.accept(id);
    }

    @Override
    protected boolean usernameIsCertificateCn() {
        return true;
    }

    @Override
    protected List<String> brokerSettings() {
        // mosquitto 2.0.11 compares the remaining length + 1 (not the length's own 2 bytes) with it
        return List.of("max_packet_size " + (MAX_PACKET_SIZE - 2));
    }

    @Override
    protected List<Acl> deviceAcl() {
        List<Acl> acl = new ArrayList<>();
        acl.add(Acl.write("#"));
        for (String t : DOWNLINK) acl.add(Acl.read(t));
        return acl;
    }

    @Override
    protected void accepted(Conn conn) {
        // the device id is unique: another client id form of it (dev, d:dev) is closed
        for (String other : connectedClientIds(conn.deviceId)) {
            if (!other.equals(conn.clientId())) disconnectClient(other);
        }
    }

    // ------------------------------------------------------------------ uplink

    @Override
    protected void onPublish(Conn conn, Received p, int packetId) {
        String topic = p.topic();
        String text = p.text();
        if (topic.equals("s/uat")) {
            reply(conn, "s/dat", "71," + jwt(conn.deviceId), 1);
            return;
        }
        Matcher m = SMARTREST.matcher(topic);
        if (m.matches()) {
            smartRest(conn, p, m.group(1), text);
            return;
        }
        m = TEMPLATE.matcher(topic);
        if (m.matches()) {
            template(conn, m.group(1), text);
            return;
        }
        m = JSON_TOPIC.matcher(topic);
        if (m.matches()) json(conn, p, packetId, m.group(1), m.group(2), text);
        // anything else: only recorded
    }

    private void smartRest(Conn conn, Received p, String child, String text) {
        String topic = p.topic();
        List<CsvRecord> records;
        try {
            records = csv(text);
        } catch (IllegalArgumentException e) {
            reply(conn, "s/e", "42," + csvField(text.strip()) + ",Malformed request: " + e.getMessage(), 0);
            return;
        }
        String device = conn.deviceId;
        String source = child == null ? device : child;
        for (CsvRecord r : records) {
            List<String> f = r.fields();
            if (f.size() == 1 && f.get(0).isBlank()) continue;
            String id = f.get(0).strip();
            boolean existed;
            synchronized (lock) {
                lines.add(new SmartRestLine(device, child, topic, r.text(), p.qos(), p.retain()));
                existed = child == null ? devices.contains(device) : children.getOrDefault(device, Set.of()).contains(child);
                devices.add(device);
                if (child != null) children.computeIfAbsent(device, k -> new LinkedHashSet<>()).add(child);
                lock.notifyAll();
            }
            switch (id) {
                case "100" -> {
                    if (existed) reply(conn, "s/e", "41,100," + (child == null ? "Device already existing" : "Child device already existing"), 0);
                }
                case "101" -> {
                    if (f.size() < 2 || f.get(1).isEmpty()) {
                        reply(conn, "s/e", "45,101,Wrong number of arguments", 0);
                    } else {
                        synchronized (lock) {
                            children.computeIfAbsent(source, k -> new LinkedHashSet<>()).add(f.get(1));
                            lock.notifyAll();
                        }
                    }
                }
                case "105" -> reply(conn, "s/ds", csvLine("106", children(source).toArray(new String[0])), 1);
                case "123" -> reply(conn, "s/ds", "124," + managedObjectId(source), 1);
                case "200", "201", "210", "211", "212" -> {
                    try {
                        Map<String, Object> mo = measurement(f);
                        synchronized (lock) {
                            measurements.add(new JsonMessage(source, topic, mo, p.qos(), p.retain()));
                            lock.notifyAll();
                        }
                    } catch (IllegalArgumentException e) {
                        reply(conn, "s/e", "45," + id + "," + csvField(e.getMessage()), 0);
                    }
                }
                default -> {
                    // recorded only
                }
            }
        }
    }

    private int managedObjectId(String source) {
        synchronized (lock) {
            return managedObjectIds.computeIfAbsent(source, k -> 10_000 + managedObjectIds.size());
        }
    }

    private void template(Conn conn, String xid, String text) {
        if (text.isEmpty()) {
            Integer id;
            synchronized (lock) {
                id = templates.get(xid);
            }
            reply(conn, "s/dt", id == null ? "41," + xid : "20," + xid + "," + id, 1);
        } else {
            synchronized (lock) {
                templates.putIfAbsent(xid, 20_000 + templates.size());
            }
        }
    }

    /** A SmartREST measurement line as Cumulocity's measurement JSON. */
    static Map<String, Object> measurement(List<String> f) {
        String id = f.get(0).strip();
        Map<String, Object> m = new LinkedHashMap<>();
        switch (id) {
            case "200" -> {
                need(f, 4);
                m.put("type", f.get(1));
                m.put("time", time(f, 5));
                m.put(f.get(1), Map.of(f.get(2), series(f.get(3), arg(f, 4))));
            }
            case "201" -> {
                need(f, 6);
                m.put("type", f.get(1));
                m.put("time", time(f, 2));
                for (int i = 3; i + 2 < f.size(); i += 4) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> frag = (Map<String, Object>) m.computeIfAbsent(f.get(i), k -> new LinkedHashMap<String, Object>());
                    frag.put(f.get(i + 1), series(f.get(i + 2), arg(f, i + 3)));
                }
            }
            case "210" -> {
                if (arg(f, 1) == null && arg(f, 2) == null) throw new IllegalArgumentException("Wrong number of arguments");
                m.put("type", "c8y_SignalStrength");
                m.put("time", time(f, 3));
                Map<String, Object> frag = new LinkedHashMap<>();
                if (arg(f, 1) != null) frag.put("rssi", series(f.get(1), "dBm"));
                if (arg(f, 2) != null) frag.put("ber", series(f.get(2), "%"));
                m.put("c8y_SignalStrength", frag);
            }
            case "211" -> {
                need(f, 2);
                m.put("type", "c8y_TemperatureMeasurement");
                m.put("time", time(f, 2));
                m.put("c8y_TemperatureMeasurement", Map.of("T", series(f.get(1), "C")));
            }
            case "212" -> {
                need(f, 2);
                m.put("type", "c8y_Battery");
                m.put("time", time(f, 2));
                m.put("c8y_Battery", Map.of("level", series(f.get(1), "%")));
            }
            default -> throw new IllegalArgumentException("not a measurement template: " + id);
        }
        return m;
    }

    private static void need(List<String> f, int n) {
        if (f.size() < n) throw new IllegalArgumentException("Wrong number of arguments");
        for (int i = 1; i < n; i++) {
            if (f.get(i).isEmpty()) throw new IllegalArgumentException("Wrong number of arguments");
        }
    }

    private static String arg(List<String> f, int i) {
        return i < f.size() && !f.get(i).isEmpty() ? f.get(i) : null;
    }

    private static String time(List<String> f, int i) {
        String t = arg(f, i);
        return t != null ? t : OffsetDateTime.now(ZoneOffset.UTC).toString();
    }

    private static Map<String, Object> series(String value, String unit) {
        Map<String, Object> s = new LinkedHashMap<>();
        try {
            s.put("value", new BigDecimal(value.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Value is not a number: " + value);
        }
        if (unit != null) s.put("unit", unit);
        return s;
    }

    private void json(Conn conn, Received p, int packetId, String api, String action, String text) {
        String problem = null;
        List<Map<String, Object>> objects = new ArrayList<>();
        if (action.startsWith("delete") && text.isBlank()) {
            objects.add(Map.of());
        } else {
            try {
                Map<String, Object> o = Json.parseObject(text);
                if (action.equals("createBulk")) {
                    String key = api.substring(api.indexOf('/') + 1);
                    if (!(o.get(key) instanceof List<?> list)) {
                        problem = "Following mandatory fields should be included: " + key;
                    } else {
                        for (Object e : list) {
                            if (!(e instanceof Map)) {
                                problem = "Every element of " + key + " must be an object";
                                break;
                            }
                            @SuppressWarnings("unchecked")
                            Map<String, Object> em = (Map<String, Object>) e;
                            objects.add(em);
                        }
                    }
                } else {
                    objects.add(o);
                }
            } catch (IllegalArgumentException e) {
                problem = "Invalid JSON: " + e.getMessage();
            }
        }
        if (problem == null && action.startsWith("create")) {
            List<String> mandatory = switch (api) {
                case "measurement/measurements" -> List.of("type", "time");
                case "event/events" -> List.of("type", "text", "time");
                case "alarm/alarms" -> List.of("type", "text", "severity", "time");
                default -> List.of();
            };
            for (Map<String, Object> o : objects) {
                List<String> missing = mandatory.stream().filter(k -> !o.containsKey(k)).toList();
                if (!missing.isEmpty()) {
                    problem = "Following mandatory fields should be included: " + String.join(",", missing);
                    break;
                }
            }
        }
        if (problem != null) {
            Map<String, Object> err = new LinkedHashMap<>();
            err.put("error", "undefined/validationError");
            err.put("message", problem);
            err.put("messageId", packetId);
            reply(conn, "error", Json.object(err), 1);
            return;
        }
        synchronized (lock) {
            if (action.equals("createBulk")) {
                for (Map<String, Object> o : objects) json.add(new JsonMessage(conn.deviceId, p.topic(), o, p.qos(), p.retain()));
            } else {
                json.add(new JsonMessage(conn.deviceId, p.topic(), objects.get(0), p.qos(), p.retain()));
            }
            if (api.equals("measurement/measurements") && action.startsWith("create")) {
                for (Map<String, Object> o : objects) measurements.add(new JsonMessage(conn.deviceId, p.topic(), o, p.qos(), p.retain()));
            }
            lock.notifyAll();
        }
    }

    // ------------------------------------------------------------------ JWT

    private String jwt(String deviceId) {
        long now = Instant.now().getEpochSecond();
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "HS256");
        header.put("typ", "JWT");
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("jti", UUID.randomUUID().toString());
        claims.put("iss", jwtIssuer);
        claims.put("aud", jwtIssuer);
        claims.put("sub", "device_" + deviceId);
        claims.put("tci", UUID.randomUUID().toString());
        claims.put("iat", now);
        claims.put("nbf", now);
        claims.put("exp", now + jwtLifetime.toSeconds());
        claims.put("tfa", false);
        claims.put("ten", TENANT);
        claims.put("xsrfToken", UUID.randomUUID().toString());
        String signed = base64url(Json.object(header).getBytes(StandardCharsets.UTF_8)) + "."
                + base64url(Json.object(claims).getBytes(StandardCharsets.UTF_8));
        return signed + "." + base64url(hmac(signed));
    }

    private byte[] hmac(String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(jwtKey, "HmacSHA256"));
            return mac.doFinal(data.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base64url(byte[] b) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    // ------------------------------------------------------------------ CSV (Cumulocity's rules)

    /** One CSV record: its fields and its text as sent. */
    record CsvRecord(String text, List<String> fields) {
    }

    /**
     * Splits SmartREST text into records (lines end with LF or CRLF; a quoted value may span
     * lines). A value in double quotes may contain commas and line breaks; a quote inside is
     * {@code \"} or {@code ""}.
     */
    static List<CsvRecord> csv(String text) {
        List<CsvRecord> out = new ArrayList<>();
        int n = text.length();
        int i = 0;
        while (i < n) {
            int start = i;
            List<String> fields = new ArrayList<>();
            StringBuilder cur = new StringBuilder();
            boolean fieldStart = true;
            while (i < n && !lineEnd(text, i)) {
                char c = text.charAt(i);
                if (c == '"' && fieldStart) {
                    i++;
                    while (true) {
                        if (i >= n) throw new IllegalArgumentException("unterminated quoted value");
                        char q = text.charAt(i);
                        if ((q == '\\' || q == '"') && i + 1 < n && text.charAt(i + 1) == '"') {
                            cur.append('"');
                            i += 2;
                        } else if (q == '"') {
                            i++;
                            break;
                        } else {
                            cur.append(q);
                            i++;
                        }
                    }
                    if (i < n && text.charAt(i) != ',' && !lineEnd(text, i)) {
                        throw new IllegalArgumentException("characters after a quoted value");
                    }
                    fieldStart = false;
                } else if (c == ',') {
                    fields.add(cur.toString());
                    cur.setLength(0);
                    fieldStart = true;
                    i++;
                } else {
                    cur.append(c);
                    fieldStart = false;
                    i++;
                }
            }
            fields.add(cur.toString());
            String raw = text.substring(start, i);
            if (i < n && text.charAt(i) == '\r') i++;
            if (i < n && text.charAt(i) == '\n') i++;
            if (!raw.isBlank()) out.add(new CsvRecord(raw, List.copyOf(fields)));
        }
        return out;
    }

    private static boolean lineEnd(String text, int i) {
        char c = text.charAt(i);
        return c == '\n' || (c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) == '\n'));
    }

    /** A CSV value quoted as Cumulocity wants when it needs to be. */
    static String csvField(String v) {
        boolean quote = v.isEmpty() ? false
                : v.indexOf('"') >= 0 || v.indexOf(',') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0 || v.indexOf('\t') >= 0
                        || Character.isWhitespace(v.charAt(0)) || Character.isWhitespace(v.charAt(v.length() - 1));
        return quote ? "\"" + v.replace("\"", "\\\"") + "\"" : v;
    }

    static String csvLine(String id, String... values) {
        StringBuilder sb = new StringBuilder(id);
        for (String v : values) sb.append(',').append(csvField(v));
        return sb.toString();
    }
}
