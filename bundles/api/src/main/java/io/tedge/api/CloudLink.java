package io.tedge.api;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a connector asks the bridge runtime to open: an MQTT 3.1.1 connection over TLS with the
 * device certificate, and the rules to forward along it.
 *
 * @param host           cloud host
 * @param port           cloud port (8883)
 * @param clientId       MQTT client id (usually the device id)
 * @param username       MQTT user name, or null (certificate authentication)
 * @param keepAliveSeconds keep alive
 * @param keyPath        the device key (PEM)
 * @param certPath       the device certificate (PEM, may hold a chain)
 * @param rootCertPath   trusted roots: a PEM file or a folder of them
 * @param rules          forwarding rules
 * @param maxQos         highest QoS the cloud accepts (IoT Hub: 1); higher is downgraded
 * @param retainAllowed  whether retained publishes may go to the cloud (else the flag is cleared)
 * @param maxPayload     largest payload the cloud accepts; larger messages are refused locally
 *                       (logged, published on tedge/errors) instead of breaking the connection
 */
public record CloudLink(String host, int port, String clientId, String username, int keepAliveSeconds, Path keyPath, Path certPath,
                        Path rootCertPath, List<BridgeRule> rules, int maxQos, boolean retainAllowed, int maxPayload) {
    public CloudLink {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(clientId, "clientId");
        rules = List.copyOf(rules);
    }
}
