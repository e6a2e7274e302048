package io.tedge.testkit;

import static io.tedge.testkit.PahoDevice.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Azure IoT Hub MQTT stand-in against a real MQTT client (Paho) over TLS with device certificates. */
class AzMqttStandInTest {
    private static final String USER = "myhub.azure-devices.net/dev-a/?api-version=2021-04-12";
    private final TestPki pki = TestPki.create("cloud server CA");
    private final LiveTrust trust = new LiveTrust();
    private final TestPki.Issued devA = TestPki.selfSignedDevice("dev-a");
    private final List<PahoDevice> devices = new ArrayList<>();
    private AzMqttStandIn az;

    @BeforeEach
    void start() throws Exception {
        az = AzMqttStandIn.start(pki, trust);
        az.registerDevice("dev-a", devA.cert());
    }

    @AfterEach
    void stop() {
        for (PahoDevice d : devices) d.close();
        az.close();
    }

    private PahoDevice device(String clientId, TestPki.Issued identity, String username) throws MqttException {
        PahoDevice d = new PahoDevice(az.port(), clientId, identity, pki, username);
        devices.add(d);
        return d;
    }

    private PahoDevice connectedA() throws MqttException {
        return device("dev-a", devA, USER).connect();
    }

    @Test
    void registeredThumbprintAndHubUsernameConnect() throws Exception {
        connectedA();
        az.awaitConnected("dev-a", WAIT);
        assertThat(az.connectCount()).isEqualTo(1);
        assertThat(az.connectAttempts()).singleElement().satisfies(a -> assertThat(a.username()).isEqualTo(USER));
        assertThat(AzMqttStandIn.thumbprint(devA.cert())).matches("[0-9A-F]{40}");
    }

    @Test
    void usernameNotOfTheHubFormIsClosedAndRecordedWithCode4() throws Exception {
        String[] bad = {"dev-a", "myhub/other/?api-version=2021-04-12", "myhub/dev-a/", "myhub/dev-a/?foo=1", null};
        for (String u : bad) {
            PahoDevice d = device("dev-a", devA, u);
            d.connect(); // mosquitto answers CONNACK 0; the stand-in closes it when its log shows the user name
            d.awaitLost();
        }
        for (String u : bad) {
            az.awaitConnectAttempt(a -> java.util.Objects.equals(a.username(), u) && a.returnCode() == AzMqttStandIn.BAD_USERNAME, WAIT);
        }
        assertThat(az.rejectedCount()).isEqualTo(5);
        assertThat(az.connectCount()).isZero();
    }

    @Test
    void hostnameIsCheckedWhenSet() throws Exception {
        az.setHostname("localhost");
        PahoDevice wrongHost = device("dev-a", devA, USER).connect();
        wrongHost.awaitLost();
        az.awaitConnectAttempt(a -> a.returnCode() == AzMqttStandIn.BAD_USERNAME, WAIT);
        device("dev-a", devA, "localhost/dev-a/?api-version=2021-04-12").connect();
        az.awaitConnected("dev-a", WAIT);
    }

    @Test
    void unregisteredCertificatesFailTheTlsHandshake() throws Exception {
        PahoDevice stranger = device("dev-x", TestPki.selfSignedDevice("dev-x"), "h/dev-x/?api-version=2021-04-12");
        assertThatThrownBy(stranger::connect).isInstanceOf(MqttException.class).isNotInstanceOf(MqttSecurityException.class);
        // the right CN but another key: not the registered certificate
        PahoDevice impostor = device("dev-a", TestPki.selfSignedDevice("dev-a"), USER);
        assertThatThrownBy(impostor::connect).isInstanceOf(MqttException.class).isNotInstanceOf(MqttSecurityException.class);
        az.awaitConnectAttempt(a -> a.returnCode() == -1 && a.reason().contains("certificate verify failed"), WAIT);
        assertThat(az.connectCount()).isZero();
    }

    @Test
    void registeringADeviceTrustsItsCertificateFromTheNextHandshake() throws Exception {
        TestPki.Issued b = TestPki.selfSignedDevice("dev-b");
        PahoDevice d = device("dev-b", b, "h/dev-b/?api-version=2021-04-12");
        assertThatThrownBy(d::connect).isInstanceOf(MqttException.class);
        az.registerDevice("dev-b", b.cert());
        d.connect();
        az.awaitConnected("dev-b", WAIT);
        assertThat(AzMqttStandIn.thumbprint(b.cert())).matches("[0-9A-F]{40}");
        assertThat(AzMqttStandIn.thumbprintSha256(b.cert())).matches("[0-9A-F]{64}");
    }

    @Test
    void caSignedDeviceTrustedThroughLiveTrustConnects() throws Exception {
        TestPki fleet = TestPki.create("fleet CA");
        trust.add(fleet.caCert());
        az.registerDevice("dev-f");
        device("dev-f", fleet.issueClient("dev-f"), "h/dev-f/?api-version=2021-04-12").connect();
        az.awaitConnected("dev-f", WAIT);
        PahoDevice unknown = device("dev-g", fleet.issueClient("dev-g"), "h/dev-g/?api-version=2021-04-12").connect();
        unknown.awaitLost();
        assertThat(az.awaitConnectAttempt(a -> "dev-g".equals(a.clientId()), WAIT).returnCode()).isEqualTo(5);
    }

