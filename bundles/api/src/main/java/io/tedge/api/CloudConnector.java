package io.tedge.api;

import java.time.Duration;
import java.util.Map;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A cloud connector: register an implementation as a service with the property {@link #CLOUD}
 * (e.g. {@code tedge.cloud=c8y}) and the bridge runtime opens and runs its link while
 * {@code <cloud>.connect} is true in tedge.toml ({@code tedge connect <cloud>} sets it). The
 * connector is data: an endpoint, a rule table, a connection check; store-and-forward, TLS,
 * reconnects and status are the runtime's.
 *
 * <pre>{@code
 * @Component(service = CloudConnector.class, property = CloudConnector.CLOUD + "=acme")
 * public class AcmeConnector implements CloudConnector {
 *     public CloudLink link(Map<String, String> config) throws ConnectorException {
 *         return CloudLink.builder(ConnectorConfig.of("acme", config)).rules(...).build();
 *     }
 * }
 * }</pre>
 */
@ConsumerType
public interface CloudConnector {
    /** Service property naming the cloud, as typed in {@code tedge connect <cloud>}. */
    String CLOUD = "tedge.cloud";

    /**
     * The link to open. Called when the cloud is connected and again whenever the configuration
     * changes; the runtime reopens the link only when the returned value differs.
     *
     * @param config every tedge.toml key with its effective value, dotted (e.g. {@code acme.url},
     *               {@code device.id}); read it with {@link ConnectorConfig}
     * @return the link
     * @throws ConnectorException with a message for the user when something is missing
     */
    CloudLink link(Map<String, String> config) throws ConnectorException;

    /**
     * Checks the connection end to end through the local bus, e.g. a request that the cloud
     * answers ({@link ConnectionCheck}). {@code tedge connect <cloud>} and
     * {@code tedge connect <cloud> --test} run it; the runtime calls it only while the link is
     * up (otherwise the user is told that the link is down, and why). The default only reports
     * that the link is up: a connector should prove more.
     *
     * @param bus     the local bus
     * @param config  the same map as for {@link #link}
     * @param timeout how long the check may take in all
     * @return a line for the user, e.g. {@code Connection check to ACME is successful.}
     * @throws ConnectorException   when the check fails, with the reason for the user
     * @throws InterruptedException when the check is cancelled
     */
    default String check(Bus bus, Map<String, String> config, Duration timeout) throws ConnectorException, InterruptedException {
        return "The link is up.";
    }

    /** A connector-level error with a user-facing message. */
    class ConnectorException extends Exception {
        private static final long serialVersionUID = 1L;

        /**
         * An error for the user.
         *
         * @param message what is wrong and what to do
         */
        public ConnectorException(String message) {
            super(message);
        }

        /**
         * An error for the user, with its cause.
         *
         * @param message what is wrong and what to do
         * @param cause   the underlying error
         */
        public ConnectorException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
