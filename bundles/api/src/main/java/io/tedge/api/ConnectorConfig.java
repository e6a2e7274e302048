package io.tedge.api;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

import io.tedge.api.CloudConnector.ConnectorException;

/**
 * The configuration a connector gets in {@link CloudConnector#link} and
 * {@link CloudConnector#check}, read with the error texts users see.
 *
 * <p>The map holds every tedge.toml key with its effective value (dotted names, defaults
 * included, plus {@code device.id}). A connector wraps it for its cloud and reads its endpoint,
 * identity and trusted roots by convention:
 *
 * <pre>{@code
 * ConnectorConfig cfg = ConnectorConfig.of("acme", config);
 * Endpoint where = cfg.endpoint(8883, "acme.example.com");   // acme.mqtt, else acme.url on 8883
 * String id = cfg.deviceId();                                 // device.id, the certificate's CN
 * Path roots = cfg.rootCertPath();                            // acme.root.cert.path
 * }</pre>
 *
 * {@link CloudLink#builder(ConnectorConfig)} does exactly this for a link. The keys a connector
 * reads must be declared with {@link ConfigKey} (e.g. {@code acme.url}, {@code acme.mqtt},
 * {@code acme.root.cert.path}), or they are unknown to {@code tedge config}.
 *
 * <p>The static helpers of API 1.1 remain for connectors built against it.
 *
 * @since 1.1
 */
public final class ConnectorConfig {
    /** The usual MQTT-over-TLS port, the default of {@link #endpoint(int, String)}. */
    public static final int MQTTS_PORT = 8883;

    private final String cloud;
    private final Map<String, String> config;

    private ConnectorConfig(String cloud, Map<String, String> config) {
        this.cloud = Objects.requireNonNull(cloud, "cloud");
        this.config = Collections.unmodifiableMap(new HashMap<>(Objects.requireNonNull(config, "config")));
    }

    /**
     * The configuration of one cloud's connector.
     *
     * @param cloud  the cloud's name, as in {@code tedge connect <cloud>} and the first segment of
     *               its keys
     * @param config the map given to {@link CloudConnector#link} or {@link CloudConnector#check}
     * @return a view of the map for that cloud
     * @since 1.2
     */
    public static ConnectorConfig of(String cloud, Map<String, String> config) {
        return new ConnectorConfig(cloud, config);
    }

    /**
     * The cloud's name.
     *
     * @return e.g. {@code acme}
     * @since 1.2
     */
    public String cloud() {
        return cloud;
    }

    /**
     * Every key with its value.
     *
     * @return an unmodifiable copy of the configuration map
     * @since 1.2
     */
    public Map<String, String> asMap() {
        return config;
    }

    /**
     * The trimmed value of a key.
     *
     * @param key a dotted key, e.g. {@code acme.url}
     * @return the value, or null when the key is not set or blank
     * @since 1.2
     */
    public String get(String key) {
        return value(config, key);
    }

    /**
     * The value of a key that must be set.
     *
     * @param key     a dotted key
     * @param example an example value for the error text
     * @return the trimmed value
     * @throws ConnectorException {@code <key> is not set. Set it with `tedge config set <key> <example>`}
     * @since 1.2
     */
    public String require(String key, String example) throws ConnectorException {
        String v = get(key);
        if (v == null) throw notSet(key, example);
        return v;
    }

    /**
     * The value of a key that must be set, as a path.
     *
     * @param key a dotted key whose value is a file or folder
     * @return the path
     * @throws ConnectorException when the key is not set
     * @since 1.2
     */
    public Path requirePath(String key) throws ConnectorException {
        return Path.of(require(key, "<path>"));
    }

    /**
     * {@code device.id}: the CN of the device certificate.
     *
     * @return the device id
     * @throws ConnectorException when the device has no certificate yet, saying how to create one
     * @since 1.2
     */
    public String deviceId() throws ConnectorException {
        return deviceId(config);
    }

    /**
     * {@code device.key.path}: the device's private key (PEM).
     *
     * @return the path
     * @throws ConnectorException when the key is not set
     * @since 1.2
     */
    public Path keyPath() throws ConnectorException {
        return requirePath("device.key.path");
    }

    /**
     * {@code device.cert.path}: the device certificate (PEM, may hold a chain).
     *
     * @return the path
     * @throws ConnectorException when the key is not set
     * @since 1.2
     */
    public Path certPath() throws ConnectorException {
        return requirePath("device.cert.path");
    }

    /**
     * {@code <cloud>.root.cert.path}: the certificates the cloud's server certificate must chain
     * to, a PEM file or a folder of them. Declare the key with a default, e.g.
     * {@code @ConfigKey(key = "acme.root.cert.path", type = "path", defaultValue = "/etc/ssl/certs", doc = "...")},
     * so that a public cloud works without setting it and a cloud with a private CA is one
     * {@code tedge config set} away.
     *
     * @return the path
     * @throws ConnectorException when the key has no value, naming the key to declare or set
     * @since 1.2
     */
    public Path rootCertPath() throws ConnectorException {
        String key = cloud + ".root.cert.path";
        String v = get(key);
        if (v == null) {
            throw new ConnectorException(key + " is not set. Set it with `tedge config set " + key
                    + " <PEM file or folder of the cloud's root certificates>` (a connector declares it with @ConfigKey, default /etc/ssl/certs)");
        }
        return Path.of(v);
    }

