package io.tedge.testkit;

import static io.tedge.testkit.PahoDevice.WAIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttSecurityException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Cumulocity MQTT stand-in against a real MQTT client (Paho) over TLS with device certificates. */
class C8yMqttStandInTest {
    private final TestPki pki = TestPki.create("cloud server CA");
    private final LiveTrust trust = new LiveTrust();
    private final TestPki.Issued dev1 = TestPki.selfSignedDevice("dev-1");
    private final List<PahoDevice> devices = new ArrayList<>();
    private C8yMqttStandIn c8y;

    @BeforeEach
    void start() throws Exception {
        trust.add(dev1.cert());
        c8y = C8yMqttStandIn.start(pki, trust);
    }

    @AfterEach
    void stop() {
        for (PahoDevice d : devices) d.close();
        c8y.close();
    }

    private PahoDevice device(String clientId, TestPki.Issued identity) throws MqttException {
        PahoDevice d = new PahoDevice(c8y.port(), clientId, identity, pki, null);
        devices.add(d);
        return d;
    }

    private PahoDevice connected(String clientId, TestPki.Issued identity) throws MqttException {
        return device(clientId, identity).connect();
    }

    @Test
    void trustedDeviceWhoseCnIsTheClientIdConnects() throws Exception {
        connected("dev-1", dev1);
        c8y.awaitConnected("dev-1", WAIT);
        assertThat(c8y.connectCount()).isEqualTo(1);
        assertThat(c8y.rejectedCount()).isZero();
        assertThat(c8y.connectAttempts()).singleElement()
                .satisfies(a -> assertThat(a.certificateCn()).isEqualTo("dev-1"))
                .satisfies(a -> assertThat(a.returnCode()).isZero());
        assertThat(c8y.hostPort()).isEqualTo("127.0.0.1:" + c8y.port());
    }

    @Test
    void clientIdWithConnectionTypeAndTemplateIsMatchedOnItsIdPart() throws Exception {
        connected("d:dev-1:myTemplate", dev1);
        c8y.awaitConnected("dev-1", WAIT);
        assertThat(c8y.connectedDevices()).containsExactly("dev-1");
    }

    @Test
    void sameDeviceUnderAnotherClientIdFormClosesTheFirstConnection() throws Exception {
        PahoDevice first = connected("dev-1", dev1);
        connected("d:dev-1", dev1);
        first.awaitLost();
        c8y.awaitConnected("dev-1", WAIT);
        assertThat(c8y.connectCount()).isEqualTo(2);
    }

    @Test
    void certificateWhoseCnIsNotTheClientIdIsClosedAndRecordedWithCode5() throws Exception {
        TestPki.Issued dev2 = TestPki.selfSignedDevice("dev-2");
        trust.add(dev2.cert());
        PahoDevice d = device("dev-1", dev2);
        d.connect(); // mosquitto answers CONNACK 0; the stand-in closes the connection when its log shows it
        d.pub("s/us", "211,66", 0);
        d.awaitLost();
        CloudMqttStandIn.ConnectAttempt a = c8y.awaitConnectAttempt(x -> x.returnCode() != 0, WAIT);
        assertThat(a.returnCode()).isEqualTo(5);
        assertThat(a.certificateCn()).isEqualTo("dev-2");
        assertThat(a.reason()).contains("dev-2").contains("dev-1");
        assertThat(c8y.rejectedCount()).isEqualTo(1);
        assertThat(c8y.connectCount()).isZero();
        assertThat(c8y.connectedDevices()).isEmpty();
        // what it published before it was closed is not the cloud's
        connected("dev-1", dev1).pub("s/us", "211,67", 1);
        c8y.awaitSmartRest("211,67", WAIT);
        assertThat(c8y.smartRestLines()).extracting(C8yMqttStandIn.SmartRestLine::line).containsExactly("211,67");
    }

    @Test
    void untrustedCertificateWithTheRightCnFailsTheTlsHandshake() throws Exception {
        PahoDevice d = device("dev-1", TestPki.selfSignedDevice("dev-1"));
        assertThatThrownBy(d::connect).isInstanceOf(MqttException.class).isNotInstanceOf(MqttSecurityException.class);
        CloudMqttStandIn.ConnectAttempt a = c8y.awaitConnectAttempt(x -> true, WAIT);
        assertThat(a.returnCode()).isEqualTo(-1);
        assertThat(a.reason()).contains("certificate verify failed");
        assertThat(c8y.rejectedCount()).isEqualTo(1);
        // the trusted device still gets in
        connected("dev-1", dev1);
        c8y.awaitConnected("dev-1", WAIT);
    }

