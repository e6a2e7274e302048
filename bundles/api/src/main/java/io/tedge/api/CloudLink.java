package io.tedge.api;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

import io.tedge.api.CloudConnector.ConnectorException;
import io.tedge.api.ConnectorConfig.Endpoint;

/**
 * What a connector asks the bridge runtime to open: an MQTT 3.1.1 connection over TLS with the
 * device certificate, and the rules to forward along it. Build it with {@link #builder}:
 *
 * <pre>{@code
 * ConnectorConfig cfg = ConnectorConfig.of("acme", config);
 * return CloudLink.builder(cfg)                       // endpoint, client id, key, cert, roots
 *         .rules(BridgeRule.out("telemetry/#", 1, "acme/", "things/" + cfg.deviceId() + "/"))
 *         .maxQos(1)
 *         .maxPayload(128 * 1024)
 *         .build();
 * }</pre>
 *
 * @param host             cloud host name or IP address
 * @param port             cloud port (usually 8883)
 * @param clientId         MQTT client id (usually the device id)
 * @param username         MQTT user name, or null (certificate authentication)
 * @param keepAliveSeconds MQTT keep alive in seconds
 * @param keyPath          the device key (PEM)
 * @param certPath         the device certificate (PEM, may hold a chain)
 * @param rootCertPath     trusted roots: a PEM file or a folder of them
 * @param rules            forwarding rules
 * @param maxQos           highest QoS the cloud accepts (IoT Hub, AWS: 1); higher is downgraded
 * @param retainAllowed    whether retained publishes may go to the cloud (else the flag is cleared)
 * @param maxPayload       largest payload the cloud accepts, in bytes; larger messages are refused
 *                         locally (logged, published on {@code tedge/errors}) instead of breaking
 *                         the connection
 */
