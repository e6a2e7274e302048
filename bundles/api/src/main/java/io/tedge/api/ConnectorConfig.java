package io.tedge.api;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.tedge.api.CloudConnector.ConnectorException;

/**
 * Helpers every connector needs to read the configuration map it gets in
 * {@link CloudConnector#link} and {@link CloudConnector#check}, with the error texts users see.
 */
public final class ConnectorConfig {
    private ConnectorConfig() {
    }

    /** A {@code host[:port]} endpoint. */
    public record Endpoint(String host, int port) {
        /**
         * Parses {@code host[:port]} (IPv6 addresses in brackets); the default port when none is
         * given. {@code key} names the configuration key in the error.
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

    /**
     * The cloud's MQTT endpoint: {@code <cloud>.mqtt} (host[:port]) when set, else
     * {@code <cloud>.url} on the default port; when neither is set, the error tells how to set
     * the url, with {@code example} as the value.
     */
    public static Endpoint endpoint(Map<String, String> config, String cloud, int defaultPort, String example) throws ConnectorException {
        String mqtt = value(config, cloud + ".mqtt");
        if (mqtt != null) return Endpoint.parse(mqtt, cloud + ".mqtt", defaultPort);
        String url = value(config, cloud + ".url");
        if (url == null) {
            throw new ConnectorException(cloud + ".url is not set. Set it with `tedge config set " + cloud + ".url " + example + "`");
        }
        return new Endpoint(url, defaultPort);
    }

    /** The trimmed value of a key, or null when it is not set or blank. */
    public static String value(Map<String, String> config, String key) {
        String v = config.get(key);
        return v == null || v.isBlank() ? null : v.trim();
    }

    /** The value of a key as a path, or null. */
    public static Path path(Map<String, String> config, String key) {
        String v = value(config, key);
        return v == null ? null : Path.of(v);
    }

    /** {@code device.id}, or the error that says to create a certificate. */
    public static String deviceId(Map<String, String> config) throws ConnectorException {
        String id = value(config, "device.id");
        if (id == null) {
            throw new ConnectorException("device.id is not set: the device has no certificate yet. "
                    + "Create one with `tedge cert create --device-id <id>`");
        }
        return id;
    }

    /** Publishes a QoS 1 message for a connection check; a failure is a failed check. */
    public static void publish(Bus bus, String topic, String payload) throws ConnectorException {
        try {
            bus.publish(topic, payload.getBytes(StandardCharsets.UTF_8), 1, false);
        } catch (Bus.BusException e) {
            throw new ConnectorException("Connection check failed: cannot publish on " + topic + ": " + e.getMessage(), e);
        }
    }

    /** A duration in seconds for messages: 10, 1.5, 0.25. */
    public static String seconds(Duration d) {
        long millis = d.toMillis();
        if (millis % 1000 == 0) return Long.toString(millis / 1000);
        return BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString();
    }
}
