package io.tedge.testkit;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import org.junit.jupiter.api.Test;

class LiveTrustTest {
    private final TestPki fleet = TestPki.create("fleet");
    private final TestPki.Issued leaf = fleet.issueClient("dev-1");
    private final TestPki.Issued device = TestPki.selfSignedDevice("dev-2");

    private static X509Certificate[] chain(TestPki.Issued i) {
        return i.chain().toArray(new X509Certificate[0]);
    }

    @Test
    void emptySetTrustsNothing() {
        LiveTrust t = new LiveTrust();
        assertThatThrownBy(() -> t.checkClientTrusted(chain(device), "EC")).isInstanceOf(CertificateException.class);
        assertThatThrownBy(() -> t.checkClientTrusted(new X509Certificate[0], "EC")).isInstanceOf(CertificateException.class);
    }

    @Test
    void trustedLeafAtRuntime() throws Exception {
        LiveTrust t = new LiveTrust();
        t.add(device.cert());
        assertThatCode(() -> t.checkClientTrusted(chain(device), "EC")).doesNotThrowAnyException();
        t.remove(device.cert());
        assertThatThrownBy(() -> t.checkClientTrusted(chain(device), "EC")).isInstanceOf(CertificateException.class);
    }

    @Test
    void issuerInTheSet() {
        LiveTrust t = new LiveTrust(fleet.caCert());
        assertThatCode(() -> t.checkClientTrusted(chain(leaf), "EC")).doesNotThrowAnyException();
        assertThatCode(() -> t.checkClientTrusted(new X509Certificate[] {leaf.cert()}, "EC")).doesNotThrowAnyException();
    }

    @Test
    void sameNameOtherKeyIsRefused() {
        LiveTrust t = new LiveTrust(device.cert());
        TestPki.Issued rogue = TestPki.selfSignedDevice("dev-2");
        assertThatThrownBy(() -> t.checkClientTrusted(chain(rogue), "EC")).isInstanceOf(CertificateException.class);
        TestPki impostor = TestPki.create("fleet");
        LiveTrust t2 = new LiveTrust(fleet.caCert());
        assertThatThrownBy(() -> t2.checkClientTrusted(new X509Certificate[] {impostor.issueClient("dev-1").cert()}, "EC"))
                .isInstanceOf(CertificateException.class);
    }

    @Test
    void brokenChainIsRefused() {
        LiveTrust t = new LiveTrust(fleet.caCert());
        X509Certificate[] broken = {leaf.cert(), TestPki.create("other").caCert()};
        assertThatThrownBy(() -> t.checkClientTrusted(broken, "EC")).hasMessageContaining("broken chain");
    }
}
