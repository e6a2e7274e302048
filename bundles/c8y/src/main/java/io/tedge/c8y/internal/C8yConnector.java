package io.tedge.c8y.internal;

import static io.tedge.api.ConnectorConfig.deviceId;
import static io.tedge.api.ConnectorConfig.publish;
import static io.tedge.api.ConnectorConfig.seconds;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Component;

import io.tedge.api.BridgeRule;
import io.tedge.api.Bus;
import io.tedge.api.CloudConnector;
import io.tedge.api.CloudLink;
import io.tedge.api.ConnectorConfig;

/**
 * The Cumulocity connector: the MQTT endpoint, the bridge rules and the connection check of
 * thin-edge.io's c8y bridge.
 *
 * <p><b>Endpoint.</b> {@code c8y.mqtt} as {@code host[:port]} (port 8883 when left out), else
 * {@code c8y.url} on 8883. Client id = {@code device.id} (the CN of the device certificate), no
 * user name (certificate authentication), keep-alive 60 s, the device key and certificate from
 * {@code device.key.path} and {@code device.cert.path}, trusted roots from
 * {@code c8y.root.cert.path}. QoS up to 2; retained publishes are not forwarded (Cumulocity
 * ignores the flag); payloads up to 16184 bytes, Cumulocity's limit.
 *
 * <p><b>Rules.</b> thin-edge.io 0.4.3's table with the JWT topics and the later JSON-over-MQTT
 * topics, all with local prefix {@code c8y/} and no remote prefix:
 * out {@code s/us/#}, {@code t/us/#}, {@code q/us/#}, {@code c/us/#} (a {@code #} also matches
 * the parent level, so {@code c8y/s/us} itself goes to {@code s/us}), {@code s/ut/#},
 * {@code s/uc/#}, {@code t/uc/#}, {@code q/uc/#}, {@code c/uc/#}, {@code s/uat},
 * {@code measurement/measurements/create}, {@code measurement/measurements/createBulk},
 * {@code event/events/create}, {@code event/events/createBulk}, {@code alarm/alarms/create},
 * {@code alarm/alarms/createBulk}, {@code inventory/managedObjects/update/#}; in {@code s/ds},
 * {@code s/dt}, {@code s/dc/#}, {@code s/e}, {@code error}, {@code s/dat},
 * {@code devicecontrol/notifications}. QoS 1 everywhere except {@code s/e} (0), as thin-edge.io
 * 2.x does (0.x used 2; 2.x also bridges {@code s/uat} and {@code s/dat} with QoS 0): the bridge
 * forwards at least once from its journal, so QoS 2 on the cloud hop would only add a round trip.
 *
 * <p><b>Check.</b> As {@code tedge connect c8y} does: the device is created first with
 * {@code 100,<device.id>,thin-edge.io} on {@code c8y/s/us} (QoS 1). thin-edge.io has sent this
 * since 0.3.2, and still does at connect in 2.x, over a direct connection; besides creating a
 * new device, it opens Cumulocity's downstream topics, which stay closed to a device until it
 * has published on {@code s/us} or {@code s/uat}. Then a JWT is asked for: live subscription to
 * {@code c8y/s/dat}, an empty QoS 1 message on {@code c8y/s/uat}, and the check succeeds when
 * an answer starting with {@code 71,} arrives. The request is sent up to 3 times, 2 s apart,
 * while answers are awaited until the timeout.
 */
@Component(service = CloudConnector.class, property = CloudConnector.CLOUD + "=c8y")
public class C8yConnector implements CloudConnector {

    static final String PREFIX = "c8y/";
    static final int DEFAULT_PORT = 8883;
    static final int KEEP_ALIVE = 60;
    static final int MAX_QOS = 2;
    static final int MAX_PAYLOAD = 16184;
    static final int ATTEMPTS = 3;
    static final String DEVICE_TYPE = "thin-edge.io";
    static final String SMARTREST_UP = "c8y/s/us";
    static final String JWT_REQUEST = "c8y/s/uat";
    static final String JWT_RESPONSE = "c8y/s/dat";
    static final String SUCCESS = "Connection check to c8y cloud is successful.";

    /** The bridge rules; the same for every device. */
    static final List<BridgeRule> RULES = List.of(
            out("s/us/#"), out("t/us/#"), out("q/us/#"), out("c/us/#"),
            out("s/ut/#"),
            out("s/uc/#"), out("t/uc/#"), out("q/uc/#"), out("c/uc/#"),
            out("s/uat"),
            out("measurement/measurements/create"), out("measurement/measurements/createBulk"),
            out("event/events/create"), out("event/events/createBulk"),
            out("alarm/alarms/create"), out("alarm/alarms/createBulk"),
            out("inventory/managedObjects/update/#"),
            in("s/ds", 1), in("s/dt", 1), in("s/dc/#", 1), in("s/e", 0), in("error", 1), in("s/dat", 1),
            in("devicecontrol/notifications", 1));

    private final Duration attemptInterval;

    /** The DS constructor: JWT requests 2 s apart. */
    public C8yConnector() {
        this(Duration.ofSeconds(2));
    }

    C8yConnector(Duration attemptInterval) {
        this.attemptInterval = attemptInterval;
    }

    private static BridgeRule out(String pattern) {
        return BridgeRule.out(pattern, 1, PREFIX, "");
    }

    private static BridgeRule in(String pattern, int qos) {
        return BridgeRule.in(pattern, qos, PREFIX, "");
    }

    @Override
    public CloudLink link(Map<String, String> config) throws ConnectorException {
        return CloudLink.builder(ConnectorConfig.of("c8y", config)).defaultPort(DEFAULT_PORT).exampleHost("<your-tenant>.cumulocity.com")
                .keepAliveSeconds(KEEP_ALIVE).rules(RULES).maxQos(MAX_QOS).retainAllowed(false).maxPayload(MAX_PAYLOAD).build();
    }

    @Override
    public String check(Bus bus, Map<String, String> config, Duration timeout) throws ConnectorException, InterruptedException {
        String deviceId = deviceId(config);
        BlockingQueue<String> tokens = new LinkedBlockingQueue<>(64); // a flood on s/dat is dropped, not kept
        try (Bus.Subscription sub = bus.subscribe(List.of(JWT_RESPONSE), m -> {
            String text = m.text();
            if (text.startsWith("71,")) tokens.offer(text);
        })) {
            publish(bus, SMARTREST_UP, SmartRest.line("100", deviceId, DEVICE_TYPE));
            long deadline = System.nanoTime() + timeout.toNanos();
            int attempts = 0;
            long nextAttempt = System.nanoTime();
            while (true) {
                long now = System.nanoTime();
                if (attempts < ATTEMPTS && now - nextAttempt >= 0) {
                    publish(bus, JWT_REQUEST, "");
                    attempts++;
                    nextAttempt = now + attemptInterval.toNanos();
                }
                long remaining = deadline - now;
                if (remaining <= 0) break;
                long wait = attempts < ATTEMPTS ? Math.min(remaining, Math.max(nextAttempt - now, 0)) : remaining;
                if (tokens.poll(wait, TimeUnit.NANOSECONDS) != null) return SUCCESS;
            }
            if (!tokens.isEmpty()) return SUCCESS;
        }
        throw new ConnectorException("Connection check failed: no answer from Cumulocity on " + JWT_RESPONSE + " within "
                + seconds(timeout) + " s (is the device certificate trusted by the tenant? run `tedge cert upload c8y --user <user>`)");
    }
}
