package io.tedge.testkit;

import static io.tedge.testkit.PahoDevice.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.tedge.testkit.CloudMqttStandIn.Acl;

/** The generic stand-in, configured as the connector template's ACME cloud, against Paho devices over TLS. */
class GenericMqttStandInTest {
    private static final TestPki PKI = TestPki.create("acme server CA");
    private static final LiveTrust TRUST = new LiveTrust();
    private static GenericMqttStandIn acme;
    private final List<PahoDevice> devices = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        acme = GenericMqttStandIn.builder("acme", PKI, TRUST).acl(Acl.readWrite("devices/%c/#")).maxQos(1).maxMessageSize(1000).start();
    }

    @AfterAll
    static void stop() {
        acme.close();
    }

    @AfterEach
    void closeDevices() {
        for (PahoDevice d : devices) d.close();
    }

    private PahoDevice device(String clientId, TestPki.Issued identity) throws MqttException {
        PahoDevice d = new PahoDevice(acme.port(), clientId, identity, PKI, null);
        devices.add(d);
        return d;
    }

    private PahoDevice trusted(String id) throws MqttException {
        TestPki.Issued cert = TestPki.selfSignedDevice(id);
        TRUST.add(cert.cert());
        PahoDevice d = device(id, cert).connect();
        acme.awaitConnected(id, WAIT);
        return d;
    }

    @Test
    void aTrustedDeviceWhoseClientIdIsItsCnConnectsOthersDoNot() throws Exception {
        trusted("g-ok");
        PahoDevice untrusted = device("g-untrusted", TestPki.selfSignedDevice("g-untrusted"));
        assertThatThrownBy(untrusted::connect).isInstanceOf(MqttException.class).isNotInstanceOf(MqttSecurityException.class);
        acme.awaitConnectAttempt(a -> a.returnCode() == -1, WAIT);
        TestPki.Issued other = TestPki.selfSignedDevice("g-cn");
        TRUST.add(other.cert());
        PahoDevice wrongId = device("g-not-the-cn", other).connect();
        wrongId.awaitLost();
        assertThat(acme.awaitConnectAttempt(a -> "g-not-the-cn".equals(a.clientId()), WAIT).returnCode()).isEqualTo(5);
    }

    @Test
    void theAclRoutesADevicesOwnTopicsAndClosesOnAnyOther() throws Exception {
        PahoDevice d = trusted("g-acl");
        d.subscribe("devices/g-acl/echo", 1);
        d.subscribe("devices/g-acl/commands/#", 1);
        acme.awaitSubscribed("g-acl", "devices/g-acl/commands/#", WAIT);
        d.pub("devices/g-acl/echo", "token", 1);
        assertThat(d.next()).isEqualTo(new PahoDevice.Msg("devices/g-acl/echo", "token", 1, false));
        d.pub("devices/g-acl/telemetry/t", "21", 1);
        assertThat(acme.awaitReceived(r -> r.topic().equals("devices/g-acl/telemetry/t"), WAIT).text()).isEqualTo("21");
        assertThat(acme.send("g-acl", "devices/g-acl/commands/restart", "now", 1)).isTrue();
        assertThat(d.next()).isEqualTo(new PahoDevice.Msg("devices/g-acl/commands/restart", "now", 1, false));
        d.pub("devices/someone-else/telemetry/t", "x", 1);
        d.awaitLost();
        assertThat(acme.awaitClosure(c -> "g-acl".equals(c.clientId()), WAIT).reason()).contains("may not publish on devices/someone-else");
        assertThat(acme.receivedOn("devices/someone-else/telemetry/t")).isEmpty();
    }

    @Test
    void aMessageForADeviceNotYetSubscribedWaitsForIt() throws Exception {
        assertThat(acme.send("g-late", "devices/g-late/commands/c", "later", 1)).isFalse();
        PahoDevice d = trusted("g-late");
        d.subscribe("devices/g-late/commands/#", 1);
        assertThat(d.next()).isEqualTo(new PahoDevice.Msg("devices/g-late/commands/c", "later", 1, false));
    }

    @Test
    void theSizeAndQosLimitsCloseTheConnection() throws Exception {
        PahoDevice big = trusted("g-big");
        big.pub("devices/g-big/telemetry/t", "x".repeat(1001), 1);
        big.awaitLost();
        assertThat(acme.awaitClosure(c -> "g-big".equals(c.clientId()), WAIT).reason()).startsWith("oversize");
        PahoDevice q2 = trusted("g-q2");
        assertThatThrownBy(() -> q2.pub("devices/g-q2/telemetry/t", "2", 2)).isInstanceOf(MqttException.class);
        assertThat(acme.awaitClosure(c -> "g-q2".equals(c.clientId()), WAIT).reason()).isEqualTo("QoS over 1 is not supported");
        assertThat(acme.receivedOn("devices/g-big/telemetry/t")).isEmpty();
        assertThat(acme.receivedOn("devices/g-q2/telemetry/t")).isEmpty();
    }
}
