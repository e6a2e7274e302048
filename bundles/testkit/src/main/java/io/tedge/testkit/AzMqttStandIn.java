package io.tedge.testkit;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for Azure IoT Hub's device MQTT endpoint, on mosquitto, 127.0.0.1 and an ephemeral
 * port (PROTOCOLS.md §4, §6.1 C; see {@link CloudMqttStandIn} for how it is built and what that
 * costs).
 *
 * <p>Connect: the TLS handshake needs a client certificate that is registered
 * ({@link #registerDevice(String, X509Certificate)}: a self-signed device, known by its
 * thumbprint) or that chains to a CA of the {@link LiveTrust} (a CA-signed device,
 * {@link #registerDevice(String)}); else it fails. Then, checked from mosquitto's log and enforced
 * by closing the connection right after its CONNACK 0: MQTT 3.1.1 (else code 1); the user name
 * {@code <host>/<clientId>/?api-version=<v>} (any host unless {@link #setHostname} is set; else
 * {@value #BAD_USERNAME}: the hub's own code is not documented); the client id a registered device
 * (else 5). mosquitto does not tell which certificate a connection presented, so a registered
 * certificate is accepted for any registered device id. A second connection of a device closes
 * the first (mosquitto).
 *
 * <p>Uplink:
 * <ul>
 * <li>PUBLISH with QoS 2 → mosquitto closes the connection ({@code max_qos 1};
 * {@link #qos2Violations()}). A message over 256 KB ({@code message_size_limit}), a publish to a
 * topic the hub does not have, or to another device's telemetry topic (the ACL) is acknowledged
 * by mosquitto and dropped, and the stand-in closes the connection.</li>
 * <li>{@code devices/<id>/messages/events/[<property bag>]}: telemetry
 * ({@link #telemetry()}: topic, URL-decoded property bag, body); a retained publish gets the
 * property {@code mqtt-retain=true}.</li>
 * <li>{@code $iothub/twin/GET/?$rid=r} → {@code $iothub/twin/res/200/?$rid=r} with
 * {@code {"desired":{...,"$version":n},"reported":{...,"$version":m}}} (both start at 1).</li>
 * <li>{@code $iothub/twin/PATCH/properties/reported/?$rid=r} with a JSON object → merged
 * ({@code null} deletes a member), {@code $iothub/twin/res/204/?$rid=r&$version=m+1}; not a JSON
 * object → {@code res/400}.</li>
 * <li>{@code $iothub/methods/res/<status>/?$rid=r}: the answer to {@link #invokeMethod}.</li>
 * </ul>
 * A device receives only on {@code devices/<id>/messages/devicebound/#},
 * {@code $iothub/twin/res/#}, {@code $iothub/methods/POST/#} and
 * {@code $iothub/twin/PATCH/properties/desired/#} (mosquitto grants any subscription, QoS 2 as
 * 1, but its ACL delivers nothing else). Replies on {@code $iothub/...} go to every device of the
 * stand-in subscribed to them: use one stand-in per device for twins and methods.
 */
public final class AzMqttStandIn extends CloudMqttStandIn {
    /** CONNACK code for a username that is not {@code <host>/<clientId>/?api-version=...}. */
    public static final int BAD_USERNAME = 4;
    /** The hub's limit on a device-to-cloud message. */
    public static final int MAX_MESSAGE_SIZE = 256 * 1024;

    /**
     * One device-to-cloud message. {@code properties}: the URL-decoded property bag, in order;
     * {@code qos}: as the device sent it (IoT Hub takes 0 and 1).
     */
    public record Telemetry(String deviceId, String topic, Map<String, String> properties, byte[] body, int qos) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return topic + " " + properties + " '" + text() + "'";
        }
    }

    /** A device's answer to a direct method. */
    public record MethodResponse(String deviceId, String rid, int status, String body) {
    }

    private static final Pattern TELEMETRY = Pattern.compile("devices/([^/]+)(?:/modules/([^/]+))?/messages/events/(.*)");
    private static final Pattern TWIN_GET = Pattern.compile("\\$iothub/twin/GET/\\?(.*)");
    private static final Pattern TWIN_PATCH = Pattern.compile("\\$iothub/twin/PATCH/properties/reported/\\?(.*)");
    private static final Pattern METHOD_RES = Pattern.compile("\\$iothub/methods/res/(\\d+)/\\?(.*)");

    private volatile String hostname;
    private final AtomicLong rids = new AtomicLong(1);

    private final List<Telemetry> telemetry = new ArrayList<>();
    private final List<MethodResponse> methodResponses = new ArrayList<>();
    private final Map<String, Twin> twins = new HashMap<>();

    private static final class Twin {
        final Map<String, Object> desired = new LinkedHashMap<>();
        final Map<String, Object> reported = new LinkedHashMap<>();
        long desiredVersion = 1;
        long reportedVersion = 1;
    }

    private AzMqttStandIn(TestPki pki, LiveTrust trust) throws IOException {
        super("az-mqtt-stand-in", pki, trust);
    }

    /**
     * Starts a stand-in whose server certificate is issued by {@code pki}; devices are registered
     * with their certificate, or trusted through a CA of {@code trust}.
     */
    public static AzMqttStandIn start(TestPki pki, LiveTrust trust) throws IOException {
        AzMqttStandIn s = new AzMqttStandIn(pki, trust);
        s.listen();
        return s;
    }

    // ------------------------------------------------------------------ test API

    /** The host the username must start with; null (the default): any host. */
    public void setHostname(String hostname) {
        this.hostname = hostname;
    }

    /**
     * Registers a self-signed device with its certificate (the hub keeps its {@link #thumbprint});
     * the certificate is trusted from the next TLS handshake on.
     */
    public void registerDevice(String deviceId, X509Certificate certificate) {
        register(deviceId, java.util.Objects.requireNonNull(certificate, "certificate"));
    }

    /** Registers a CA-signed device: its certificate must chain to a CA of the {@link LiveTrust}. */
    public void registerDevice(String deviceId) {
        register(deviceId, null);
    }

    /**
     * Removes a device from the registry. A certificate no longer trusted makes mosquitto restart
     * (every device reconnects).
     */
    public void unregisterDevice(String deviceId) {
        unregister(deviceId);
    }

    /** Upper-case hex SHA-1 of the certificate's DER: the hub's (and {@code tedge cert show}'s) thumbprint. */
    public static String thumbprint(X509Certificate cert) {
        return digest("SHA-1", cert);
    }

    /** Upper-case hex SHA-256 of the certificate's DER. */
    public static String thumbprintSha256(X509Certificate cert) {
        return digest("SHA-256", cert);
    }

    private static String digest(String alg, X509Certificate cert) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance(alg).digest(cert.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** All device-to-cloud messages, oldest first. */
    public List<Telemetry> telemetry() {
        synchronized (lock) {
            return List.copyOf(telemetry);
        }
    }

    public Telemetry awaitTelemetry(Predicate<Telemetry> match, Duration timeout) {
        return await("telemetry that matches", timeout, () -> first(telemetry, match), () -> "telemetry: " + telemetry);
    }

    /** Connections closed because the device published with QoS 2. */
    public List<Closure> qos2Violations() {
        return closures().stream().filter(c -> c.reason().startsWith("QoS 2")).toList();
    }

    /** The device's reported properties, with {@code $version}. */
    public Map<String, Object> reported(String deviceId) {
        synchronized (lock) {
            Twin t = twin(deviceId);
            Map<String, Object> out = new LinkedHashMap<>(t.reported);
            out.put("$version", t.reportedVersion);
            return out;
        }
    }

    /** The device's desired properties, with {@code $version}. */
    public Map<String, Object> desired(String deviceId) {
        synchronized (lock) {
            Twin t = twin(deviceId);
            Map<String, Object> out = new LinkedHashMap<>(t.desired);
            out.put("$version", t.desiredVersion);
            return out;
        }
    }

    /**
     * Merges a JSON object into the desired properties and, if the device is subscribed, sends
     * it on {@code $iothub/twin/PATCH/properties/desired/?$version=<v>} (the hub sends these only
     * while connected). Returns whether it was sent.
     */
    public boolean patchDesired(String deviceId, String jsonObject) {
        Map<String, Object> patch = Json.parseObject(jsonObject);
        long v;
        synchronized (lock) {
            Twin t = twin(deviceId);
            merge(t.desired, patch);
            v = ++t.desiredVersion;
        }
        Map<String, Object> body = new LinkedHashMap<>(patch);
        body.put("$version", v);
        return sendIfSubscribed(deviceId, "$iothub/twin/PATCH/properties/desired/?$version=" + v,
                Json.write(body).getBytes(StandardCharsets.UTF_8), 1);
    }

    /** A cloud-to-device message on {@code devices/<id>/messages/devicebound/%24.to=...}; kept until the device subscribes. */
    public boolean sendC2D(String deviceId, String body) {
        return sendC2D(deviceId, body, Map.of());
    }

    /** A cloud-to-device message with application properties (added to the topic's property bag). */
    public boolean sendC2D(String deviceId, String body, Map<String, String> properties) {
        StringBuilder bag = new StringBuilder("%24.to=").append(enc("/devices/" + deviceId + "/messages/deviceBound"));
        for (Map.Entry<String, String> e : properties.entrySet()) {
            bag.append('&').append(enc(e.getKey()));
            if (e.getValue() != null) bag.append('=').append(enc(e.getValue()));
        }
        return sendToDevice(deviceId, "devices/" + deviceId + "/messages/devicebound/" + bag, body.getBytes(StandardCharsets.UTF_8), 1);
    }

    /**
     * Invokes a direct method: {@code $iothub/methods/POST/<name>/?$rid=<r>} with the JSON body
     * (kept until the device subscribes). Returns r, for {@link #awaitMethodResponse}.
     */
    public String invokeMethod(String deviceId, String methodName, String jsonBody) {
        String rid = Long.toHexString(rids.getAndIncrement());
        sendToDevice(deviceId, "$iothub/methods/POST/" + methodName + "/?$rid=" + rid,
                (jsonBody == null ? "" : jsonBody).getBytes(StandardCharsets.UTF_8), 1);
        return rid;
    }

    /** The device's answer on {@code $iothub/methods/res/<status>/?$rid=<rid>}. */
    public MethodResponse awaitMethodResponse(String rid, Duration timeout) {
        return await("method response for $rid=" + rid, timeout, () -> first(methodResponses, r -> r.rid().equals(rid)),
                () -> "method responses: " + methodResponses);
    }

    public List<MethodResponse> methodResponses() {
        synchronized (lock) {
            return List.copyOf(methodResponses);
        }
    }

    // ------------------------------------------------------------------ connect

    @Override
    protected String deviceIdOf(String clientId) {
        int slash = clientId.indexOf('/');
        return slash < 0 ? clientId : clientId.substring(0, slash);
    }

    @Override
    protected Decision authorize(ConnectInfo c) {
        if (c.protocolLevel() != 4) return Decision.refuse(1, "IoT Hub speaks MQTT 3.1.1 only");
        String cid = c.clientId();
        if (cid.isEmpty() || deviceIdOf(cid).isEmpty()) return Decision.refuse(2, "the client id must be the device id");
        String why = checkUsername(c.username(), cid);
        if (why != null) return Decision.refuse(BAD_USERNAME, why);
        String deviceId = deviceIdOf(cid);
        if (!isRegistered(deviceId)) return Decision.refuse(5, "unknown device '" + deviceId + "'");
        return Decision.accept(deviceId);
    }

    @Override
    protected List<String> brokerSettings() {
        return List.of("message_size_limit " + MAX_MESSAGE_SIZE);
    }

    @Override
    protected List<String> listenerSettings() {
        return List.of("max_qos 1");
    }

    @Override
    protected List<Acl> deviceAcl() {
        return List.of(Acl.write("devices/%c/messages/events/#"), Acl.write("$iothub/twin/GET/#"),
                Acl.write("$iothub/twin/PATCH/properties/reported/#"), Acl.write("$iothub/methods/res/#"),
                Acl.read("devices/%c/messages/devicebound/#"), Acl.read("$iothub/twin/res/#"), Acl.read("$iothub/methods/POST/#"),
                Acl.read("$iothub/twin/PATCH/properties/desired/#"));
    }

    @Override
    protected void denied(Conn conn, String t, int qos, long length) {
        Matcher m = TELEMETRY.matcher(t);
        String reason = m.matches() ? "not authorized: '" + conn.clientId() + "' published on " + t : "topic not supported by IoT Hub: " + t;
        closeForCloudReasons(conn, reason, t, length);
    }

    @Override
    protected void tooLarge(Conn conn, String t, long length) {
        closeForCloudReasons(conn, "oversize: a message of " + length + " bytes exceeds " + MAX_MESSAGE_SIZE, t, length);
    }

    @Override
    protected void qosTooHigh(Conn conn) {
        recordClosure(new Closure(conn.clientId(), "QoS 2 is not supported by IoT Hub", null, -1));
    }

    private String checkUsername(String username, String clientId) {
        String expected = (hostname == null ? "<host>" : hostname) + "/" + clientId + "/?api-version=<version>";
        if (username == null) return "no username; expected " + expected;
        int slash = username.indexOf('/');
        if (slash <= 0) return "username '" + username + "' is not " + expected;
        String host = username.substring(0, slash);
        if (hostname != null && !host.equalsIgnoreCase(hostname)) return "username '" + username + "' is not " + expected;
        String rest = username.substring(slash + 1);
        if (!rest.startsWith(clientId + "/?")) return "username '" + username + "' is not " + expected;
        Map<String, String> q = bag(rest.substring(clientId.length() + 2));
        String v = q.get("api-version");
        if (v == null || v.isEmpty()) return "username '" + username + "' has no api-version; expected " + expected;
        return null;
    }

    // ------------------------------------------------------------------ uplink

    @Override
    protected void onPublish(Conn conn, Received p, int packetId) {
        String t = p.topic();
        Matcher m = TELEMETRY.matcher(t);
        if (m.matches()) {
            Map<String, String> props = bag(m.group(3));
            if (p.retain()) props.put("mqtt-retain", "true");
            record(telemetry, new Telemetry(conn.deviceId, t, props, p.payload(), p.qos()));
            return;
        }
        m = TWIN_GET.matcher(t);
        if (m.matches()) {
            String rid = bag(m.group(1)).get("$rid");
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("desired", desired(conn.deviceId));
            doc.put("reported", reported(conn.deviceId));
            reply(conn, "$iothub/twin/res/200/?$rid=" + rid, Json.write(doc), 1);
            return;
        }
        m = TWIN_PATCH.matcher(t);
        if (m.matches()) {
            String rid = bag(m.group(1)).get("$rid");
            Map<String, Object> patch;
            try {
                patch = Json.parseObject(new String(p.payload(), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                reply(conn, "$iothub/twin/res/400/?$rid=" + rid, "", 1);
                return;
            }
            long v;
            synchronized (lock) {
                Twin tw = twin(conn.deviceId);
                merge(tw.reported, patch);
                v = ++tw.reportedVersion;
                lock.notifyAll();
            }
            reply(conn, "$iothub/twin/res/204/?$rid=" + rid + "&$version=" + v, "", 1);
            return;
        }
        m = METHOD_RES.matcher(t);
        if (m.matches()) {
            record(methodResponses, new MethodResponse(conn.deviceId, bag(m.group(2)).get("$rid"), Integer.parseInt(m.group(1)),
                    new String(p.payload(), StandardCharsets.UTF_8)));
        }
    }

    private Twin twin(String deviceId) {
        return twins.computeIfAbsent(deviceId, k -> new Twin());
    }

    /** JSON merge patch: null removes a member, objects merge, anything else replaces. */
    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> target, Map<String, Object> patch) {
        for (Map.Entry<String, Object> e : patch.entrySet()) {
            if (e.getKey().equals("$version")) continue;
            Object v = e.getValue();
            if (v == null) {
                target.remove(e.getKey());
            } else if (v instanceof Map<?, ?> pm && target.get(e.getKey()) instanceof Map<?, ?> tm) {
                Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) tm);
                merge(copy, (Map<String, Object>) pm);
                target.put(e.getKey(), copy);
            } else {
                target.put(e.getKey(), v);
            }
        }
    }

    /** A URL-encoded property bag or query ({@code k=v&k2=v2}; {@code k} alone → null). */
    static Map<String, String> bag(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) return out;
        for (String pair : text.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? null : pair.substring(eq + 1);
            out.put(dec(k), v == null ? null : dec(v));
        }
        return out;
    }

    private static String dec(String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
