package io.tedge.c8y.internal;

import io.tedge.testkit.FakeBus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.tedge.api.BridgeRule;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnector.ConnectorException;
import io.tedge.api.CloudLink;

class C8yConnectorTest {

    static Map<String, String> config() {
        Map<String, String> c = new HashMap<>();
        c.put("c8y.url", "mytenant.cumulocity.com");
        c.put("device.id", "rpi-0042");
        c.put("device.key.path", "/etc/tedge/device-certs/tedge-private-key.pem");
        c.put("device.cert.path", "/etc/tedge/device-certs/tedge-certificate.pem");
        c.put("c8y.root.cert.path", "/etc/ssl/certs");
        return c;
    }

    private final C8yConnector connector = new C8yConnector();

    // --- link ---

    @Test
    void linkFromTheConfiguration() throws Exception {
        CloudLink link = connector.link(config());
        assertThat(link.host()).isEqualTo("mytenant.cumulocity.com");
        assertThat(link.port()).isEqualTo(8883);
        assertThat(link.clientId()).isEqualTo("rpi-0042");
        assertThat(link.username()).isNull();
        assertThat(link.keepAliveSeconds()).isEqualTo(60);
        assertThat(link.keyPath()).isEqualTo(Path.of("/etc/tedge/device-certs/tedge-private-key.pem"));
        assertThat(link.certPath()).isEqualTo(Path.of("/etc/tedge/device-certs/tedge-certificate.pem"));
        assertThat(link.rootCertPath()).isEqualTo(Path.of("/etc/ssl/certs"));
        assertThat(link.maxQos()).isEqualTo(2);
        assertThat(link.retainAllowed()).isFalse();
        assertThat(link.maxPayload()).isEqualTo(16184);
        assertThat(link.rules()).isEqualTo(C8yConnector.RULES);
    }

    @ParameterizedTest(name = "c8y.mqtt={0}")
    @CsvSource({
            "mqtt.cumulocity.com:1884, mqtt.cumulocity.com, 1884",
            "mqtt.cumulocity.com, mqtt.cumulocity.com, 8883",
            "127.0.0.1:40123, 127.0.0.1, 40123",
            "'[::1]:8884', ::1, 8884",
            "'[::1]', ::1, 8883",
    })
    void mqttEndpointOverridesTheUrl(String mqtt, String host, int port) throws Exception {
        Map<String, String> c = config();
        c.put("c8y.mqtt", mqtt);
        CloudLink link = connector.link(c);
        assertThat(link.host()).isEqualTo(host);
        assertThat(link.port()).isEqualTo(port);
    }

    @Test
    void mqttEndpointAloneIsEnough() throws Exception {
        Map<String, String> c = config();
        c.remove("c8y.url");
        c.put("c8y.mqtt", "localhost:8883");
        assertThat(connector.link(c).host()).isEqualTo("localhost");
    }

    @ParameterizedTest
    @CsvSource({"host:0", "host:65536", "host:port", "':8883'", "'[::1'", "'[::1]x'"})
    void invalidMqttEndpoint(String mqtt) {
        Map<String, String> c = config();
        c.put("c8y.mqtt", mqtt);
        assertThatThrownBy(() -> connector.link(c)).isInstanceOf(ConnectorException.class)
                .hasMessage("Invalid value for `c8y.mqtt`: '" + mqtt + "' (expected host:port). Fix it with `tedge config set c8y.mqtt <host>:<port>`");
    }

    @Test
    void urlNotSet() {
        Map<String, String> c = config();
        c.remove("c8y.url");
        assertThatThrownBy(() -> connector.link(c)).isInstanceOf(ConnectorException.class)
                .hasMessage("c8y.url is not set. Set it with `tedge config set c8y.url <your-tenant>.cumulocity.com`");
        c.put("c8y.url", " ");
        assertThatThrownBy(() -> connector.link(c)).hasMessageStartingWith("c8y.url is not set.");
    }

    @Test
    void deviceIdNotSet() {
        Map<String, String> c = config();
        c.remove("device.id");
        assertThatThrownBy(() -> connector.link(c)).isInstanceOf(ConnectorException.class)
                .hasMessage("device.id is not set: the device has no certificate yet. Create one with `tedge cert create --device-id <id>`");
    }

    // --- rules ---

    /** The rule forwarding a local topic to the cloud, checking that only one does. */
    static BridgeRule outRule(String local) {
        List<BridgeRule> rules = C8yConnector.RULES.stream().filter(r -> r.toRemote(local) != null).toList();
        assertThat(rules).as("rules forwarding %s", local).hasSizeLessThanOrEqualTo(1);
        return rules.isEmpty() ? null : rules.get(0);
    }