    @Test
    void twinGetIsAnswered() throws Exception {
        PahoDevice d = connectedA();
        d.subscribe("$iothub/twin/res/#", 1);
        d.pub("$iothub/twin/GET/?$rid=1", "", 1);
        PahoDevice.Msg m = d.next();
        assertThat(m.topic()).isEqualTo("$iothub/twin/res/200/?$rid=1");
        Map<String, Object> twin = Json.parseObject(m.text());
        assertThat(twin).isEqualTo(Map.of("desired", Map.of("$version", new BigDecimal(1)), "reported", Map.of("$version", new BigDecimal(1))));
    }

    @Test
    void reportedPatchIsAcknowledgedWithTheNewVersion() throws Exception {
        PahoDevice d = connectedA();
        d.subscribe("$iothub/twin/res/#", 1);
        d.pub("$iothub/twin/PATCH/properties/reported/?$rid=7", "{\"fw\":\"1.0\",\"x\":1}", 1);
        assertThat(d.next().topic()).isEqualTo("$iothub/twin/res/204/?$rid=7&$version=2");
        d.pub("$iothub/twin/PATCH/properties/reported/?$rid=8", "{\"x\":null}", 1);
        assertThat(d.next().topic()).isEqualTo("$iothub/twin/res/204/?$rid=8&$version=3");
        assertThat(az.reported("dev-a")).isEqualTo(Map.of("fw", "1.0", "$version", 3L));
        d.pub("$iothub/twin/PATCH/properties/reported/?$rid=9", "not json", 1);
        assertThat(d.next().topic()).isEqualTo("$iothub/twin/res/400/?$rid=9");
        d.pub("$iothub/twin/GET/?$rid=10", "", 1);
        assertThat(Json.parseObject(d.next().text()).get("reported")).isEqualTo(Map.of("fw", "1.0", "$version", new BigDecimal(3)));
    }

    @Test
    void desiredPatchGoesToASubscribedDevice() throws Exception {
        PahoDevice d = connectedA();
        assertThat(az.patchDesired("dev-a", "{\"interval\":5}")).isFalse();
        d.subscribe("$iothub/twin/PATCH/properties/desired/#", 1);
        az.awaitSubscribed("dev-a", "$iothub/twin/PATCH/properties/desired/#", WAIT);
        assertThat(az.patchDesired("dev-a", "{\"interval\":10}")).isTrue();
        PahoDevice.Msg m = d.next();
        assertThat(m.topic()).isEqualTo("$iothub/twin/PATCH/properties/desired/?$version=3");
        assertThat(Json.parseObject(m.text())).containsEntry("interval", new BigDecimal(10));
    }

    @Test
    void qos2PublishClosesTheConnection() throws Exception {
        PahoDevice d = connectedA();
        assertThatThrownBy(() -> d.pub("devices/dev-a/messages/events/", "{\"t\":1}", 2)).isInstanceOf(MqttException.class);
        d.awaitLost();
        az.awaitClosure(c -> c.reason().startsWith("QoS 2"), WAIT);
        assertThat(az.qos2Violations()).singleElement().satisfies(c -> assertThat(c.clientId()).isEqualTo("dev-a"));
        assertThat(az.telemetry()).isEmpty();
        assertThat(az.received()).isEmpty();
    }

    @Test
    void telemetryIsRecordedWithItsPropertyBag() throws Exception {
        PahoDevice d = connectedA();
        d.pub("devices/dev-a/messages/events/%24.ct=application%2Fjson&%24.ce=utf-8&site=a%20b", "{\"temperature\":21}", 1);
        d.pub("devices/dev-a/messages/events/", "{\"t\":2}", 0, true);
        AzMqttStandIn.Telemetry t = az.awaitTelemetry(x -> x.text().contains("temperature"), WAIT);
        assertThat(t.deviceId()).isEqualTo("dev-a");
        assertThat(t.properties()).containsExactly(Map.entry("$.ct", "application/json"), Map.entry("$.ce", "utf-8"), Map.entry("site", "a b"));
        AzMqttStandIn.Telemetry r = az.awaitTelemetry(x -> x.text().equals("{\"t\":2}"), WAIT);
        assertThat(r.properties()).containsEntry("mqtt-retain", "true");
        assertThat(t.qos()).isEqualTo(1);
        assertThat(r.qos()).isZero();
    }

    @Test
    void publishOnAnotherDevicesTopicClosesTheConnection() throws Exception {
        PahoDevice d = connectedA();
        d.pub("devices/dev-b/messages/events/", "spoof", 1); // acknowledged by mosquitto, dropped by its ACL
        d.awaitLost();
        az.awaitClosure(c -> c.reason().startsWith("not authorized"), WAIT);
        assertThat(az.closures()).singleElement().satisfies(c -> assertThat(c.topic()).isEqualTo("devices/dev-b/messages/events/"));
        assertThat(az.telemetry()).isEmpty();
    }