    @Test
    void clientWithoutCertificateAndPlainTcpAreRefused() throws Exception {
        MqttClient noCert = new MqttClient("ssl://127.0.0.1:" + c8y.port(), "dev-1", new MemoryPersistence());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1); // else Paho tries again with 3.1
        o.setConnectionTimeout(10);
        o.setSocketFactory(TestPki.clientContext(null, new LiveTrust(pki.caCert())).getSocketFactory());
        assertThatThrownBy(() -> noCert.connect(o)).isInstanceOf(MqttException.class);
        noCert.close();
        c8y.awaitConnectAttempt(a -> a.returnCode() == -1 && a.reason().contains("certificate"), WAIT);

        MqttClient plain = new MqttClient("tcp://127.0.0.1:" + c8y.port(), "dev-1", new MemoryPersistence());
        MqttConnectOptions p = new MqttConnectOptions();
        p.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        p.setConnectionTimeout(10);
        assertThatThrownBy(() -> plain.connect(p)).isInstanceOf(MqttException.class);
        plain.close();
        c8y.awaitConnectAttempt(a -> a.returnCode() == -1 && a.reason().contains("wrong version number"), WAIT);
        assertThat(c8y.connectCount()).isZero();
        assertThat(c8y.rejectedCount()).as("%s", c8y.connectAttempts()).isEqualTo(2);
    }

    @Test
    void mosquittoClientsWithAndWithoutATrustedCertificate() throws Exception {
        Path certs = Files.createTempDirectory("c8y-standin-test");
        try {
            dev1.writeCert(certs.resolve("dev1.pem"));
            dev1.writeKey(certs.resolve("dev1.key"));
            TestPki.Issued rogue = TestPki.selfSignedDevice("dev-1");
            rogue.writeCert(certs.resolve("rogue.pem"));
            rogue.writeKey(certs.resolve("rogue.key"));
            pki.writeCaPem(certs.resolve("ca.pem"));
            ProcessResult ok = mosquittoPub(certs, "dev1", "211,31");
            assertThat(ok.code()).as(ok.out()).isZero();
            C8yMqttStandIn.SmartRestLine l = c8y.awaitSmartRest("211,31", WAIT);
            assertThat(l.device()).isEqualTo("dev-1");
            assertThat(c8y.awaitReceived(r -> r.text().equals("211,31"), WAIT).qos()).isEqualTo(1);
            ProcessResult refused = mosquittoPub(certs, "rogue", "211,32");
            assertThat(refused.code()).as(refused.out()).isNotZero();
            c8y.awaitConnectAttempt(a -> a.returnCode() == -1, WAIT);
            assertThat(c8y.smartRestLines()).noneMatch(x -> x.line().equals("211,32"));
        } finally {
            try (var files = Files.list(certs)) {
                files.forEach(f -> f.toFile().delete());
            }
            Files.delete(certs);
        }
    }

    private record ProcessResult(int code, String out) {
    }

    private ProcessResult mosquittoPub(Path certs, String who, String message) throws Exception {
        Process p = new ProcessBuilder("mosquitto_pub", "-h", "127.0.0.1", "-p", Integer.toString(c8y.port()), "--cafile",
                certs.resolve("ca.pem").toString(), "--cert", certs.resolve(who + ".pem").toString(), "--key",
                certs.resolve(who + ".key").toString(), "-i", "dev-1", "-q", "1", "-t", "s/us", "-m", message).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new ProcessResult(p.exitValue(), out);
    }

    @Test
    void leafOfATrustedFleetCaIsAccepted() throws Exception {
        TestPki fleet = TestPki.create("fleet CA");
        trust.add(fleet.caCert());
        connected("dev-7", fleet.issueClient("dev-7"));
        c8y.awaitConnected("dev-7", WAIT);
    }

    @Test
    void certificateUploadedOverRestIsTrustedAtOnce() throws Exception {
        TestPki.Issued dev9 = TestPki.selfSignedDevice("dev-9");
        assertThatThrownBy(() -> connected("dev-9", dev9)).isInstanceOf(MqttException.class);
        try (C8yHttpStandIn http = C8yHttpStandIn.start(pki, trust, "pw")) {
            HttpClient client = HttpClient.newBuilder().sslContext(pki.clientContext()).connectTimeout(WAIT).build();
            String body = Json.object(Map.of("name", "dev-9", "certInPemFormat", dev9.certPem(), "autoRegistrationEnabled", true,
                    "status", "ENABLED"));
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://" + http.hostPort()
                    + "/tenant/tenants/t12345/trusted-certificates")).timeout(WAIT)
                    .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("admin:pw".getBytes(StandardCharsets.UTF_8)))
                    .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(201);
        }
        connected("dev-9", dev9);
        c8y.awaitConnected("dev-9", WAIT);
    }

    @Test
    void jwtRequestIsAnsweredWith71AndASignedToken() throws Exception {
        PahoDevice d = connected("dev-1", dev1);
        d.subscribe("s/dat", 0);
        d.pub("s/uat", "", 0);
        PahoDevice.Msg m = d.next();
        assertThat(m.topic()).isEqualTo("s/dat");
        assertThat(m.text()).startsWith("71,");
        String jwt = m.text().substring(3);
        Map<String, Object> claims = c8y.jwtClaims(jwt);
        assertThat(claims).containsEntry("sub", "device_dev-1").containsEntry("ten", "t12345").containsEntry("iss", "127.0.0.1");
        assertThat(((BigDecimal) claims.get("exp")).longValue()).isGreaterThan(Instant.now().getEpochSecond());
        // base64url without padding, as thin-edge.io decodes it
        assertThat(jwt.split("\\.")[1]).doesNotContain("=", "+", "/");
        String tampered = jwt.substring(0, jwt.length() - 2) + (jwt.endsWith("AA") ? "BB" : "AA");
        assertThatThrownBy(() -> c8y.jwtClaims(tampered)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deviceCreationTemperatureAndChildren() throws Exception {
        PahoDevice d = connected("dev-1", dev1);
        d.subscribe("s/e", 0);
        d.pub("s/us", "100,dev-1,thin-edge.io", 1);
        c8y.awaitSmartRest("100,dev-1,thin-edge.io", WAIT);
        assertThat(c8y.devices()).containsExactly("dev-1");
        d.pub("s/us", "100,dev-1,thin-edge.io", 1);
        assertThat(d.next().text()).isEqualTo("41,100,Device already existing");

        d.pub("s/us", "211,20", 1);
        C8yMqttStandIn.SmartRestLine line = c8y.awaitSmartRest("211,20", WAIT);
        assertThat(line.device()).isEqualTo("dev-1");
        assertThat(line.child()).isNull();
        assertThat(line.topic()).isEqualTo("s/us");
        assertThat(line.qos()).isEqualTo(1);
        C8yMqttStandIn.JsonMessage t = c8y.awaitMeasurement(x -> x.json().containsKey("c8y_TemperatureMeasurement"), WAIT);
        assertThat(t.source()).isEqualTo("dev-1");
        assertThat(t.json()).containsEntry("type", "c8y_TemperatureMeasurement");
        assertThat(t.json().get("c8y_TemperatureMeasurement"))
                .isEqualTo(Map.of("T", Map.of("value", new BigDecimal("20"), "unit", "C")));

        d.pub("s/us", "101,child1,child1,thin-edge.io-child\n200,c8y_Pressure,P,1013.2,hPa", 1);
        d.pub("s/us/child1", "212,87", 1);
        C8yMqttStandIn.JsonMessage battery = c8y.awaitMeasurement(x -> x.json().containsKey("c8y_Battery"), WAIT);
        assertThat(battery.source()).isEqualTo("child1");
        assertThat(c8y.children("dev-1")).containsExactly("child1");
        assertThat(c8y.smartRestLines()).extracting(C8yMqttStandIn.SmartRestLine::line)
                .containsExactly("100,dev-1,thin-edge.io", "100,dev-1,thin-edge.io", "211,20", "101,child1,child1,thin-edge.io-child",
                        "200,c8y_Pressure,P,1013.2,hPa", "212,87");
        assertThat(c8y.measurements()).hasSize(3);

        d.pub("s/us", "211,warm", 1);
        assertThat(d.next().text()).isEqualTo("45,211,Value is not a number: warm");
    }

    @Test
    void operationIsSentWhenTheDeviceIsSubscribed() throws Exception {
        TestPki.Issued dev2 = TestPki.selfSignedDevice("dev-2");
        trust.add(dev2.cert());
        PahoDevice d1 = connected("dev-1", dev1);
        d1.subscribe("s/ds", 1);
        c8y.awaitSubscribed("dev-1", "s/ds", WAIT);
        assertThat(c8y.sendOperation("dev-1", "510,dev-1")).isTrue();
        PahoDevice.Msg m1 = d1.next();
        assertThat(m1.topic()).isEqualTo("s/ds");
        assertThat(m1.text()).isEqualTo("510,dev-1");
        assertThat(m1.qos()).isEqualTo(1);
        // dev-2 is not connected: kept until it subscribes
        assertThat(c8y.sendOperation("dev-2", "511,dev-2,\"ls -l\"")).isFalse();
        PahoDevice d2 = connected("dev-2", dev2);
        d2.subscribe("s/ds", 1);
        assertThat(d2.next().text()).isEqualTo("511,dev-2,\"ls -l\"");
        // s/ds carries no device id and mosquitto has one topic space: dev-1 gets it too
        assertThat(d1.next().text()).isEqualTo("511,dev-2,\"ls -l\"");
        assertThat(c8y.sendJsonNotification("dev-1", "{\"c8y_Restart\":{}}")).isFalse(); // not subscribed yet: kept
        d1.subscribe("devicecontrol/notifications", 1);
        PahoDevice.Msg n = d1.next();
        assertThat(n.topic()).isEqualTo("devicecontrol/notifications");
        assertThat(n.text()).isEqualTo("{\"c8y_Restart\":{}}");
    }

    @Test
    void eachMessageIsRecordedWithItsDeviceQosAndRetainFlag() throws Exception {
        TestPki.Issued dev2 = TestPki.selfSignedDevice("dev-2");
        trust.add(dev2.cert());
        PahoDevice d1 = connected("dev-1", dev1);
        PahoDevice d2 = connected("d:dev-2", dev2);
        for (int i = 0; i < 30; i++) {
            d1.pub("s/us", "200,c8y_A,v," + i, i % 3);
            d2.pub("s/us", "200,c8y_A,v," + i, (i + 1) % 3, i % 5 == 0);
        }
        c8y.awaitReceived(r -> r.text().equals("200,c8y_A,v,29") && "d:dev-2".equals(r.clientId()), WAIT);
        c8y.awaitReceived(r -> r.text().equals("200,c8y_A,v,29") && "dev-1".equals(r.clientId()), WAIT);
        List<CloudMqttStandIn.Received> all = c8y.received();
        assertThat(all).hasSize(60);
        for (int i = 0; i < 30; i++) {
            String text = "200,c8y_A,v," + i;
            int n = i;
            assertThat(all).filteredOn(r -> r.text().equals(text) && "dev-1".equals(r.clientId())).singleElement()
                    .satisfies(r -> assertThat(r.qos()).isEqualTo(n % 3)).satisfies(r -> assertThat(r.retain()).isFalse());
            assertThat(all).filteredOn(r -> r.text().equals(text) && "d:dev-2".equals(r.clientId())).singleElement()
                    .satisfies(r -> assertThat(r.qos()).isEqualTo((n + 1) % 3)).satisfies(r -> assertThat(r.retain()).isEqualTo(n % 5 == 0));
        }
        assertThat(c8y.smartRestLines()).filteredOn(l -> l.device().equals("dev-2")).hasSize(30);
        // each device's messages in the order it sent them (QoS 2 ones are handed over at PUBREL)
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            if (i % 3 < 2) expected.add("200,c8y_A,v," + i);
        }
        assertThat(all.stream().filter(r -> "dev-1".equals(r.clientId()) && r.qos() < 2).map(CloudMqttStandIn.Received::text).toList())
                .isEqualTo(expected);
    }

    @Test
    void operationSentWhileTheDeviceIsAwayArrivesWhenItSubscribes() throws Exception {
        assertThat(c8y.sendOperation("dev-1", "510,dev-1")).isFalse();
        PahoDevice d = connected("dev-1", dev1);
        d.subscribe("s/ds", 1);
        assertThat(d.next().text()).isEqualTo("510,dev-1");
        assertThat(c8y.sent()).extracting(CloudMqttStandIn.Sent::delivered).containsExactly(false, true);
    }

    @Test
    void jsonMeasurementIsRecordedAndInvalidJsonIsAnsweredOnError() throws Exception {
        PahoDevice d = connected("dev-1", dev1);
        d.subscribe("error", 1);
        d.pub("measurement/measurements/create",
                "{\"type\":\"ThinEdgeMeasurement\",\"time\":\"2021-09-06T17:35:14.000+02:00\",\"temperature\":{\"temperature\":{\"value\":23.0}}}", 1);
        C8yMqttStandIn.JsonMessage m = c8y.awaitMeasurement(x -> "ThinEdgeMeasurement".equals(x.json().get("type")), WAIT);
        assertThat(m.topic()).isEqualTo("measurement/measurements/create");
        assertThat(m.json().get("temperature")).isEqualTo(Map.of("temperature", Map.of("value", new BigDecimal("23.0"))));

        d.pub("measurement/measurements/create", "{not json", 1);
        Map<String, Object> err = Json.parseObject(d.next().text());
        assertThat(err).containsEntry("error", "undefined/validationError").containsKey("messageId");
        assertThat((String) err.get("message")).startsWith("Invalid JSON");

        d.pub("alarm/alarms/create", "{\"type\":\"x\"}", 1);
        PahoDevice.Msg e2 = d.next();
        assertThat(Json.parseObject(e2.text()).get("message")).isEqualTo("Following mandatory fields should be included: text,severity,time");
        assertThat(c8y.jsonMessages()).hasSize(1);
    }

    @Test
    void packetOverTheLimitClosesTheConnection() throws Exception {
        PahoDevice d = connected("dev-1", dev1);
        // topic "s/us", QoS 1: 1 + 2 (length) + 2 + 4 + 2 + payload = whole packet
        d.pub("s/us", "400,big," + "x".repeat(16_173 - 8), 1);
        assertThat(c8y.awaitReceived(r -> true, WAIT).payload()).hasSize(16_173);
        assertThatThrownBy(() -> d.pub("s/us", "400,big," + "x".repeat(16_174 - 8), 1)).isInstanceOf(MqttException.class);
        d.awaitLost();
        c8y.awaitClosure(c -> c.reason().startsWith("oversize"), WAIT);
        assertThat(c8y.oversizeClosures()).singleElement().satisfies(c -> assertThat(c.clientId()).isEqualTo("dev-1"));
        assertThat(c8y.received()).hasSize(1);
    }

    @Test
    void retainFlagIsIgnored() throws Exception {
        PahoDevice d = connected("dev-1", dev1);
        d.pub("s/us", "400,c8y_Event,retained?", 1, true);
        assertThat(c8y.awaitReceived(r -> r.topic().equals("s/us"), WAIT).retain()).isTrue();
        d.subscribe("s/us", 1);
        d.subscribe("s/dat", 1);
        d.pub("s/uat", "", 1);
        // a stored retained message would have been queued at the SUBSCRIBE, before the reply
        assertThat(d.next().topic()).isEqualTo("s/dat");
    }

    @Test
    void awaitReceivedFailsWithWhatWasReceived() throws Exception {
        PahoDevice d = connected("dev-1", dev1);
        d.pub("s/us", "211,20", 1);
        c8y.awaitSmartRest("211,20", WAIT);
        assertThatThrownBy(() -> c8y.awaitReceived(r -> r.topic().equals("nothing"), java.time.Duration.ofMillis(50)))
                .isInstanceOf(AssertionError.class).hasMessageContaining("211,20");
    }

    @Test
    void droppedConnectionsReconnect() throws Exception {
        PahoDevice d = connected("dev-1", dev1);
        c8y.awaitConnected("dev-1", WAIT);
        assertThat(c8y.dropConnections()).isEqualTo(1);
        d.awaitLost();
        c8y.awaitDisconnected("dev-1", WAIT);
        d.connect();
        c8y.awaitConnectCount(2, WAIT);
        c8y.awaitConnected("dev-1", WAIT);
    }

    @Test
    void unavailableCloudRefusesConnectionsUntilItIsBackOnTheSamePort() throws Exception {
        int port = c8y.port();
        PahoDevice d = connected("dev-1", dev1);
        c8y.setAvailable(false);
        d.awaitLost();
        assertThat(c8y.isAvailable()).isFalse();
        assertThatThrownBy(d::connect).isInstanceOf(MqttException.class);
        c8y.setAvailable(true);
        assertThat(c8y.port()).isEqualTo(port);
        d.connect();
        c8y.awaitConnectCount(2, WAIT);
        d.subscribe("s/dat", 0);
        d.pub("s/uat", "", 0);
        assertThat(d.next().text()).startsWith("71,");
    }

    @Test
    void lastWillIsProcessedLikeAPublish() throws Exception {
        PahoDevice d = device("dev-1", dev1);
        d.options.setWill("s/us", "400,c8y_ConnectionEvent,\"Device connection was lost.\"".getBytes(StandardCharsets.UTF_8), 1, false);
        d.connect();
        c8y.awaitConnected("dev-1", WAIT);
        c8y.disconnect("dev-1");
        C8yMqttStandIn.SmartRestLine l = c8y.awaitSmartRest(x -> x.line().startsWith("400,c8y_ConnectionEvent"), WAIT);
        assertThat(l.fields()).containsExactly("400", "c8y_ConnectionEvent", "Device connection was lost.");
        assertThat(c8y.received()).singleElement().satisfies(r -> assertThat(r.will()).isTrue());
    }

    @Test
    void aCertificateRemovedFromTheTrustIsRefusedAtTheNextConnection() throws Exception {
        int port = c8y.port();
        PahoDevice d = connected("dev-1", dev1);
        c8y.awaitConnected("dev-1", WAIT);
        trust.remove(dev1.cert()); // mosquitto restarts on the same port: the device is disconnected
        d.awaitLost();
        assertThat(c8y.port()).isEqualTo(port);
        assertThatThrownBy(d::connect).isInstanceOf(MqttException.class);
        c8y.awaitConnectAttempt(a -> a.returnCode() == -1, WAIT);
        trust.add(dev1.cert());
        d.connect();
        c8y.awaitConnectCount(2, WAIT);
    }

    @Test
    void closeStopsMosquitto() throws Exception {
        Path dir = c8y.directory();
        assertThat(mosquittoProcesses(dir)).hasSize(1);
        c8y.close();
        assertThat(mosquittoProcesses(dir)).isEmpty();
        assertThat(dir).doesNotExist();
        assertThatThrownBy(() -> new java.net.Socket("127.0.0.1", c8y.port()).close()).isInstanceOf(java.io.IOException.class);
    }

    static List<ProcessHandle> mosquittoProcesses(Path dir) {
        return ProcessHandle.current().children().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains(dir.toString())).orElse(false)).toList();
    }

    @Test
    void csvFollowsCumulocityQuoting() {
        List<C8yMqttStandIn.CsvRecord> r = C8yMqttStandIn.csv("100,\"This value, needs escaping\",plain\r\n"
                + "511,dev,\"execute this\nand \\\"this\\\"\"\n\n200,,,\n");
        assertThat(r).hasSize(3);
        assertThat(r.get(0).fields()).containsExactly("100", "This value, needs escaping", "plain");
        assertThat(r.get(1).fields()).containsExactly("511", "dev", "execute this\nand \"this\"");
        assertThat(r.get(2).fields()).containsExactly("200", "", "", "");
        assertThatThrownBy(() -> C8yMqttStandIn.csv("100,\"open")).isInstanceOf(IllegalArgumentException.class);
        assertThat(C8yMqttStandIn.csvLine("106", "a", "b,c")).isEqualTo("106,a,\"b,c\"");
    }

    @Test
    void smartRestMeasurementsHaveCumulocitysShape() {
        assertThat(C8yMqttStandIn.measurement(List.of("201", "S", "2024-01-01T00:00:00Z", "f", "a", "1", "u", "f", "b", "2")))
                .isEqualTo(Map.of("type", "S", "time", "2024-01-01T00:00:00Z",
                        "f", Map.of("a", Map.of("value", new BigDecimal("1"), "unit", "u"), "b", Map.of("value", new BigDecimal("2")))));
        assertThat(C8yMqttStandIn.measurement(List.of("210", "-90")).get("c8y_SignalStrength"))
                .isEqualTo(Map.of("rssi", Map.of("value", new BigDecimal("-90"), "unit", "dBm")));
        assertThatThrownBy(() -> C8yMqttStandIn.measurement(List.of("211"))).hasMessage("Wrong number of arguments");
    }
}
