package io.tedge.testkit;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stand-in for AWS IoT Core's device MQTT endpoint (the 8883 role), for what thin-edge.io's aws
 * bridge uses, on mosquitto, 127.0.0.1 and an ephemeral port (PROTOCOLS.md §5; see
 * {@link CloudMqttStandIn} for how it is built and what it records).
 *
 * <pre>{@code
 * TestPki pki = TestPki.create("aws-ca");                        // trust pki.caCert() as aws.root.cert.path
 * try (AwsMqttStandIn aws = AwsMqttStandIn.start(pki, new LiveTrust())) {
 *     aws.registerThing("dev-1", deviceCertificate);             // registered and attached to the thing
 *     // the device connects to aws.hostPort() with client id dev-1 and that certificate
 *     aws.awaitReceived(r -> r.topic().equals("thinedge/dev-1/td/temp"), Duration.ofSeconds(30));
 *     aws.send("dev-1", "thinedge/dev-1/cmd/restart", "now", 1);
 *     aws.updateDesired("dev-1", "{\"on\":true}");               // the shadow's delta to the device
 * }
 * }</pre>
 *
 * <p>Connect: mutual TLS; the client certificate must be registered with
 * {@link #registerThing(String, X509Certificate)} or issued by a CA that the {@link LiveTrust}
 * trusts (a registered CA, with {@link #registerThing(String)}), else the handshake fails (return
 * code -1). Then, checked from mosquitto's log and enforced by closing the connection right after
 * its CONNACK 0 (recorded with the code in brackets): MQTT 3.1.1 or 5 (1); a client id of 1 to
 * {@value #MAX_CLIENT_ID} bytes (2); the client id is a registered thing, and the certificate
 * presented (known by its CN: mosquitto's {@code use_identity_as_username}) is the one attached
 * to it, or for a CA-signed thing has the thing name as CN (5: the policy allows
 * {@code iot:Connect} only on {@code client/${iot:Connection.Thing.ThingName}}). A second
 * connection with the same client id closes the first.
 *
 * <p>The device's policy is thin-edge.io's ({@link #THIN_EDGE_POLICY}; another one with
 * {@link #start(TestPki, LiveTrust, List)}): publish on {@code thinedge/<thing>/td[/...]},
 * receive on {@code thinedge/<thing>/cmd[/...]}, both on
 * {@code thinedge/devices/<thing>/test-connection} (mosquitto routes a device's message back to
 * it: the connection check's echo), receive on {@code $aws/things/<thing>/shadow/...} and publish
 * on its {@code update}, {@code get} and {@code delete} (the shadow service's reserved topics,
 * named shadows included). A PUBLISH the policy does not allow, a payload over
 * {@value #MAX_PAYLOAD} bytes ({@code message_size_limit}: mosquitto acknowledges and drops it),
 * and a PUBLISH with QoS 2 ({@code max_qos 1}; AWS IoT would send no PUBACK) close the
 * connection and are recorded as a {@link Closure}. A subscription with QoS 2 is granted as 1
 * (AWS IoT would send no SUBACK).
 *
 * <p>The Device Shadow service, classic and named shadows: {@code update} with
 * {@code {"state":{"desired":...,"reported":...}}} merges the state ({@code null} deletes) and
 * answers {@code update/accepted} (the request's state, metadata, version, timestamp, client
 * token), {@code update/documents} (previous and current state and version) and, when the
 * desired state differs from the reported one after an update of the desired state,
 * {@code update/delta}; invalid JSON, no {@code state} or a wrong {@code version} answer
 * {@code update/rejected} (400, 400, 409). {@code get} answers {@code get/accepted} (state with
 * delta, metadata, version) or {@code get/rejected} (404); {@code delete} answers
 * {@code delete/accepted} or {@code delete/rejected} (404). Answers go to the subscribed devices
 * only (AWS keeps nothing). {@link #updateDesired} is the cloud side's update.
 *
 * <p>Not modelled: topic length and level limits, throttling, retained message storage (the
 * retain flag is recorded, the message is not kept), persistent sessions' one-hour expiry, MQTT
 * 5 properties, lifecycle events, the rules engine.
 */
public final class AwsMqttStandIn extends CloudMqttStandIn {
    /** AWS IoT Core's limit on a PUBLISH payload. */
    public static final int MAX_PAYLOAD = 128 * 1024;
    /** AWS IoT Core's limit on a client id, in bytes. */
    public static final int MAX_CLIENT_ID = 128;

    /**
     * thin-edge.io's recommended IoT policy as mosquitto ACL lines ({@code %c}: the client id, which
     * the connect check makes the thing name).
     */
    public static final List<Acl> THIN_EDGE_POLICY = List.of(
            Acl.write("thinedge/%c/td/#"),
            Acl.read("thinedge/%c/cmd/#"),
            Acl.readWrite("thinedge/devices/%c/test-connection"),
            Acl.read("$aws/things/%c/shadow/#"),
            Acl.write("$aws/things/%c/shadow/update"),
            Acl.write("$aws/things/%c/shadow/get"),
            Acl.write("$aws/things/%c/shadow/delete"),
            Acl.write("$aws/things/%c/shadow/name/+/update"),
            Acl.write("$aws/things/%c/shadow/name/+/get"),
            Acl.write("$aws/things/%c/shadow/name/+/delete"));

    private static final Pattern SHADOW = Pattern.compile("\\$aws/things/([^/]+)/shadow(?:/name/([^/]+))?/(update|get|delete)");

    private final List<Acl> policy;
    private final Map<String, Shadow> shadows = new HashMap<>();

    /** One shadow: its state sections and version (0: none). */
    private static final class Shadow {
        Map<String, Object> desired;
        Map<String, Object> reported;
        long version;
        boolean exists;
    }

    private AwsMqttStandIn(TestPki pki, LiveTrust trust, List<Acl> policy) throws IOException {
        super("aws-mqtt-stand-in", pki, trust);
        this.policy = List.copyOf(policy);
    }

    /**
     * Starts a stand-in with thin-edge.io's device policy whose server certificate is issued by
     * {@code pki}; things are registered with their certificate, or trusted through a CA of
     * {@code trust}.
     */
    public static AwsMqttStandIn start(TestPki pki, LiveTrust trust) throws IOException {
        return start(pki, trust, THIN_EDGE_POLICY);
    }

    /** As {@link #start(TestPki, LiveTrust)}, with another device policy. */
    public static AwsMqttStandIn start(TestPki pki, LiveTrust trust, List<Acl> policy) throws IOException {
        AwsMqttStandIn s = new AwsMqttStandIn(pki, trust, policy);
        s.listen();
        return s;
    }

    // ------------------------------------------------------------------ test API

    /**
     * Registers a thing with the certificate attached to it (a self-signed device certificate, or
     * one AWS issued); the certificate is trusted from the next TLS handshake on.
     */
    public void registerThing(String thingName, X509Certificate certificate) {
        register(thingName, Objects.requireNonNull(certificate, "certificate"));
    }

    /** Registers a thing whose certificate a CA of the {@link LiveTrust} issued with the thing name as CN. */
    public void registerThing(String thingName) {
        register(thingName, null);
    }

    /** Removes a thing. A certificate no longer trusted makes mosquitto restart (every device reconnects). */
    public void unregisterThing(String thingName) {
        unregister(thingName);
    }

    /**
     * The cloud publishes to a thing (QoS 0 or 1): now if it is connected and subscribed to a
     * matching filter that its policy lets it receive, else as soon as it is (AWS IoT would drop a
     * message for a client that is not subscribed: wait with {@link #awaitSubscribed} first where
     * that matters). Returns whether it went out now.
     */
    public boolean send(String thingName, String topic, String payload, int qos) {
        return sendToDevice(thingName, topic, payload.getBytes(StandardCharsets.UTF_8), Math.min(qos, 1));
    }

    /** The payloads the things published on exactly this topic, oldest first. */
    public List<String> receivedOn(String topic) {
        List<String> out = new ArrayList<>();
        for (Received r : received()) {
            if (r.topic().equals(topic)) out.add(r.text());
        }
        return out;
    }

    /** The reported state of the thing's classic shadow (empty when it has none). */
    public Map<String, Object> reported(String thingName) {
        synchronized (lock) {
            Shadow s = shadows.get(key(thingName, null));
            return s == null || s.reported == null ? Map.of() : copy(s.reported);
        }
    }

    /** The desired state of the thing's classic shadow (empty when it has none). */
    public Map<String, Object> desired(String thingName) {
        synchronized (lock) {
            Shadow s = shadows.get(key(thingName, null));
            return s == null || s.desired == null ? Map.of() : copy(s.desired);
        }
    }

    /** The version of the thing's classic shadow; 0 when it has none. */
    public long shadowVersion(String thingName) {
        synchronized (lock) {
            Shadow s = shadows.get(key(thingName, null));
            return s == null || !s.exists ? 0 : s.version;
        }
    }

    /**
     * The cloud side updates the desired state of the thing's classic shadow with a JSON object
     * ({@code null} deletes a member), as an application would through the shadow API: the
     * version grows, and {@code update/accepted}, {@code update/documents} and, when the desired
     * state differs from the reported one, {@code update/delta} go to the thing if it is
     * subscribed. Returns the new version.
     */
    public long updateDesired(String thingName, String jsonObject) {
        Map<String, Object> desired = Json.parseObject(jsonObject);
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("desired", desired);
        return update(thingName, null, state, null, null);
    }

    // ------------------------------------------------------------------ connect

    @Override
    protected Decision authorize(ConnectInfo c) {
        if (c.protocolLevel() != 4 && c.protocolLevel() != 5) return Decision.refuse(1, "AWS IoT Core speaks MQTT 3.1.1 and 5 only");
        String cid = c.clientId();
        int bytes = cid.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes > MAX_CLIENT_ID) return Decision.refuse(2, "a client id of " + bytes + " bytes (1 to " + MAX_CLIENT_ID + ")");
        if (!isRegistered(cid)) {
            return Decision.refuse(5, "not authorised: no thing '" + cid + "' (iot:Connect is allowed on client/${iot:Connection.Thing.ThingName})");
        }
        X509Certificate attached = registeredCertificate(cid);
        String expectedCn = attached == null ? cid : commonName(attached);
        if (!Objects.equals(expectedCn, c.certificateCn())) {
            return Decision.refuse(5, "not authorised: the certificate presented (CN=" + c.certificateCn() + ") is not attached to thing '" + cid
                    + "'");
        }
        return Decision.accept(cid);
    }

    @Override
    protected String deviceIdOf(String clientId) {
        return clientId;
    }

    @Override
    protected boolean usernameIsCertificateCn() {
        return true; // AWS ignores the user name; the CN tells which certificate a connection presented
    }

    @Override
    protected List<Acl> deviceAcl() {
        return policy;
    }

    @Override
    protected List<String> brokerSettings() {
        return List.of("message_size_limit " + MAX_PAYLOAD);
    }

    @Override
    protected List<String> listenerSettings() {
        return List.of("max_qos 1");
    }

    @Override
    protected void denied(Conn conn, String topic, int qos, long length) {
        closeForCloudReasons(conn, "not authorised: the policy of '" + conn.clientId() + "' does not allow iot:Publish on " + topic, topic,
                length);
    }

    @Override
    protected void tooLarge(Conn conn, String topic, long length) {
        closeForCloudReasons(conn, "oversize: a payload of " + length + " bytes exceeds " + MAX_PAYLOAD, topic, length);
    }

    @Override
    protected void qosTooHigh(Conn conn) {
        recordClosure(new Closure(conn.clientId(), "QoS 2 is not supported by AWS IoT Core", null, -1));
    }

    // ------------------------------------------------------------------ the Device Shadow service

    @Override
    protected void onPublish(Conn conn, Received p, int packetId) {
        Matcher m = SHADOW.matcher(p.topic());
        if (!m.matches()) return; // telemetry, the echo: mosquitto routes it
        String thing = m.group(1);
        String name = m.group(2);
        String prefix = "$aws/things/" + thing + "/shadow" + (name == null ? "" : "/name/" + name);
        switch (m.group(3)) {
            case "update" -> onUpdate(thing, name, prefix, p.text());
            case "get" -> onGet(thing, name, prefix, p.text());
            default -> onDelete(thing, name, prefix, p.text());
        }
    }

    private void onUpdate(String thing, String name, String prefix, String text) {
        Map<String, Object> request;
        try {
            request = Json.parseObject(text);
        } catch (IllegalArgumentException e) {
            reject(thing, prefix + "/update", 400, "Payload contains invalid json", null);
            return;
        }
        Object token = request.get("clientToken");
        if (!(request.get("state") instanceof Map<?, ?> st)) {
            reject(thing, prefix + "/update", 400, "Missing required node: state", token);
            return;
        }
        if (request.get("version") instanceof BigDecimal v) {
            long current;
            synchronized (lock) {
                Shadow s = shadows.get(key(thing, name));
                current = s == null ? 0 : s.version;
            }
            if (v.longValue() != current) {
                reject(thing, prefix + "/update", 409, "Version conflict", token);
                return;
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> state = (Map<String, Object>) st;
        update(thing, name, state, token, prefix);
    }

    /** Applies an update and sends accepted, documents and (if any) delta; returns the new version. */
    private long update(String thing, String name, Map<String, Object> state, Object token, String prefix) {
        if (prefix == null) prefix = "$aws/things/" + thing + "/shadow";
        long now = Instant.now().getEpochSecond();
        Map<String, Object> previous;
        Map<String, Object> current;
        Map<String, Object> delta;
        long version;
        synchronized (lock) {
            Shadow s = shadows.computeIfAbsent(key(thing, name), k -> new Shadow());
            previous = s.exists ? document(s, false) : null;
            if (state.containsKey("desired")) s.desired = section(s.desired, state.get("desired"));
            if (state.containsKey("reported")) s.reported = section(s.reported, state.get("reported"));
            s.exists = true;
            version = ++s.version;
            current = document(s, false);
            delta = state.containsKey("desired") ? delta(s.desired, s.reported) : Map.of();
            lock.notifyAll();
        }
        Map<String, Object> accepted = new LinkedHashMap<>();
        accepted.put("state", state);
        accepted.put("metadata", metadata(state, now));
        accepted.put("version", version);
        accepted.put("timestamp", now);
        if (token != null) accepted.put("clientToken", token);
        answer(thing, prefix + "/update/accepted", accepted);
        Map<String, Object> documents = new LinkedHashMap<>();
        documents.put("previous", previous);
        documents.put("current", current);
        documents.put("timestamp", now);
        if (token != null) documents.put("clientToken", token);
        answer(thing, prefix + "/update/documents", documents);
        if (!delta.isEmpty()) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("version", version);
            d.put("timestamp", now);
            d.put("state", delta);
            d.put("metadata", metadata(delta, now));
            if (token != null) d.put("clientToken", token);
            answer(thing, prefix + "/update/delta", d);
        }
        return version;
    }

    private void onGet(String thing, String name, String prefix, String text) {
        Object token = clientToken(text);
        Map<String, Object> doc;
        synchronized (lock) {
            Shadow s = shadows.get(key(thing, name));
            doc = s == null || !s.exists ? null : document(s, true);
        }
        if (doc == null) {
            reject(thing, prefix + "/get", 404, "No shadow exists with name: '" + (name == null ? thing : name) + "'", token);
            return;
        }
        doc.put("timestamp", Instant.now().getEpochSecond());
        if (token != null) doc.put("clientToken", token);
        answer(thing, prefix + "/get/accepted", doc);
    }

    private void onDelete(String thing, String name, String prefix, String text) {
        Object token = clientToken(text);
        long version;
        synchronized (lock) {
            Shadow s = shadows.get(key(thing, name));
            if (s == null || !s.exists) {
                version = -1;
            } else {
                version = s.version;
                s.exists = false;
                s.desired = null;
                s.reported = null;
                lock.notifyAll();
            }
        }
        if (version < 0) {
            reject(thing, prefix + "/delete", 404, "No shadow exists with name: '" + (name == null ? thing : name) + "'", token);
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("version", version);
        body.put("timestamp", Instant.now().getEpochSecond());
        if (token != null) body.put("clientToken", token);
        answer(thing, prefix + "/delete/accepted", body);
    }

    private void reject(String thing, String operation, int code, String message, Object token) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", code);
        body.put("message", message);
        body.put("timestamp", Instant.now().getEpochSecond());
        if (token != null) body.put("clientToken", token);
        answer(thing, operation + "/rejected", body);
    }

    private void answer(String thing, String topic, Map<String, Object> body) {
        sendIfSubscribed(thing, topic, Json.write(body).getBytes(StandardCharsets.UTF_8), 1);
    }

    private static Object clientToken(String text) {
        if (text.isBlank()) return null;
        try {
            return Json.parseObject(text).get("clientToken");
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String key(String thing, String name) {
        return name == null ? thing : thing + "/" + name;
    }

    /** {@code {"state":{"desired":...,"reported":...[,"delta":...]},"version":n}}. */
    private static Map<String, Object> document(Shadow s, boolean withDelta) {
        Map<String, Object> state = new LinkedHashMap<>();
        if (s.desired != null) state.put("desired", copy(s.desired));
        if (s.reported != null) state.put("reported", copy(s.reported));
        if (withDelta && s.desired != null) {
            Map<String, Object> d = delta(s.desired, s.reported);
            if (!d.isEmpty()) state.put("delta", d);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("state", state);
        doc.put("version", s.version);
        return doc;
    }

    /** A state section after an update: null deletes the section, an object is merged into it. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> section(Map<String, Object> old, Object update) {
        if (!(update instanceof Map<?, ?> m)) return null;
        Map<String, Object> out = old == null ? new LinkedHashMap<>() : old;
        merge(out, (Map<String, Object>) m);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> target, Map<String, Object> patch) {
        for (Map.Entry<String, Object> e : patch.entrySet()) {
            Object v = e.getValue();
            if (v == null) {
                target.remove(e.getKey());
            } else if (v instanceof Map<?, ?> pm && target.get(e.getKey()) instanceof Map<?, ?> tm) {
                Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) tm);
                merge(copy, (Map<String, Object>) pm);
                target.put(e.getKey(), copy);
            } else if (v instanceof Map<?, ?> pm) {
                Map<String, Object> fresh = new LinkedHashMap<>();
                merge(fresh, (Map<String, Object>) pm);
                target.put(e.getKey(), fresh);
            } else {
                target.put(e.getKey(), v);
            }
        }
    }

    /** What desired has that reported has not, or has otherwise. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> delta(Map<String, Object> desired, Map<String, Object> reported) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (desired == null) return out;
        for (Map.Entry<String, Object> e : desired.entrySet()) {
            Object r = reported == null ? null : reported.get(e.getKey());
            Object d = e.getValue();
            if (d instanceof Map<?, ?> dm && r instanceof Map<?, ?> rm) {
                Map<String, Object> sub = delta((Map<String, Object>) dm, (Map<String, Object>) rm);
                if (!sub.isEmpty()) out.put(e.getKey(), sub);
            } else if (!same(d, r)) {
                out.put(e.getKey(), d);
            }
        }
        return out;
    }

    private static boolean same(Object a, Object b) {
        if (a instanceof BigDecimal x && b instanceof BigDecimal y) return x.compareTo(y) == 0;
        return Objects.equals(a, b);
    }

    /** The metadata of a state: each leaf replaced by {@code {"timestamp":t}}. */
    private static Object metadata(Object state, long timestamp) {
        if (state instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) out.put(String.valueOf(e.getKey()), metadata(e.getValue(), timestamp));
            return out;
        }
        return Map.of("timestamp", timestamp);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> copy(Map<String, Object> m) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : m.entrySet()) {
            out.put(e.getKey(), e.getValue() instanceof Map<?, ?> sub ? copy((Map<String, Object>) sub) : e.getValue());
        }
        return out;
    }
}
