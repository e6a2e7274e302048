package com.example.vendor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.Test;

import io.tedge.testkit.CloudMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/**
 * A vendor's own stand-in, in another package than the testkit (as in docs/plugins.md §6): a cloud
 * that answers {@code devices/<id>/ping} with {@code pong} on {@code devices/<id>/pong}. Proves
 * that what a subclass needs of {@link CloudMqttStandIn} is visible outside the testkit.
 */
class PingCloudTest {

    /** The vendor's cloud: client id = the certificate's CN, each device on its own topics, answers pings. */
    static final class PingCloud extends CloudMqttStandIn {
        private PingCloud(TestPki pki, LiveTrust trust) throws IOException {
            super("ping-cloud", pki, trust);
        }

        static PingCloud start(TestPki pki, LiveTrust trust) throws IOException {
            PingCloud c = new PingCloud(pki, trust);
            c.listen();
            return c;
        }

        @Override
        protected Decision authorize(ConnectInfo connect) {
            if (!connect.clientId().equals(connect.certificateCn())) return Decision.refuse(5, "client id is not the certificate's CN");
            return Decision.accept(connect.clientId());
        }

        @Override
        protected String deviceIdOf(String clientId) {
            return clientId;
        }

        @Override
        protected boolean usernameIsCertificateCn() {
            return true;
        }

        @Override
        protected List<Acl> deviceAcl() {
            return List.of(Acl.write("devices/%c/ping"), Acl.read("devices/%c/pong"));
        }

        @Override
        protected void onPublish(Conn conn, Received message, int packetId) {
            if (message.topic().equals("devices/" + conn.deviceId() + "/ping")) reply(conn, "devices/" + conn.deviceId() + "/pong", "pong", 1);
        }
    }

    @Test
    void aSubclassInAnotherPackageAnswersThroughMosquitto() throws Exception {
        TestPki pki = TestPki.create("ping-ca");
        TestPki.Issued device = TestPki.selfSignedDevice("dev-p");
        try (PingCloud cloud = PingCloud.start(pki, new LiveTrust(device.cert()))) {
            MqttClient c = new MqttClient("ssl://" + cloud.hostPort(), "dev-p", new MemoryPersistence());
            try {
                MqttConnectOptions o = new MqttConnectOptions();
                o.setSocketFactory(TestPki.clientContext(device, new LiveTrust(pki.caCert())).getSocketFactory());
                c.connect(o);
                java.util.concurrent.BlockingQueue<String> inbox = new java.util.concurrent.LinkedBlockingQueue<>();
                c.subscribe("devices/dev-p/pong", 1, (t, m) -> inbox.add(t + " " + new String(m.getPayload(), StandardCharsets.UTF_8)));
                cloud.awaitSubscribed("dev-p", "devices/dev-p/pong", Duration.ofSeconds(10));
                c.publish("devices/dev-p/ping", new MqttMessage("ping".getBytes(StandardCharsets.UTF_8)));
                assertThat(inbox.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("devices/dev-p/pong pong");
                assertThat(cloud.awaitReceived(r -> r.topic().equals("devices/dev-p/ping"), Duration.ofSeconds(10)).clientId()).isEqualTo("dev-p");
            } finally {
                if (c.isConnected()) c.disconnect();
                c.close();
            }
        }
    }
}