    @Test
    void publishOnATopicTheHubDoesNotHaveClosesTheConnection() throws Exception {
        PahoDevice d = connectedA();
        d.pub("s/us", "211,20", 1);
        d.awaitLost();
        az.awaitClosure(c -> c.reason().equals("topic not supported by IoT Hub: s/us"), WAIT);
    }

    @Test
    void messageOverTheHubsLimitClosesTheConnection() throws Exception {
        PahoDevice d = connectedA();
        d.pub("devices/dev-a/messages/events/", "x".repeat(AzMqttStandIn.MAX_MESSAGE_SIZE), 1);
        az.awaitTelemetry(t -> t.body().length == AzMqttStandIn.MAX_MESSAGE_SIZE, WAIT);
        d.pub("devices/dev-a/messages/events/", "x".repeat(AzMqttStandIn.MAX_MESSAGE_SIZE + 1), 1);
        d.awaitLost();
        az.awaitClosure(c -> c.reason().startsWith("oversize"), WAIT);
        assertThat(az.telemetry()).hasSize(1);
    }

    @Test
    void cloudToDeviceMessageIsDelivered() throws Exception {
        PahoDevice d = connectedA();
        assertThat(az.sendC2D("dev-a", "early")).isFalse(); // kept until the device subscribes
        d.subscribe("devices/dev-a/messages/devicebound/#", 1);
        PahoDevice.Msg early = d.next();
        assertThat(early.text()).isEqualTo("early");
        assertThat(early.topic()).isEqualTo("devices/dev-a/messages/devicebound/%24.to=%2Fdevices%2Fdev-a%2Fmessages%2FdeviceBound");
        assertThat(az.sendC2D("dev-a", "hello", Map.of("k", "v 1"))).isTrue();
        PahoDevice.Msg m = d.next();
        assertThat(m.topic()).endsWith("deviceBound&k=v%201");
        assertThat(m.text()).isEqualTo("hello");
    }

    @Test
    void directMethodIsInvokedAndAnswered() throws Exception {
        PahoDevice d = connectedA();
        d.subscribe("$iothub/methods/POST/#", 1);
        String rid = az.invokeMethod("dev-a", "reboot", "{\"delay\":0}");
        PahoDevice.Msg m = d.next();
        assertThat(m.topic()).isEqualTo("$iothub/methods/POST/reboot/?$rid=" + rid);
        assertThat(m.text()).isEqualTo("{\"delay\":0}");
        d.pub("$iothub/methods/res/200/?$rid=" + rid, "{\"ok\":true}", 1);
        AzMqttStandIn.MethodResponse r = az.awaitMethodResponse(rid, WAIT);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"ok\":true}");
        assertThat(r.deviceId()).isEqualTo("dev-a");
    }

    @Test
    void qos2IsGrantedAs1AndADeviceReceivesOnlyItsOwnMessages() throws Exception {
        PahoDevice a = connectedA();
        assertThat(a.client.subscribeWithResponse("$iothub/twin/res/#", 2).getGrantedQos()).containsExactly(1);
        TestPki.Issued devB = TestPki.selfSignedDevice("dev-b");
        az.registerDevice("dev-b", devB.cert());
        PahoDevice b = device("dev-b", devB, "h/dev-b/?api-version=2021-04-12").connect();
        b.subscribe("devices/dev-b/messages/devicebound/#", 1);
        // mosquitto grants any subscription; its ACL delivers only the device's own messages
        a.subscribe("devices/dev-b/messages/devicebound/#", 1);
        a.subscribe("devices/dev-a/messages/devicebound/#", 1);
        az.awaitSubscribed("dev-a", "devices/dev-a/messages/devicebound/#", WAIT);
        az.awaitSubscribed("dev-b", "devices/dev-b/messages/devicebound/#", WAIT);
        az.sendC2D("dev-b", "for b");
        assertThat(b.next().text()).isEqualTo("for b");
        az.sendC2D("dev-a", "for a");
        assertThat(a.next().text()).isEqualTo("for a"); // and not "for b" before it
    }

    @Test
    void droppedConnectionsReconnect() throws Exception {
        PahoDevice d = connectedA();
        az.awaitConnected("dev-a", WAIT);
        assertThat(az.dropConnections()).isEqualTo(1);
        d.awaitLost();
        d.connect();
        az.awaitConnectCount(2, WAIT);
    }

    @Test
    void unavailableHubRefusesConnectionsUntilItIsBackOnTheSamePort() throws Exception {
        int port = az.port();
        PahoDevice d = connectedA();
        az.setAvailable(false);
        d.awaitLost();
        assertThatThrownBy(d::connect).isInstanceOf(MqttException.class);
        assertThat(az.connectCount()).isEqualTo(1);
        az.setAvailable(true);
        assertThat(az.port()).isEqualTo(port);
        d.connect();
        az.awaitConnectCount(2, WAIT);
        d.subscribe("$iothub/twin/res/#", 1);
        d.pub("$iothub/twin/GET/?$rid=2", "", 1);
        assertThat(d.next().topic()).isEqualTo("$iothub/twin/res/200/?$rid=2");
    }
}
