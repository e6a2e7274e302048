package io.tedge.api;

import java.time.Duration;
import java.util.Map;

/**
 * A cloud connector: register an implementation as a service with the property {@link #CLOUD}
 * (e.g. {@code tedge.cloud=c8y}) and the bridge runtime opens and runs its link while
 * {@code <cloud>.connect} is true in tedge.toml ({@code tedge connect <cloud>} sets it). The
 * connector is data: an endpoint, a rule table, a connection check; store-and-forward, TLS,
 * reconnects and status are the runtime's.
 */
public interface CloudConnector {
    /** Service property naming the cloud, as typed in {@code tedge connect <cloud>}. */
    String CLOUD = "tedge.cloud";

    /**
     * The link to open from the current configuration (every tedge.toml key with its effective
     * value, dotted, e.g. {@code c8y.url}, {@code device.id}).
     *
     * @throws ConnectorException with a message for the user when something is missing
     */
    CloudLink link(Map<String, String> config) throws ConnectorException;

    /**
     * Checks the connection end to end once the link is up, through the local bus (e.g. ask the
     * cloud for a token and wait for the answer). Returns a line for the user.
     */
    default String check(Bus bus, Map<String, String> config, Duration timeout) throws ConnectorException, InterruptedException {
        return "The link is up.";
    }

    /** A connector-level error with a user-facing message. */
    class ConnectorException extends Exception {
        private static final long serialVersionUID = 1L;

        public ConnectorException(String message) {
            super(message);
        }

        public ConnectorException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
