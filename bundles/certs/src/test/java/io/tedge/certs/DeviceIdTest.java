package io.tedge.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** thin-edge.io 0.2.2+ device id rules (vectors cert-001..041, with `:` refused since 0.2.2). */
class DeviceIdTest {
    private static final String INVALID = "' contains characters which cannot be used in a name "
            + "[use only A-Z, a-z, 0-9, ' = ( ) , - . ? % * _ ! @]";

    @ParameterizedTest
    @ValueSource(strings = {"ThinEdgeDevice", "123ThinEdgeDevice", "'?=()*@!%,-.123ThinEdgeDevice-id", "a", "Z", "0",
        "a'", "a=", "a(", "a)", "a,", "a-", "a.", "a?", "a%", "a*", "a_", "a!", "a@", "'", "_", "rpi-0042"})
    void validIds(String id) {
        assertThatCode(() -> DeviceCertificates.checkDeviceId(id)).doesNotThrowAnyException();
    }

    @Test
    void sixtyFourCharactersAreAccepted() {
        String id = "x".repeat(64);
        assertThatCode(() -> DeviceCertificates.checkDeviceId(id)).doesNotThrowAnyException();
        assertThat(DeviceCertificates.MAX_DEVICE_ID_LENGTH).isEqualTo(64);
    }

    @Test
    void sixtyFiveCharactersAreRefused() {
        String id = "x".repeat(65);
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId(id)).isInstanceOf(CertException.class)
                .hasMessage("The string '\"" + id + "\"' is more than 64 characters long and cannot be used as a name");
    }

    @Test
    void tooLongVector() {
        String id = "thinedgethinedgethinedgethinedgethinedgethinedgethinedgethinedgethinedge";
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId(id))
                .hasMessage("The string '\"" + id + "\"' is more than 64 characters long and cannot be used as a name");
    }

    @Test
    void lengthCountsUtf8BytesAsThinEdgeDoes() {
        String id = "é".repeat(33); // 33 characters, 66 bytes
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId(id)).hasMessageContaining("is more than 64 characters long");
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId("é")).hasMessage("The string '\"é\"" + INVALID);
    }

    @Test
    void emptyIsRefused() {
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId("")).isInstanceOf(CertException.class)
                .hasMessage("The empty string cannot be used as a name");
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId(null)).hasMessage("The empty string cannot be used as a name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"thinedge>", "thinedge<", "thinedge|", "thinedge[", "thinedge]", "thinedge}", "thinedge{",
        "thinedge^", "thinedge&", "thinedge#", "thinedge$", "thinedge+", "thin/edge", "thin:edge", "thin$edge", "thin edge",
        "'?:=()*@!%,-.:123ThinEdgeDevice-id", "a;b", "a~b", "a`b", "a\\b"})
    void invalidCharactersAreRefused(String id) {
        String quoted = "\"" + id.replace("\\", "\\\\") + "\"";
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId(id)).isInstanceOf(CertException.class)
                .hasMessage("The string '" + quoted + INVALID);
    }

    @Test
    void colonIsRefusedSinceThinEdge022() {
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId("thin:edge"))
                .hasMessage("The string '\"thin:edge\"" + INVALID);
    }

    @Test
    void quotesAndControlCharactersAreEscapedAsRustDebugDoes() {
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId("a\"b")).hasMessage("The string '\"a\\\"b\"" + INVALID);
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId("a\nb")).hasMessage("The string '\"a\\nb\"" + INVALID);
        assertThatThrownBy(() -> DeviceCertificates.checkDeviceId("a\u0001b")).hasMessage("The string '\"a\\u{1}b\"" + INVALID);
    }
}
