package io.tedge.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A stand-in for any pub/sub MQTT cloud whose devices authenticate with a client certificate (a
 * vendor's cloud, such as the ACME cloud of the connector template), on mosquitto, 127.0.0.1 and
 * an ephemeral port; see {@link CloudMqttStandIn} for how it is built and what it records.
 *
 * <pre>{@code
 * TestPki pki = TestPki.create("acme-ca");                       // the cloud's server CA
 * TestPki.Issued device = TestPki.selfSignedDevice("dev-1");     // as `tedge cert create` makes it
 * try (GenericMqttStandIn acme = GenericMqttStandIn.builder("acme", pki, new LiveTrust(device.cert()))
 *         .acl(Acl.readWrite("devices/%c/#"))                   // what a device may publish and receive
 *         .maxQos(1)
 *         .maxMessageSize(256 * 1024)
 *         .start()) {
 *     // the device connects to acme.hostPort() trusting pki.caCert()
 *     acme.awaitReceived(r -> r.topic().equals("devices/dev-1/telemetry/t"), Duration.ofSeconds(30));
 *     acme.send("dev-1", "devices/dev-1/commands/restart", "now", 1);
 * }
 * }</pre>
 *
 * <p>What it enforces, all configurable with the {@link Builder}:
 * <ul>
 * <li>TLS with a client certificate that the {@link LiveTrust} trusts (the certificate itself, or
 * the CA that issued it), else the handshake fails and the attempt is recorded with return code
 * -1.</li>
 * <li>The client id: by default it must be the CN of the certificate
 * ({@link Builder#clientIdIsCertificateCn}; else the connection is closed right after mosquitto's
 * CONNACK 0 and recorded with code 5, not authorised); the device id is the client id. The user
 * name is not checked (the listener replaces it with the certificate's CN).</li>
 * <li>The ACL ({@link Builder#acl}; default: any topic both ways): a device receives only what
 * it may read; a PUBLISH it may not make is acknowledged and dropped by mosquitto, then the
 * stand-in closes the connection and records a {@link Closure} (as most clouds disconnect a
 * client on an authorisation failure).</li>
 * <li>{@link Builder#maxQos}: a PUBLISH above it makes mosquitto close the connection (a
 * {@link Closure}); a subscription above it is granted at it.</li>
 * <li>{@link Builder#maxMessageSize}: a larger payload is dropped and the connection closed (a
 * {@link Closure}).</li>
 * </ul>
 * Messages between devices are routed by mosquitto (a device subscribed to the topic it publishes
 * on gets its own message back, as an echo check expects). The test plays the cloud with
 * {@link #send}; what the devices publish is in {@link #received()}.
 */
public final class GenericMqttStandIn extends CloudMqttStandIn {

    /** How a {@link GenericMqttStandIn} behaves; {@link #start()} starts it. */
    public static final class Builder {
        private final String name;
        private final TestPki pki;
        private final LiveTrust trust;
        private final List<Acl> acl = new ArrayList<>();
        private boolean clientIdIsCertificateCn = true;
        private int maxQos = 2;
        private int maxMessageSize;

        private Builder(String name, TestPki pki, LiveTrust trust) {
            this.name = Objects.requireNonNull(name, "name");
            this.pki = Objects.requireNonNull(pki, "pki");
            this.trust = Objects.requireNonNull(trust, "trust");
        }

        /**
         * Adds lines to the devices' ACL ({@code %c}: the client id). Without any, a device may
         * publish and receive on every topic ({@code readwrite #}).
         */
        public Builder acl(Acl... lines) {
            acl.addAll(List.of(lines));
            return this;
        }

        /** true (the default): the client id must be the certificate's CN; false: any client id. */
        public Builder clientIdIsCertificateCn(boolean required) {
            this.clientIdIsCertificateCn = required;
            return this;
        }

        /** The highest QoS the cloud takes (0, 1 or 2; default 2). */
        public Builder maxQos(int qos) {
            if (qos < 0 || qos > 2) throw new IllegalArgumentException("maxQos must be 0, 1 or 2, not " + qos);
            this.maxQos = qos;
            return this;
        }

        /** The largest payload in bytes the cloud takes; 0 (the default): no limit but MQTT's. */
        public Builder maxMessageSize(int bytes) {
            if (bytes < 0) throw new IllegalArgumentException("maxMessageSize must be 0 or more, not " + bytes);
            this.maxMessageSize = bytes;
            return this;
        }

        /** Starts mosquitto on 127.0.0.1 and an ephemeral port; close the stand-in to stop it. */
        public GenericMqttStandIn start() throws IOException {
            GenericMqttStandIn s = new GenericMqttStandIn(this);
            s.listen();
            return s;
        }
    }

    private final List<Acl> acl;
    private final boolean clientIdIsCertificateCn;
    private final int maxQos;
    private final int maxMessageSize;

    private GenericMqttStandIn(Builder b) throws IOException {
        super(b.name, b.pki, b.trust);
        this.acl = b.acl.isEmpty() ? List.of(Acl.readWrite("#")) : List.copyOf(b.acl);
        this.clientIdIsCertificateCn = b.clientIdIsCertificateCn;
        this.maxQos = b.maxQos;
        this.maxMessageSize = b.maxMessageSize;
    }

    /**
     * A stand-in called {@code name} (in messages and thread names) with a server certificate
     * issued by {@code pki} (trust {@code pki.caCert()} on the device side), accepting the client
     * certificates that {@code trust} trusts.
     */
    public static Builder builder(String name, TestPki pki, LiveTrust trust) {
        return new Builder(name, pki, trust);
    }

    /**
     * The cloud publishes to a device: now if the device is connected and subscribed to a filter
     * that matches {@code topic} (and the ACL lets it read it), else as soon as it is. Returns
     * whether it went out now.
     */
    public boolean send(String deviceId, String topic, String payload, int qos) {
        return sendToDevice(deviceId, topic, payload.getBytes(StandardCharsets.UTF_8), Math.min(qos, maxQos));
    }

    /** The payloads the devices published on exactly this topic, oldest first. */
    public List<String> receivedOn(String topic) {
        List<String> out = new ArrayList<>();
        for (Received r : received()) {
            if (r.topic().equals(topic)) out.add(r.text());
        }
        return out;
    }

    @Override
    protected Decision authorize(ConnectInfo c) {
        if (c.clientId().isEmpty()) return Decision.refuse(2, "an empty client id");
        if (clientIdIsCertificateCn && !c.clientId().equals(c.certificateCn())) {
            return Decision.refuse(5, "client id '" + c.clientId() + "' is not the certificate's CN '" + c.certificateCn() + "'");
        }
        return Decision.accept(c.clientId());
    }

    @Override
    protected String deviceIdOf(String clientId) {
        return clientId;
    }

    @Override
    protected boolean usernameIsCertificateCn() {
        return true;
    }

    @Override
    protected List<Acl> deviceAcl() {
        return acl;
    }

    @Override
    protected List<String> brokerSettings() {
        return maxMessageSize > 0 ? List.of("message_size_limit " + maxMessageSize) : List.of();
    }

    @Override
    protected List<String> listenerSettings() {
        return maxQos < 2 ? List.of("max_qos " + maxQos) : List.of();
    }

    @Override
    protected void onPublish(Conn conn, Received message, int packetId) {
        // recorded in received(); mosquitto routes it to the subscribed devices
    }

    @Override
    protected void denied(Conn conn, String topic, int qos, long length) {
        closeForCloudReasons(conn, "not authorised: '" + conn.clientId() + "' may not publish on " + topic, topic, length);
    }

    @Override
    protected void tooLarge(Conn conn, String topic, long length) {
        closeForCloudReasons(conn, "oversize: a message of " + length + " bytes exceeds " + maxMessageSize, topic, length);
    }

    @Override
    protected void qosTooHigh(Conn conn) {
        recordClosure(new Closure(conn.clientId(), "QoS over " + maxQos + " is not supported", null, -1));
    }
}
