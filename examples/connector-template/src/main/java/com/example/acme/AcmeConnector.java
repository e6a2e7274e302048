package com.example.acme;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.osgi.service.component.annotations.Component;

import io.tedge.api.BridgeRule;
import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnector;
import io.tedge.api.CloudLink;
import io.tedge.api.ConfigKey;
import io.tedge.api.ConnectionCheck;
import io.tedge.api.ConnectorConfig;

/**
 * The ACME cloud: an MQTT broker with TLS and device certificates. The bridge runtime of the agent
 * opens and runs the link; this class only describes it.
 *
 * <ul>
 * <li>keys: {@code acme.url}, {@code acme.mqtt} (default {@code <acme.url>:8883}),
 * {@code acme.root.cert.path} (default /etc/ssl/certs; a private CA's PEM for a private cloud)</li>
 * <li>rules: {@code acme/telemetry/#} out to {@code devices/<id>/telemetry/#},
 * {@code devices/<id>/commands/#} in to {@code acme/commands/#}, and the check's echo topic</li>
 * <li>check: a token on {@code acme/echo}, published to {@code devices/<id>/echo}, which the
 * broker delivers back to the device's subscription; it must come back</li>
 * </ul>
 */
@ConfigKey(key = "acme.url", type = "url", doc = "Host name of the ACME cloud. Example: mqtt.acme.example.com")
@ConfigKey(key = "acme.mqtt", type = "host_port", defaultValue = "${acme.url}:8883", doc = "ACME MQTT endpoint as host:port. Example: mqtt.acme.example.com:8883")
@ConfigKey(key = "acme.root.cert.path", type = "path", defaultValue = "/etc/ssl/certs", doc = "Root certificate(s) of the ACME cloud. Example: /etc/tedge/acme-ca.pem")
@Component(service = CloudConnector.class, property = CloudConnector.CLOUD + "=acme")
public class AcmeConnector implements CloudConnector {
    static final String ECHO_OUT = "acme/echo";
    static final String ECHO_IN = "acme/echo/answer";

    static List<BridgeRule> rules(String id) {
        String device = "devices/" + id + "/";
        return List.of(
                BridgeRule.out("#", 1, "acme/telemetry/", device + "telemetry/"),
                BridgeRule.in("#", 1, "acme/commands/", device + "commands/"),
                BridgeRule.out("", 1, ECHO_OUT, device + "echo"),
                BridgeRule.in("", 1, ECHO_IN, device + "echo"));
    }

    @Override
    public CloudLink link(Map<String, String> config) throws ConnectorException {
        ConnectorConfig cfg = ConnectorConfig.of("acme", config);
        return CloudLink.builder(cfg)                 // acme.mqtt or acme.url, device.id, device key and cert, acme.root.cert.path
                .exampleHost("mqtt.acme.example.com")
                .rules(rules(cfg.deviceId()))
                .maxQos(1)
                .maxPayload(256 * 1024)
                .build();
    }

    @Override
    public String check(Bus bus, Map<String, String> config, Duration timeout) throws ConnectorException, InterruptedException {
        String token = UUID.randomUUID().toString();
        Optional<BusMessage> echo = ConnectionCheck.on(bus)
                .listen(ECHO_IN)
                .request(ECHO_OUT, token)
                .accept(m -> m.text().equals(token))
                .attempts(3, Duration.ofSeconds(2))
                .run(timeout);
        if (echo.isEmpty()) {
            throw new ConnectorException("Connection check failed: no echo from ACME within " + ConnectorConfig.seconds(timeout)
                    + " s (is the device certificate registered at ACME?)");
        }
        return "Connection check to ACME is successful.";
    }
}
