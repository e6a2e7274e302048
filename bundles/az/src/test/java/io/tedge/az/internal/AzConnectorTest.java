package io.tedge.az.internal;

import io.tedge.testkit.FakeBus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

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

class AzConnectorTest {

    static Map<String, String> config() {
        Map<String, String> c = new HashMap<>();
        c.put("az.url", "myhub.azure-devices.net");
        c.put("device.id", "alpha");
        c.put("device.key.path", "/etc/tedge/device-certs/tedge-private-key.pem");
        c.put("device.cert.path", "/etc/tedge/device-certs/tedge-certificate.pem");
        c.put("az.root.cert.path", "/etc/ssl/certs");
        return c;
    }

    private final AzConnector connector = new AzConnector();

    // --- link ---

    @Test
    void linkFromTheConfiguration() throws Exception {
        CloudLink link = connector.link(config());
        assertThat(link.host()).isEqualTo("myhub.azure-devices.net");
        assertThat(link.port()).isEqualTo(8883);
        assertThat(link.clientId()).isEqualTo("alpha");
        assertThat(link.username()).isEqualTo("myhub.azure-devices.net/alpha/?api-version=2021-04-12");
        assertThat(link.keepAliveSeconds()).isEqualTo(60);
        assertThat(link.keyPath()).isEqualTo(Path.of("/etc/tedge/device-certs/tedge-private-key.pem"));
        assertThat(link.certPath()).isEqualTo(Path.of("/etc/tedge/device-certs/tedge-certificate.pem"));
        assertThat(link.rootCertPath()).isEqualTo(Path.of("/etc/ssl/certs"));
        assertThat(link.maxQos()).isEqualTo(1);
        assertThat(link.retainAllowed()).isFalse();
        assertThat(link.maxPayload()).isEqualTo(262144);
        assertThat(link.rules()).isEqualTo(AzConnector.rules("alpha"));
    }

    @Test
    void mqttEndpointOverridesHostAndPortNotTheUserName() throws Exception {
        Map<String, String> c = config();
        c.put("az.mqtt", "127.0.0.1:40123");
        CloudLink link = connector.link(c);
        assertThat(link.host()).isEqualTo("127.0.0.1");
        assertThat(link.port()).isEqualTo(40123);
        assertThat(link.username()).isEqualTo("myhub.azure-devices.net/alpha/?api-version=2021-04-12");
    }

    @Test
    void mqttEndpointAlone() throws Exception {
        Map<String, String> c = config();
        c.remove("az.url");
        c.put("az.mqtt", "otherhub.azure-devices.net");
        CloudLink link = connector.link(c);
        assertThat(link.host()).isEqualTo("otherhub.azure-devices.net");
        assertThat(link.port()).isEqualTo(8883);
        assertThat(link.username()).isEqualTo("otherhub.azure-devices.net/alpha/?api-version=2021-04-12");
    }

    @Test
    void invalidMqttEndpoint() {
        Map<String, String> c = config();
        c.put("az.mqtt", "myhub:x");
        assertThatThrownBy(() -> connector.link(c)).isInstanceOf(ConnectorException.class)
                .hasMessage("Invalid value for `az.mqtt`: 'myhub:x' (expected host:port). Fix it with `tedge config set az.mqtt <host>:<port>`");
    }

    @Test
    void urlNotSet() {
        Map<String, String> c = config();
        c.remove("az.url");
        assertThatThrownBy(() -> connector.link(c)).isInstanceOf(ConnectorException.class)
                .hasMessage("az.url is not set. Set it with `tedge config set az.url <your-hub>.azure-devices.net`");
    }

    @Test
    void deviceIdNotSet() {
        Map<String, String> c = config();
        c.remove("device.id");
        assertThatThrownBy(() -> connector.link(c)).isInstanceOf(ConnectorException.class)
                .hasMessage("device.id is not set: the device has no certificate yet. Create one with `tedge cert create --device-id <id>`");
    }

    // --- rules (bridge_config @2.0.1, test_bridge_config_from_azure_params) ---

    static final List<BridgeRule> RULES = AzConnector.rules("alpha");

    static BridgeRule outRule(String local) {
        List<BridgeRule> rules = RULES.stream().filter(r -> r.toRemote(local) != null).toList();
        assertThat(rules).as("rules forwarding %s", local).hasSizeLessThanOrEqualTo(1);
        return rules.isEmpty() ? null : rules.get(0);
    }

    static BridgeRule inRule(String remote) {
        List<BridgeRule> rules = RULES.stream().filter(r -> r.toLocal(remote) != null).toList();
        assertThat(rules).as("rules forwarding %s", remote).hasSizeLessThanOrEqualTo(1);
        return rules.isEmpty() ? null : rules.get(0);
    }

