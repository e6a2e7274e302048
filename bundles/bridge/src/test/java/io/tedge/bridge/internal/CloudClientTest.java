package io.tedge.bridge.internal;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.net.ssl.SSLException;

import org.junit.jupiter.api.Test;

import io.tedge.testkit.C8yMqttStandIn;
import io.tedge.testkit.LiveTrust;
import io.tedge.testkit.TestPki;

/** The cloud client against Debian's mosquitto (the c8y stand-in), which refuses an untrusted certificate in TLS 1.3. */
class CloudClientTest {
    private static final CloudClient.Listener NONE = new CloudClient.Listener() {
        @Override
        public void acknowledged(int packetId) {
        }

        @Override
        public void received(String topic, byte[] payload, int qos) {
        }

        @Override
        public void lost(Throwable cause) {
        }
    };

    @Test
    void aCertificateTheServerRefusesAfterTheHandshakeIsReportedAsATlsFailure() throws Exception {
        TestPki pki = TestPki.create("cloud CA");
        try (C8yMqttStandIn c8y = C8yMqttStandIn.start(pki, new LiveTrust())) {
            TestPki.Issued untrusted = TestPki.selfSignedDevice("dev-1");
            // the server's refusal comes after the client's handshake: as a broken pipe, a reset, an
            // end of stream or an alert, whichever the timing gives; each time a TLS failure
            for (int i = 0; i < 5; i++) {
                assertThatThrownBy(() -> CloudClient.connect(TestPki.clientContext(untrusted, new LiveTrust(pki.caCert())).getSocketFactory(),
                        "127.0.0.1", c8y.port(), "dev-1", null, 60, 10_000, NONE)).isInstanceOf(SSLException.class);
            }
        }
    }
}