public record CloudLink(String host, int port, String clientId, String username, int keepAliveSeconds, Path keyPath, Path certPath,
                        Path rootCertPath, List<BridgeRule> rules, int maxQos, boolean retainAllowed, int maxPayload) {
    /**
     * Checks and copies the values.
     *
     * @param host             cloud host
     * @param port             cloud port
     * @param clientId         MQTT client id
     * @param username         MQTT user name, or null
     * @param keepAliveSeconds keep alive in seconds
     * @param keyPath          the device key
     * @param certPath         the device certificate
     * @param rootCertPath     trusted roots
     * @param rules            forwarding rules (copied)
     * @param maxQos           highest QoS of the cloud
     * @param retainAllowed    whether retained publishes may go to the cloud
     * @param maxPayload       largest payload of the cloud
     * @throws NullPointerException when host, client id or rules are null
     */
    public CloudLink {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(clientId, "clientId");
        rules = List.copyOf(rules);
    }

    /**
     * A builder that takes the link's defaults from the connector's configuration: the endpoint
     * from {@code <cloud>.mqtt} or {@code <cloud>.url} (port 8883), client id {@code device.id},
     * the device key and certificate from {@code device.key.path} and {@code device.cert.path},
     * the trusted roots from {@code <cloud>.root.cert.path}; no user name, keep alive 60 s,
     * QoS up to 1, no retained publishes, payloads up to 128 KiB. Every default can be replaced;
     * a value that is needed and missing makes {@link Builder#build()} fail with the text for the
     * user.
     *
     * @param config the connector's configuration
     * @return a builder
     * @since 1.2
     */
    public static Builder builder(ConnectorConfig config) {
        return new Builder(Objects.requireNonNull(config, "config"));
    }

    /**
     * Builds a {@link CloudLink}. Not thread safe; use one per {@link CloudConnector#link} call.
     *
     * @since 1.2
     */
    public static final class Builder {
        private final ConnectorConfig config;
        private String host;
        private int port;
        private int defaultPort = ConnectorConfig.MQTTS_PORT;
        private String example;
        private String clientId;
        private String username;
        private int keepAlive = 60;
        private Path keyPath;
        private Path certPath;
        private Path rootCertPath;
        private final List<BridgeRule> rules = new ArrayList<>();
        private int maxQos = 1;
        private boolean retainAllowed;
        private int maxPayload = 128 * 1024;

        private Builder(ConnectorConfig config) {
            this.config = config;
            this.example = config.cloud() + ".example.com";
        }

        /**
         * Connects to this host and port instead of the configured endpoint.
         *
         * @param host host name or IP address
         * @param port TCP port, 1-65535
         * @return this builder
         */
        public Builder endpoint(String host, int port) {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1-65535, not " + port);
            this.host = Objects.requireNonNull(host, "host");
            this.port = port;
            return this;
        }

        /**
         * The port used when {@code <cloud>.mqtt} has none and with {@code <cloud>.url}.
         *
         * @param port TCP port (default 8883)
         * @return this builder
         */
        public Builder defaultPort(int port) {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1-65535, not " + port);
            this.defaultPort = port;
            return this;
        }

        /**
         * The example host shown when {@code <cloud>.url} is not set.
         *
         * @param exampleHost e.g. {@code mytenant.acme.com} (default {@code <cloud>.example.com})
         * @return this builder
         */
        public Builder exampleHost(String exampleHost) {
            this.example = Objects.requireNonNull(exampleHost, "exampleHost");
            return this;
        }

        /**
         * The MQTT client id.
         *
         * @param clientId the id (default: {@code device.id})
         * @return this builder
         */
        public Builder clientId(String clientId) {
            this.clientId = Objects.requireNonNull(clientId, "clientId");
            return this;
        }

        /**
         * The MQTT user name.
         *
         * @param username the name, or null for none (the default: certificate authentication)
         * @return this builder
         */
        public Builder username(String username) {
            this.username = username;
            return this;
        }

        /**
         * The MQTT keep alive.
         *
         * @param seconds seconds, 0 for none (default 60)
         * @return this builder
         */
        public Builder keepAliveSeconds(int seconds) {
            if (seconds < 0 || seconds > 65535) throw new IllegalArgumentException("keep alive must be 0-65535 s, not " + seconds);
            this.keepAlive = seconds;
            return this;
        }

        /**
         * The device key.
         *
         * @param path a PEM file (default: {@code device.key.path})
         * @return this builder
         */
        public Builder keyPath(Path path) {
            this.keyPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * The device certificate.
         *
         * @param path a PEM file, may hold a chain (default: {@code device.cert.path})
         * @return this builder
         */
        public Builder certPath(Path path) {
            this.certPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * The trusted root certificates of the cloud.
         *
         * @param path a PEM file or a folder of them (default: {@code <cloud>.root.cert.path})
         * @return this builder
         */
        public Builder rootCertPath(Path path) {
            this.rootCertPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /**
         * Adds forwarding rules.
         *
         * @param more rules, in the order they are tried
         * @return this builder
         */
        public Builder rules(BridgeRule... more) {
            return rules(Arrays.asList(more));
        }

        /**
         * Adds forwarding rules.
         *
         * @param more rules, in the order they are tried
         * @return this builder
         */
        public Builder rules(Collection<BridgeRule> more) {
            for (BridgeRule r : more) rules.add(Objects.requireNonNull(r, "rule"));
            return this;
        }

        /**
         * The highest QoS the cloud accepts; messages with a higher one are sent with this.
         *
         * @param qos 0, 1 or 2 (default 1)
         * @return this builder
         */
        public Builder maxQos(int qos) {
            if (qos < 0 || qos > 2) throw new IllegalArgumentException("QoS must be 0, 1 or 2, not " + qos);
            this.maxQos = qos;
            return this;
        }

        /**
         * Whether the cloud takes retained publishes; if not, the flag is cleared.
         *
         * @param allowed true to keep the flag (default false)
         * @return this builder
         */
        public Builder retainAllowed(boolean allowed) {
            this.retainAllowed = allowed;
            return this;
        }

        /**
         * The largest payload the cloud accepts; larger messages are refused locally.
         *
         * @param bytes the limit in bytes (default 131072)
         * @return this builder
         */
        public Builder maxPayload(int bytes) {
            if (bytes < 1) throw new IllegalArgumentException("the payload limit must be positive, not " + bytes);
            this.maxPayload = bytes;
            return this;
        }

        /**
         * The link.
         *
         * @return the link to open
         * @throws ConnectorException when a needed value is not configured, with the text for the
         *                            user (e.g. {@code acme.url is not set. Set it with ...})
         */
        public CloudLink build() throws ConnectorException {
            String h = host;
            int p = port;
            if (h == null) {
                Endpoint e = config.endpoint(defaultPort, example);
                h = e.host();
                p = e.port();
            }
            String id = clientId != null ? clientId : config.deviceId();
            Path key = keyPath != null ? keyPath : config.keyPath();
            Path cert = certPath != null ? certPath : config.certPath();
            Path roots = rootCertPath != null ? rootCertPath : config.rootCertPath();
            return new CloudLink(h, p, id, username, keepAlive, key, cert, roots, rules, maxQos, retainAllowed, maxPayload);
        }
    }
}
