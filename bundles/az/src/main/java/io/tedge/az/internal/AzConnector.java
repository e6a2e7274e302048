package io.tedge.az.internal;

import static io.tedge.api.ConnectorConfig.deviceId;
import static io.tedge.api.ConnectorConfig.publish;
import static io.tedge.api.ConnectorConfig.seconds;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.service.component.annotations.Component;

import io.tedge.api.BridgeRule;
import io.tedge.api.Bus;
import io.tedge.api.CloudConnector;
import io.tedge.api.CloudLink;
import io.tedge.api.ConnectorConfig;
import io.tedge.api.ConnectorConfig.Endpoint;

/**
 * The Azure IoT Hub connector: the MQTT endpoint, the bridge rules and the connection check of
 * thin-edge.io's az bridge.
 *
 * <p><b>Endpoint.</b> {@code az.mqtt} as {@code host[:port]} (port 8883 when left out), else
 * {@code az.url} on 8883. Client id = {@code device.id}; user name
 * {@code <az.url>/<device.id>/?api-version=2021-04-12} (thin-edge.io sends 2018-06-30; the hub
 * takes both and recommends a current one); no password: the device certificate, registered in
 * the hub by its thumbprint, authenticates. Keep-alive 60 s; trusted roots from
 * {@code az.root.cert.path}. QoS up to 1: IoT Hub closes the connection on a QoS 2 publish, so
 * the runtime downgrades; no retained publishes (the hub does not keep them); payloads up to
 * 262144 bytes (256 KiB), the hub's limit.
 *
 * <p><b>Rules</b>, thin-edge.io's current ones (the devicebound direction, wrong in 0.x, is
 * fixed), all QoS 1, local prefix {@code az/}: out {@code messages/events/#} and in
 * {@code messages/devicebound/#} under {@code devices/<id>/}; out {@code twin/GET/#},
 * {@code twin/PATCH/#} and {@code methods/res/#}, in {@code twin/res/#} and
 * {@code methods/POST/#}, under {@code $iothub/}.
 *
 * <p><b>Check.</b> As {@code tedge connect az} does: a live subscription to
 * {@code az/twin/res/#}, an empty QoS 1 message on {@code az/twin/GET/?$rid=1} (a twin read),
 * and the check succeeds when a response with status 200 arrives
 * ({@code az/twin/res/200/?$rid=...}; upstream looks for "200" anywhere in the topic). The
 * request is sent up to 3 times, 2 s apart, while answers are awaited until the timeout.
 */
@Component(service = CloudConnector.class, property = CloudConnector.CLOUD + "=az")
public class AzConnector implements CloudConnector {

    static final String PREFIX = "az/";
    static final String IOTHUB = "$iothub/";
    static final String API_VERSION = "2021-04-12";
    static final int DEFAULT_PORT = 8883;
    static final int KEEP_ALIVE = 60;
    static final int MAX_QOS = 1;
    static final int MAX_PAYLOAD = 262144;
    static final int ATTEMPTS = 3;
    static final String TWIN_REQUEST = "az/twin/GET/?$rid=1";
    static final String TWIN_RESPONSES = "az/twin/res/#";
    static final String TWIN_RESPONSE_PREFIX = "az/twin/res/";
    static final String SUCCESS = "Connection check to Azure IoT Hub is successful.";

    private final Duration attemptInterval;

    /** The DS constructor: twin requests 2 s apart. */
    public AzConnector() {
        this(Duration.ofSeconds(2));
    }

    AzConnector(Duration attemptInterval) {
        this.attemptInterval = attemptInterval;
    }

    /** The bridge rules of a device. */
    static List<BridgeRule> rules(String deviceId) {
        String device = "devices/" + deviceId + "/";
        return List.of(
                BridgeRule.out("messages/events/#", 1, PREFIX, device),
                BridgeRule.in("messages/devicebound/#", 1, PREFIX, device),
                BridgeRule.out("twin/GET/#", 1, PREFIX, IOTHUB),
                BridgeRule.out("twin/PATCH/#", 1, PREFIX, IOTHUB),
                BridgeRule.in("twin/res/#", 1, PREFIX, IOTHUB),
                BridgeRule.in("methods/POST/#", 1, PREFIX, IOTHUB),
                BridgeRule.out("methods/res/#", 1, PREFIX, IOTHUB));
    }

    @Override
    public CloudLink link(Map<String, String> config) throws ConnectorException {
        ConnectorConfig cfg = ConnectorConfig.of("az", config);
        Endpoint endpoint = cfg.endpoint(DEFAULT_PORT, "<your-hub>.azure-devices.net");
        String deviceId = cfg.deviceId();
        String url = cfg.get("az.url");
        String username = (url != null ? url : endpoint.host()) + "/" + deviceId + "/?api-version=" + API_VERSION;
        return CloudLink.builder(cfg).endpoint(endpoint.host(), endpoint.port()).username(username).keepAliveSeconds(KEEP_ALIVE)
                .rules(rules(deviceId)).maxQos(MAX_QOS).retainAllowed(false).maxPayload(MAX_PAYLOAD).build();
    }

    @Override
    public String check(Bus bus, Map<String, String> config, Duration timeout) throws ConnectorException, InterruptedException {
        deviceId(config);
        BlockingQueue<String> ok = new LinkedBlockingQueue<>(64); // a flood on the twin topics is dropped, not kept
        AtomicReference<String> other = new AtomicReference<>();
        try (Bus.Subscription sub = bus.subscribe(List.of(TWIN_RESPONSES), m -> {
            if ("200".equals(status(m.topic()))) {
                ok.offer(m.topic());
            } else {
                other.set(m.topic());
            }
        })) {
            long deadline = System.nanoTime() + timeout.toNanos();
            int attempts = 0;
            long nextAttempt = System.nanoTime();
            while (true) {
                long now = System.nanoTime();
                if (attempts < ATTEMPTS && now - nextAttempt >= 0) {
                    publish(bus, TWIN_REQUEST, "");
                    attempts++;
                    nextAttempt = now + attemptInterval.toNanos();
                }
                long remaining = deadline - now;
                if (remaining <= 0) break;
                long wait = attempts < ATTEMPTS ? Math.min(remaining, Math.max(nextAttempt - now, 0)) : remaining;
                if (ok.poll(wait, TimeUnit.NANOSECONDS) != null) return SUCCESS;
            }
            if (!ok.isEmpty()) return SUCCESS;
        }
        String answered = other.get();
        if (answered != null) {
            throw new ConnectorException("Connection check failed: Azure IoT Hub answered the twin request with status " + status(answered)
                    + " (" + answered + ") instead of 200 within " + seconds(timeout) + " s");
        }
        throw new ConnectorException("Connection check failed: no answer from Azure IoT Hub on " + TWIN_RESPONSES + " within " + seconds(timeout)
                + " s (is the device registered in the hub with the thumbprint of its certificate? `tedge cert show` prints it)");
    }

    /** The status of a twin response topic {@code az/twin/res/<status>/?$rid=...}. */
    static String status(String topic) {
        if (!topic.startsWith(TWIN_RESPONSE_PREFIX)) return "";
        String rest = topic.substring(TWIN_RESPONSE_PREFIX.length());
        int slash = rest.indexOf('/');
        return slash < 0 ? rest : rest.substring(0, slash);
    }
}
