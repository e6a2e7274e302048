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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The AWS IoT Core stand-in against a real MQTT client (Paho) over TLS with device certificates.
 * One stand-in for the class (a mosquitto start is the slow part); each test has its own things.
 */
class AwsMqttStandInTest {
    private static final TestPki PKI = TestPki.create("aws server CA");
    private static final LiveTrust TRUST = new LiveTrust();
    private static AwsMqttStandIn aws;
    private final List<PahoDevice> devices = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        aws = AwsMqttStandIn.start(PKI, TRUST);
    }

    @AfterAll
    static void stop() {
        aws.close();
    }

    @AfterEach
    void closeDevices() {
        for (PahoDevice d : devices) d.close();
    }

    private PahoDevice device(String clientId, TestPki.Issued identity) throws MqttException {
        PahoDevice d = new PahoDevice(aws.port(), clientId, identity, PKI, clientId);
        devices.add(d);
        return d;
    }

    /** A registered thing, connected. */
    private PahoDevice thing(String name) throws MqttException {
        TestPki.Issued id = TestPki.selfSignedDevice(name);
        aws.registerThing(name, id.cert());
        PahoDevice d = device(name, id).connect();
        aws.awaitConnected(name, WAIT);
        return d;
    }

    @Test
    void aRegisteredThingConnectsWithItsCertificateAndItsNameAsClientId() throws Exception {
        thing("t-connect");
        assertThat(aws.awaitConnectAttempt(a -> "t-connect".equals(a.clientId()), WAIT))
                .satisfies(a -> assertThat(a.returnCode()).isZero())
                .satisfies(a -> assertThat(a.certificateCn()).isEqualTo("t-connect"));
    }

    @Test
    void anUnregisteredCertificateFailsTheTlsHandshake() throws Exception {
        PahoDevice stranger = device("t-stranger", TestPki.selfSignedDevice("t-stranger"));
        assertThatThrownBy(stranger::connect).isInstanceOf(MqttException.class).isNotInstanceOf(MqttSecurityException.class);
        aws.awaitConnectAttempt(a -> a.returnCode() == -1 && a.reason().startsWith("TLS"), WAIT);
        assertThat(aws.connectedDevices()).doesNotContain("t-stranger");
    }

    @Test
    void aClientIdThatIsNotTheThingOfTheCertificateIsClosed() throws Exception {
        TestPki.Issued a = TestPki.selfSignedDevice("t-a");
        aws.registerThing("t-a", a.cert());
        aws.registerThing("t-b", TestPki.selfSignedDevice("t-b").cert());
        PahoDevice asB = device("t-b", a).connect(); // t-a's certificate, t-b's name: not attached to t-b
        asB.awaitLost();
        assertThat(aws.awaitConnectAttempt(x -> "t-b".equals(x.clientId()), WAIT).returnCode()).isEqualTo(5);
        PahoDevice unknown = device("t-nobody", a).connect(); // no such thing
        unknown.awaitLost();
        assertThat(aws.awaitConnectAttempt(x -> "t-nobody".equals(x.clientId()), WAIT).reason()).contains("no thing 't-nobody'");
        PahoDevice tooLong = device("t".repeat(AwsMqttStandIn.MAX_CLIENT_ID + 1), a).connect();
        tooLong.awaitLost();
        assertThat(aws.awaitConnectAttempt(x -> x.clientId() != null && x.clientId().length() > 128, WAIT).returnCode()).isEqualTo(2);
        assertThat(aws.connectedDevices()).doesNotContain("t-b", "t-nobody");
    }

    @Test
    void aCaSignedThingConnectsThroughTheTrust() throws Exception {
        TestPki fleet = TestPki.create("aws fleet CA");
        TRUST.add(fleet.caCert());
        try {
            aws.registerThing("t-fleet");
            device("t-fleet", fleet.issueClient("t-fleet")).connect();
            aws.awaitConnected("t-fleet", WAIT);
        } finally {
            TRUST.remove(fleet.caCert());
        }
    }

    @Test
    void telemetryOutCommandsInAndTheEchoOfTheConnectionCheck() throws Exception {
        PahoDevice d = thing("t-flow");
        d.subscribe("thinedge/devices/t-flow/test-connection", 1);
        d.subscribe("thinedge/t-flow/cmd/#", 1);
        aws.awaitSubscribed("t-flow", "thinedge/t-flow/cmd/#", WAIT);
        d.pub("thinedge/devices/t-flow/test-connection", "{\"token\":1}", 1);
        assertThat(d.next()).isEqualTo(new PahoDevice.Msg("thinedge/devices/t-flow/test-connection", "{\"token\":1}", 1, false));
        d.pub("thinedge/t-flow/td/temp", "{\"t\":1}", 1);
        CloudMqttStandIn.Received td = aws.awaitReceived(r -> r.topic().equals("thinedge/t-flow/td/temp"), WAIT);
        assertThat(td.text()).isEqualTo("{\"t\":1}");
        assertThat(td.qos()).isEqualTo(1);
        assertThat(td.clientId()).isEqualTo("t-flow");
        assertThat(aws.send("t-flow", "thinedge/t-flow/cmd/restart", "now", 1)).isTrue();
        assertThat(d.next()).isEqualTo(new PahoDevice.Msg("thinedge/t-flow/cmd/restart", "now", 1, false));
        assertThat(aws.receivedOn("thinedge/t-flow/td/temp")).containsExactly("{\"t\":1}");
    }

    @Test
    void aTopicThePolicyDoesNotAllowClosesTheConnection() throws Exception {
        PahoDevice d = thing("t-policy");
        d.pub("thinedge/someone-else/td/temp", "1", 1); // mosquitto acknowledges, drops, the stand-in closes
        d.awaitLost();
        assertThat(aws.awaitClosure(c -> "t-policy".equals(c.clientId()), WAIT).reason())
                .contains("does not allow iot:Publish on thinedge/someone-else/td/temp");
        PahoDevice again = thing("t-policy2");
        again.pub("$aws/things/t-policy2/shadow/update/accepted", "{}", 1); // a reserved topic only AWS publishes on
        again.awaitLost();
        aws.awaitClosure(c -> "t-policy2".equals(c.clientId()), WAIT);
        assertThat(aws.receivedOn("thinedge/someone-else/td/temp")).isEmpty();
    }

    @Test
    void aPayloadOver128KiBClosesTheConnectionAndIsNotKept() throws Exception {
        PahoDevice d = thing("t-big");
        d.pub("thinedge/t-big/td/ok", "x".repeat(AwsMqttStandIn.MAX_PAYLOAD), 1);
        aws.awaitReceived(r -> r.topic().equals("thinedge/t-big/td/ok"), WAIT);
        d.pub("thinedge/t-big/td/big", "x".repeat(AwsMqttStandIn.MAX_PAYLOAD + 1), 1);
        d.awaitLost();
        assertThat(aws.awaitClosure(c -> "t-big".equals(c.clientId()), WAIT).reason()).startsWith("oversize");
        assertThat(aws.receivedOn("thinedge/t-big/td/big")).isEmpty();
    }

    @Test
    void qos2PublishClosesTheConnectionAndQos2SubscriptionIsGrantedAs1() throws Exception {
        PahoDevice d = thing("t-qos");
        d.subscribe("thinedge/t-qos/cmd/#", 2);
        assertThat(aws.awaitSubscribed("t-qos", "thinedge/t-qos/cmd/#", WAIT).granted()).isEqualTo(1);
        assertThatThrownBy(() -> d.pub("thinedge/t-qos/td/x", "2", 2)).isInstanceOf(MqttException.class);
        assertThat(aws.awaitClosure(c -> "t-qos".equals(c.clientId()), WAIT).reason()).isEqualTo("QoS 2 is not supported by AWS IoT Core");
        assertThat(aws.receivedOn("thinedge/t-qos/td/x")).isEmpty();
    }

    @Test
    void theShadowServiceAcceptsUpdatesAnswersGetsAndSendsTheDelta() throws Exception {
        PahoDevice d = thing("t-shadow");
        d.subscribe("$aws/things/t-shadow/shadow/#", 1);
        aws.awaitSubscribed("t-shadow", "$aws/things/t-shadow/shadow/#", WAIT);
        d.pub("$aws/things/t-shadow/shadow/get", "", 1);
        assertThat(d.await(m -> m.topic().endsWith("/get/rejected")).text()).contains("\"code\":404");

        d.pub("$aws/things/t-shadow/shadow/update", "{\"state\":{\"reported\":{\"on\":false,\"fw\":\"1.0\"}},\"clientToken\":\"c1\"}", 1);
        Map<String, Object> accepted = Json.parseObject(d.await(m -> m.topic().equals("$aws/things/t-shadow/shadow/update/accepted")).text());
        assertThat(accepted).containsEntry("version", new BigDecimal(1)).containsEntry("clientToken", "c1")
                .containsEntry("state", Map.of("reported", Map.of("on", false, "fw", "1.0")));
        assertThat(d.await(m -> m.topic().endsWith("/update/documents")).text()).contains("\"current\":{\"state\":{\"reported\"");
        assertThat(aws.reported("t-shadow")).isEqualTo(Map.of("on", false, "fw", "1.0"));

        assertThat(aws.updateDesired("t-shadow", "{\"on\":true,\"fw\":\"1.0\"}")).isEqualTo(2);
        Map<String, Object> delta = Json.parseObject(d.await(m -> m.topic().equals("$aws/things/t-shadow/shadow/update/delta")).text());
        assertThat(delta).containsEntry("state", Map.of("on", true)).containsEntry("version", new BigDecimal(2));

        d.pub("$aws/things/t-shadow/shadow/get", "{\"clientToken\":\"c2\"}", 1);
        Map<String, Object> doc = Json.parseObject(d.await(m -> m.topic().endsWith("/get/accepted")).text());
        assertThat(doc).containsEntry("version", new BigDecimal(2)).containsEntry("clientToken", "c2")
                .containsEntry("state", Map.of("desired", Map.of("on", true, "fw", "1.0"), "reported", Map.of("on", false, "fw", "1.0"),
                        "delta", Map.of("on", true)));

        d.pub("$aws/things/t-shadow/shadow/update", "not json", 1);
        assertThat(d.await(m -> m.topic().endsWith("/update/rejected")).text()).contains("\"code\":400").contains("invalid json");
        d.pub("$aws/things/t-shadow/shadow/update", "{\"state\":{\"reported\":{\"on\":true}},\"version\":1}", 1);
        assertThat(d.await(m -> m.topic().endsWith("/update/rejected")).text()).contains("\"code\":409");
        d.pub("$aws/things/t-shadow/shadow/update", "{\"state\":{\"reported\":{\"fw\":null}}}", 1);
        d.await(m -> m.topic().endsWith("/update/accepted"));
        assertThat(aws.reported("t-shadow")).isEqualTo(Map.of("on", false));
        assertThat(aws.shadowVersion("t-shadow")).isEqualTo(3);

        d.pub("$aws/things/t-shadow/shadow/delete", "", 1);
        assertThat(d.await(m -> m.topic().endsWith("/delete/accepted")).text()).contains("\"version\":3");
        assertThat(aws.shadowVersion("t-shadow")).isZero();
        assertThat(aws.closures()).noneMatch(c -> "t-shadow".equals(c.clientId()));
    }

    @Test
    void namedShadowsAreKeptApart() throws Exception {
        PahoDevice d = thing("t-named");
        d.subscribe("$aws/things/t-named/shadow/#", 1);
        aws.awaitSubscribed("t-named", "$aws/things/t-named/shadow/#", WAIT);
        d.pub("$aws/things/t-named/shadow/name/config/update", "{\"state\":{\"reported\":{\"x\":1}}}", 1);
        assertThat(d.await(m -> m.topic().equals("$aws/things/t-named/shadow/name/config/update/accepted")).text()).contains("\"version\":1");
        assertThat(aws.shadowVersion("t-named")).isZero(); // the classic shadow is another one
    }
}