    static BridgeRule inRule(String remote) {
        List<BridgeRule> rules = C8yConnector.RULES.stream().filter(r -> r.toLocal(remote) != null).toList();
        assertThat(rules).as("rules forwarding %s", remote).hasSizeLessThanOrEqualTo(1);
        return rules.isEmpty() ? null : rules.get(0);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "c8y/s/us, s/us", "c8y/s/us/child1, s/us/child1", "c8y/t/us, t/us", "c8y/t/us/child1, t/us/child1",
            "c8y/q/us, q/us", "c8y/c/us, c/us", "c8y/c/us/a/b, c/us/a/b",
            "c8y/s/ut/myTemplates, s/ut/myTemplates", "c8y/s/ut, s/ut",
            "c8y/s/uc/myTemplates, s/uc/myTemplates", "c8y/t/uc/x, t/uc/x", "c8y/q/uc/x, q/uc/x", "c8y/c/uc/x, c/uc/x",
            "c8y/s/uat, s/uat",
            "c8y/measurement/measurements/create, measurement/measurements/create",
            "c8y/measurement/measurements/createBulk, measurement/measurements/createBulk",
            "c8y/event/events/create, event/events/create", "c8y/event/events/createBulk, event/events/createBulk",
            "c8y/alarm/alarms/create, alarm/alarms/create", "c8y/alarm/alarms/createBulk, alarm/alarms/createBulk",
            "c8y/inventory/managedObjects/update/12345, inventory/managedObjects/update/12345",
            "c8y/inventory/managedObjects/update, inventory/managedObjects/update",
    })
    void outbound(String local, String remote) {
        BridgeRule rule = outRule(local);
        assertThat(rule).as("rule for %s", local).isNotNull();
        assertThat(rule.toRemote(local)).isEqualTo(remote);
        assertThat(rule.qos()).isEqualTo(1);
        assertThat(rule.direction()).isEqualTo(BridgeRule.Direction.OUT);
        assertThat(inRule(remote)).as("nothing comes back in on %s", remote).isNull();
    }

    @ParameterizedTest(name = "{0} -> {1} QoS {2}")
    @CsvSource({
            "s/ds, c8y/s/ds, 1", "s/dt, c8y/s/dt, 1", "s/dc/myTemplates, c8y/s/dc/myTemplates, 1", "s/dc, c8y/s/dc, 1",
            "s/e, c8y/s/e, 0", "error, c8y/error, 1", "s/dat, c8y/s/dat, 1",
            "devicecontrol/notifications, c8y/devicecontrol/notifications, 1",
    })
    void inbound(String remote, String local, int qos) {
        BridgeRule rule = inRule(remote);
        assertThat(rule).as("rule for %s", remote).isNotNull();
        assertThat(rule.toLocal(remote)).isEqualTo(local);
        assertThat(rule.qos()).isEqualTo(qos);
        assertThat(rule.direction()).isEqualTo(BridgeRule.Direction.IN);
        assertThat(outRule(local)).as("nothing goes back out from %s", local).isNull();
    }

    @ParameterizedTest
    @CsvSource({"c8y/s/ds", "c8y/s/dat", "c8y/s/uatx", "c8y/s/usx", "c8y/measurement/measurements/create/1", "c8y/foo", "tedge/measurements",
            "s/us", "c8y/event/events/update/1"})
    void notForwardedOut(String local) {
        assertThat(outRule(local)).isNull();
    }

    @ParameterizedTest
    @CsvSource({"s/us", "s/ds/1", "s/dat/x", "errors", "c8y/s/ds", "devicecontrol/notifications/1", "measurement/measurements/create"})
    void notForwardedIn(String remote) {
        assertThat(inRule(remote)).isNull();
    }

    @Test
    void ruleTableAsMosquittoTopicLines() {
        List<String> lines = C8yConnector.RULES.stream()
                .map(r -> r.pattern() + " " + r.direction().name().toLowerCase() + " " + r.qos() + " " + r.localPrefix() + " \"" + r.remotePrefix() + "\"")
                .toList();
        assertThat(lines).containsExactlyInAnyOrder(
                "s/us/# out 1 c8y/ \"\"", "t/us/# out 1 c8y/ \"\"", "q/us/# out 1 c8y/ \"\"", "c/us/# out 1 c8y/ \"\"",
                "s/ut/# out 1 c8y/ \"\"", "s/uc/# out 1 c8y/ \"\"", "t/uc/# out 1 c8y/ \"\"", "q/uc/# out 1 c8y/ \"\"", "c/uc/# out 1 c8y/ \"\"",
                "s/uat out 1 c8y/ \"\"",
                "measurement/measurements/create out 1 c8y/ \"\"", "measurement/measurements/createBulk out 1 c8y/ \"\"",
                "event/events/create out 1 c8y/ \"\"", "event/events/createBulk out 1 c8y/ \"\"",
                "alarm/alarms/create out 1 c8y/ \"\"", "alarm/alarms/createBulk out 1 c8y/ \"\"",
                "inventory/managedObjects/update/# out 1 c8y/ \"\"",
                "s/ds in 1 c8y/ \"\"", "s/dt in 1 c8y/ \"\"", "s/dc/# in 1 c8y/ \"\"", "s/e in 0 c8y/ \"\"", "error in 1 c8y/ \"\"",
                "s/dat in 1 c8y/ \"\"", "devicecontrol/notifications in 1 c8y/ \"\"");
    }

    // --- check ---

    static List<BusMessage> jwt(BusMessage m) {
        return m.topic().equals("c8y/s/uat") ? List.of(BusMessage.of("c8y/s/dat", "71,eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ0In0.c2ln", 0)) : List.of();
    }

    @Test
    void checkCreatesTheDeviceThenAsksForAToken() throws Exception {
        FakeBus bus = new FakeBus().respond(C8yConnectorTest::jwt);
        assertThat(connector.check(bus, config(), Duration.ofSeconds(10))).isEqualTo("Connection check to c8y cloud is successful.");
        assertThat(bus.published).extracting(BusMessage::topic, BusMessage::text, BusMessage::qos, BusMessage::retained).containsExactly(
                org.assertj.core.groups.Tuple.tuple("c8y/s/us", "100,rpi-0042,thin-edge.io", 1, false),
                org.assertj.core.groups.Tuple.tuple("c8y/s/uat", "", 1, false));
        assertThat(bus.openSubscriptions()).isZero();
    }

    @Test
    void checkRetriesTheTokenRequest() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        FakeBus bus = new FakeBus().respond(m -> m.topic().equals("c8y/s/uat") && requests.incrementAndGet() == 3 ? jwt(m) : List.of());
        C8yConnector quick = new C8yConnector(Duration.ofMillis(5));
        assertThat(quick.check(bus, config(), Duration.ofSeconds(30))).isEqualTo("Connection check to c8y cloud is successful.");
        assertThat(bus.on("c8y/s/uat")).hasSize(3);
        assertThat(bus.on("c8y/s/us")).hasSize(1);
    }

    @Test
    void checkFailsWithoutAnAnswer() {
        FakeBus bus = new FakeBus();
        C8yConnector quick = new C8yConnector(Duration.ofMillis(1));
        assertThatThrownBy(() -> quick.check(bus, config(), Duration.ofMillis(300))).isInstanceOf(ConnectorException.class)
                .hasMessage("Connection check failed: no answer from Cumulocity on c8y/s/dat within 0.3 s"
                        + " (is the device certificate trusted by the tenant? run `tedge cert upload c8y --user <user>`)");
        assertThat(bus.on("c8y/s/uat")).hasSize(3);
        assertThat(bus.openSubscriptions()).isZero();
    }

    @Test
    void checkIgnoresOtherAnswers() {
        FakeBus bus = new FakeBus().respond(m -> m.topic().equals("c8y/s/uat")
                ? List.of(BusMessage.of("c8y/s/dat", "41,Unknown", 0), BusMessage.of("c8y/s/e", "71,not-here", 0),
                        BusMessage.of("c8y/s/dat", "710,x", 0))
                : List.of());
        assertThatThrownBy(() -> new C8yConnector(Duration.ofMillis(1)).check(bus, config(), Duration.ofMillis(100)))
                .isInstanceOf(ConnectorException.class).hasMessageStartingWith("Connection check failed: no answer from Cumulocity");
    }

    @Test
    void checkNeedsTheDeviceId() {
        FakeBus bus = new FakeBus();
        Map<String, String> c = config();
        c.remove("device.id");
        assertThatThrownBy(() -> connector.check(bus, c, Duration.ofSeconds(1))).isInstanceOf(ConnectorException.class)
                .hasMessageContaining("tedge cert create --device-id <id>");
        assertThat(bus.published).isEmpty();
    }

    @Test
    void checkReportsABusFailure() {
        FakeBus bus = new FakeBus().failOn("c8y/s/uat");
        assertThatThrownBy(() -> connector.check(bus, config(), Duration.ofSeconds(1))).isInstanceOf(ConnectorException.class)
                .hasMessage("Connection check failed: cannot publish on c8y/s/uat: journal full");
        assertThat(bus.openSubscriptions()).isZero();
    }

    @Test
    void timeoutInTheMessage() {
        assertThat(io.tedge.api.ConnectorConfig.seconds(Duration.ofSeconds(10))).isEqualTo("10");
        assertThat(io.tedge.api.ConnectorConfig.seconds(Duration.ofMillis(1500))).isEqualTo("1.5");
        assertThat(io.tedge.api.ConnectorConfig.seconds(Duration.ofMillis(250))).isEqualTo("0.25");
    }

    @Test
    void smartRestQuoting() {
        assertThat(SmartRest.line("100", "rpi-0042", "thin-edge.io")).isEqualTo("100,rpi-0042,thin-edge.io");
        assertThat(SmartRest.line("100", "a,b", " c", "d\"e", "")).isEqualTo("100,\"a,b\",\" c\",\"d\\\"e\",");
    }
}