    /**
     * The cloud's MQTT endpoint: {@code <cloud>.mqtt} as {@code host[:port]} when set, else
     * {@code <cloud>.url} on the default port.
     *
     * @param defaultPort the port when none is given, usually {@link #MQTTS_PORT}
     * @param example     an example host for the error text, e.g. {@code acme.example.com}
     * @return host and port
     * @throws ConnectorException when neither key is set, or {@code <cloud>.mqtt} is not host[:port]
     * @since 1.2
     */
    public Endpoint endpoint(int defaultPort, String example) throws ConnectorException {
        return endpoint(config, cloud, defaultPort, example);
    }

    /**
     * A {@code host[:port]} endpoint.
     *
     * @param host host name or IP address (an IPv6 address without brackets)
     * @param port TCP port
     */
    public record Endpoint(String host, int port) {
        /**
         * Parses {@code host[:port]} (IPv6 addresses in brackets).
         *
         * @param value       the text, e.g. {@code example.com:8883} or {@code [::1]:8883}
         * @param key         the configuration key it comes from, named in the error
         * @param defaultPort the port when none is given
         * @return the endpoint
         * @throws ConnectorException when the text is not {@code host[:port]} with a port 1-65535
         */
        public static Endpoint parse(String value, String key, int defaultPort) throws ConnectorException {
            String host = value;
            String port = null;
            if (value.startsWith("[")) {
                int close = value.indexOf(']');
                if (close < 0) throw invalid(value, key);
                host = value.substring(1, close);
                String rest = value.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) throw invalid(value, key);
                    port = rest.substring(1);
                }
            } else {
                int colon = value.lastIndexOf(':');
                if (colon >= 0 && value.indexOf(':') == colon) {
                    host = value.substring(0, colon);
                    port = value.substring(colon + 1);
                }
            }
            if (host.isEmpty()) throw invalid(value, key);
            if (port == null) return new Endpoint(host, defaultPort);
            try {
                int p = Integer.parseInt(port);
                if (p < 1 || p > 65535) throw invalid(value, key);
                return new Endpoint(host, p);
            } catch (NumberFormatException e) {
                throw invalid(value, key);
            }
        }

        private static ConnectorException invalid(String value, String key) {
            return new ConnectorException("Invalid value for `" + key + "`: '" + value + "' (expected host:port). Fix it with `tedge config set "
                    + key + " <host>:<port>`");
        }
    }

    // ------------------------------------------------------------------ the 1.1 helpers

    /**
     * The cloud's MQTT endpoint: {@code <cloud>.mqtt} (host[:port]) when set, else
     * {@code <cloud>.url} on the default port.
     *
     * @param config      the connector's configuration map
     * @param cloud       the cloud's name
     * @param defaultPort the port when none is given
     * @param example     an example host for the error text
     * @return host and port
     * @throws ConnectorException when neither key is set, telling how to set the url
     */
    public static Endpoint endpoint(Map<String, String> config, String cloud, int defaultPort, String example) throws ConnectorException {
        String mqtt = value(config, cloud + ".mqtt");
        if (mqtt != null) return Endpoint.parse(mqtt, cloud + ".mqtt", defaultPort);
        String url = value(config, cloud + ".url");
        if (url == null) throw notSet(cloud + ".url", example);
        return new Endpoint(url, defaultPort);
    }

    private static ConnectorException notSet(String key, String example) {
        return new ConnectorException(key + " is not set. Set it with `tedge config set " + key + " " + example + "`");
    }

    /**
     * The trimmed value of a key.
     *
     * @param config the configuration map
     * @param key    a dotted key
     * @return the value, or null when it is not set or blank
     */
    public static String value(Map<String, String> config, String key) {
        String v = config.get(key);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /**
     * The value of a key as a path.
     *
     * @param config the configuration map
     * @param key    a dotted key
     * @return the path, or null when the key is not set
     */
    public static Path path(Map<String, String> config, String key) {
        String v = value(config, key);
        return v == null ? null : Path.of(v);
    }

    /**
     * {@code device.id}.
     *
     * @param config the configuration map
     * @return the device id
     * @throws ConnectorException when it is not set, saying how to create a certificate
     */
    public static String deviceId(Map<String, String> config) throws ConnectorException {
        String id = value(config, "device.id");
        if (id == null) {
            throw new ConnectorException("device.id is not set: the device has no certificate yet. "
                    + "Create one with `tedge cert create --device-id <id>`");
        }
        return id;
    }

    /**
     * Publishes a QoS 1 message for a connection check.
     *
     * @param bus     the bus given to {@link CloudConnector#check}
     * @param topic   local topic
     * @param payload UTF-8 text
     * @throws ConnectorException when the bus does not take it: a failed check
     */
    public static void publish(Bus bus, String topic, String payload) throws ConnectorException {
        try {
            bus.publish(topic, payload.getBytes(StandardCharsets.UTF_8), 1, false);
        } catch (Bus.BusException e) {
            throw new ConnectorException("Connection check failed: cannot publish on " + topic + ": " + e.getMessage(), e);
        }
    }

    /**
     * A duration in seconds for messages.
     *
     * @param d a duration
     * @return e.g. {@code 10}, {@code 1.5}, {@code 0.25}
     */
    public static String seconds(Duration d) {
        long millis = d.toMillis();
        if (millis % 1000 == 0) return Long.toString(millis / 1000);
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }
}
