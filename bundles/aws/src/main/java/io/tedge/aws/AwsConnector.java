package io.tedge.aws;

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
 * The AWS IoT Core connector: thin-edge.io's aws bridge.
 *
 * <p><b>Endpoint.</b> {@code aws.mqtt} as {@code host[:port]} (default {@code <aws.url>:8883}),
 * client id and user name {@code device.id} (AWS ignores the user name; the certificate, registered
 * in AWS IoT with a policy that allows {@code iot:Connect} on {@code client/<id>}, authenticates),
 * trusted roots from {@code aws.root.cert.path}. QoS 0 and 1 only (AWS IoT never acknowledges
 * QoS 2: the runtime sends QoS 1), no retained publishes, payloads up to 128 KiB.
 *
 * <p><b>Rules</b>, as thin-edge.io 0.12: {@code aws/td/#} to {@code thinedge/<id>/td/#} (out),
 * {@code thinedge/<id>/cmd/#} to {@code aws/cmd/#} (in), {@code aws/shadow/#} and
 * {@code $aws/things/<id>/shadow/#} both ways, and the check's echo: {@code aws/test-connection}
 * out to {@code thinedge/devices/<id>/test-connection}, which AWS delivers back to the device,
 * in as {@code aws/connection-success}.
 *
 * <p><b>Check.</b> A live subscription to {@code aws/connection-success}, a QoS 1 message with a
 * fresh token on {@code aws/test-connection}, up to 5 attempts 2 s apart (as thin-edge.io); the
 * check succeeds when the token comes back.
 */
@ConfigKey(key = "aws.url", type = "url", doc = "Endpoint URL of AWS IoT Core (your account's data endpoint). Example: abc123-ats.iot.eu-west-1.amazonaws.com")
@ConfigKey(key = "aws.mqtt", type = "host_port", defaultValue = "${aws.url}:8883",
        doc = "AWS IoT Core MQTT endpoint as host:port (default: aws.url on port 8883). Example: abc123-ats.iot.eu-west-1.amazonaws.com:8883")
@ConfigKey(key = "aws.root.cert.path", type = "path", defaultValue = "/etc/ssl/certs",
        doc = "Path where AWS IoT root certificate(s) are located. Example: /home/user/.tedge/aws-root-ca.pem")
@Component(service = CloudConnector.class, property = CloudConnector.CLOUD + "=aws")
public class AwsConnector implements CloudConnector {
    static final String CLOUD = "aws";
    static final int MAX_PAYLOAD = 128 * 1024;
    static final int ATTEMPTS = 5;
    static final String TEST = "aws/test-connection";
    static final String SUCCESS_TOPIC = "aws/connection-success";
    static final String SUCCESS = "Connection check to AWS IoT Core is successful.";

    private final Duration attemptInterval;

    /** The DS constructor: check requests 2 s apart. */
    public AwsConnector() {
        this(Duration.ofSeconds(2));
    }

    AwsConnector(Duration attemptInterval) {
        this.attemptInterval = attemptInterval;
    }

    /** The bridge rules of a device. */
    static List<BridgeRule> rules(String id) {
        return List.of(
                BridgeRule.out("#", 1, "aws/td/", "thinedge/" + id + "/td/"),
                BridgeRule.in("#", 1, "aws/cmd/", "thinedge/" + id + "/cmd/"),
                BridgeRule.both("#", 1, "aws/shadow/", "$aws/things/" + id + "/shadow/"),
                BridgeRule.out("", 1, TEST, "thinedge/devices/" + id + "/test-connection"),
                BridgeRule.in("", 1, SUCCESS_TOPIC, "thinedge/devices/" + id + "/test-connection"));
    }

    @Override
    public CloudLink link(Map<String, String> config) throws ConnectorException {
        ConnectorConfig cfg = ConnectorConfig.of(CLOUD, config);
        String id = cfg.deviceId();
        return CloudLink.builder(cfg).exampleHost("<your-endpoint>.iot.<region>.amazonaws.com").username(id).rules(rules(id))
                .maxQos(1).retainAllowed(false).maxPayload(MAX_PAYLOAD).build();
    }

    @Override
    public String check(Bus bus, Map<String, String> config, Duration timeout) throws ConnectorException, InterruptedException {
        ConnectorConfig.of(CLOUD, config).deviceId();
        String token = "{\"tedge-check\":\"" + UUID.randomUUID() + "\"}";
        Optional<BusMessage> echo = ConnectionCheck.on(bus).listen(SUCCESS_TOPIC).request(TEST, token)
                .accept(m -> m.text().equals(token)).attempts(ATTEMPTS, attemptInterval).run(timeout);
        if (echo.isPresent()) return SUCCESS;
        throw new ConnectorException("Connection check failed: no echo from AWS IoT Core on " + SUCCESS_TOPIC + " within "
                + ConnectorConfig.seconds(timeout) + " s (does the policy of the device certificate allow iot:Publish, iot:Subscribe and "
                + "iot:Receive on thinedge/devices/<device id>/test-connection?)");
    }
}