    @Test
    void ruleTableAsMosquittoTopicLines() {
        assertThat(RULES).extracting(r -> r.pattern() + " " + r.direction().name().toLowerCase() + " " + r.qos() + " " + r.localPrefix() + " "
                + r.remotePrefix()).containsExactlyInAnyOrder(
                        "messages/events/# out 1 az/ devices/alpha/",
                        "messages/devicebound/# in 1 az/ devices/alpha/",
                        "methods/POST/# in 1 az/ $iothub/",
                        "methods/res/# out 1 az/ $iothub/",
                        "twin/res/# in 1 az/ $iothub/",
                        "twin/GET/# out 1 az/ $iothub/",
                        "twin/PATCH/# out 1 az/ $iothub/");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "az/messages/events/, devices/alpha/messages/events/",
            "az/messages/events/$.ct=application%2Fjson, devices/alpha/messages/events/$.ct=application%2Fjson",
            "az/twin/GET/?$rid=1, $iothub/twin/GET/?$rid=1",
            "az/twin/PATCH/properties/reported/?$rid=2, $iothub/twin/PATCH/properties/reported/?$rid=2",
            "az/methods/res/200/?$rid=7, $iothub/methods/res/200/?$rid=7",
    })
    void outbound(String local, String remote) {
        BridgeRule rule = outRule(local);
        assertThat(rule).as("rule for %s", local).isNotNull();
        assertThat(rule.toRemote(local)).isEqualTo(remote);
        assertThat(rule.qos()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "devices/alpha/messages/devicebound/%24.to=%2Fdevices%2Falpha&k=v, az/messages/devicebound/%24.to=%2Fdevices%2Falpha&k=v",
            "$iothub/twin/res/200/?$rid=1, az/twin/res/200/?$rid=1",
            "$iothub/methods/POST/reboot/?$rid=7, az/methods/POST/reboot/?$rid=7",
    })
    void inbound(String remote, String local) {
        BridgeRule rule = inRule(remote);
        assertThat(rule).as("rule for %s", remote).isNotNull();
        assertThat(rule.toLocal(remote)).isEqualTo(local);
        assertThat(rule.qos()).isEqualTo(1);
        assertThat(outRule(local)).as("nothing goes back out from %s", local).isNull();
    }

    @ParameterizedTest
    @CsvSource({"az/messages/devicebound/x", "az/twin/res/200", "az/methods/POST/x", "c8y/s/us", "tedge/measurements", "az/other"})
    void notForwardedOut(String local) {
        assertThat(outRule(local)).isNull();
    }

    @ParameterizedTest
    @CsvSource({"devices/beta/messages/devicebound/x", "devices/alpha/messages/events/", "$iothub/twin/GET/?$rid=1", "$iothub/methods/res/200"})
    void notForwardedIn(String remote) {
        assertThat(inRule(remote)).isNull();
    }

    // --- check ---

    static List<BusMessage> twin(BusMessage m, String status) {
        return m.topic().equals("az/twin/GET/?$rid=1") ? List.of(BusMessage.of("az/twin/res/" + status + "/?$rid=1&$version=3", "{}", 1)) : List.of();
    }

    @Test
    void checkReadsTheTwin() throws Exception {
        FakeBus bus = new FakeBus().respond(m -> twin(m, "200"));
        assertThat(connector.check(bus, config(), Duration.ofSeconds(10))).isEqualTo("Connection check to Azure IoT Hub is successful.");
        assertThat(bus.published).extracting(BusMessage::topic, BusMessage::text, BusMessage::qos, BusMessage::retained)
                .containsExactly(tuple("az/twin/GET/?$rid=1", "", 1, false));
        assertThat(bus.openSubscriptions()).isZero();
    }

    @Test
    void checkRetriesTheTwinRequest() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        FakeBus bus = new FakeBus().respond(m -> requests.incrementAndGet() == 2 ? twin(m, "200") : List.of());
        assertThat(new AzConnector(Duration.ofMillis(5)).check(bus, config(), Duration.ofSeconds(30))).isEqualTo("Connection check to Azure IoT Hub is successful.");
        assertThat(bus.on("az/twin/GET/?$rid=1")).hasSize(2);
    }

    @Test
    void checkFailsWithoutAnAnswer() {
        FakeBus bus = new FakeBus();
        assertThatThrownBy(() -> new AzConnector(Duration.ofMillis(1)).check(bus, config(), Duration.ofMillis(300)))
                .isInstanceOf(ConnectorException.class)
                .hasMessage("Connection check failed: no answer from Azure IoT Hub on az/twin/res/# within 0.3 s"
                        + " (is the device registered in the hub with the thumbprint of its certificate? `tedge cert show` prints it)");
        assertThat(bus.on("az/twin/GET/?$rid=1")).hasSize(3);
        assertThat(bus.openSubscriptions()).isZero();
    }

    @Test
    void checkFailsOnAnotherStatus() {
        FakeBus bus = new FakeBus().respond(m -> twin(m, "429"));
        assertThatThrownBy(() -> new AzConnector(Duration.ofMillis(1)).check(bus, config(), Duration.ofMillis(100)))
                .isInstanceOf(ConnectorException.class)
                .hasMessage("Connection check failed: Azure IoT Hub answered the twin request with status 429 (az/twin/res/429/?$rid=1&$version=3)"
                        + " instead of 200 within 0.1 s");
    }

    @Test
    void aLaterSuccessCounts() throws Exception {
        AtomicInteger requests = new AtomicInteger();
        FakeBus bus = new FakeBus().respond(m -> twin(m, requests.incrementAndGet() == 1 ? "429" : "200"));
        assertThat(new AzConnector(Duration.ofMillis(5)).check(bus, config(), Duration.ofSeconds(30))).isEqualTo("Connection check to Azure IoT Hub is successful.");
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
        FakeBus bus = new FakeBus().failOn("az/twin/GET/?$rid=1");
        assertThatThrownBy(() -> connector.check(bus, config(), Duration.ofSeconds(1))).isInstanceOf(ConnectorException.class)
                .hasMessage("Connection check failed: cannot publish on az/twin/GET/?$rid=1: journal full");
        assertThat(bus.openSubscriptions()).isZero();
    }

    @Test
    void twinResponseStatus() {
        assertThat(AzConnector.status("az/twin/res/200/?$rid=1")).isEqualTo("200");
        assertThat(AzConnector.status("az/twin/res/204/?$rid=200")).isEqualTo("204");
        assertThat(AzConnector.status("az/twin/res/429")).isEqualTo("429");
        assertThat(AzConnector.status("az/other/200")).isEmpty();
    }
}
