package io.tedge.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ConnectorConfigTest {

    @ParameterizedTest
    @CsvSource({"example.com, example.com, 8883", "example.com:443, example.com, 443", "127.0.0.1:1, 127.0.0.1, 1",
            "'[::1]', ::1, 8883", "'[::1]:9000', ::1, 9000"})
    void endpoints(String value, String host, int port) throws Exception {
        assertThat(ConnectorConfig.Endpoint.parse(value, "c8y.mqtt", 8883)).isEqualTo(new ConnectorConfig.Endpoint(host, port));
    }

    @ParameterizedTest
    @CsvSource({"example.com:0", "example.com:65536", "example.com:x", ":8883", "'[::1'", "'[::1]x'"})
    void badEndpointsNameTheKey(String value) {
        assertThatThrownBy(() -> ConnectorConfig.Endpoint.parse(value, "az.mqtt", 8883)).isInstanceOf(CloudConnector.ConnectorException.class)
                .hasMessageContaining("`az.mqtt`").hasMessageContaining("tedge config set az.mqtt");
    }

    @Test
    void valuesAndDeviceId() throws Exception {
        Map<String, String> c = Map.of("a.b", "  x  ", "blank", " ", "device.id", "dev-1");
        assertThat(ConnectorConfig.value(c, "a.b")).isEqualTo("x");
        assertThat(ConnectorConfig.value(c, "blank")).isNull();
        assertThat(ConnectorConfig.path(c, "missing")).isNull();
        assertThat(ConnectorConfig.deviceId(c)).isEqualTo("dev-1");
        assertThatThrownBy(() -> ConnectorConfig.deviceId(Map.of())).hasMessageContaining("tedge cert create --device-id");
    }

    @Test
    void seconds() {
        assertThat(ConnectorConfig.seconds(Duration.ofSeconds(10))).isEqualTo("10");
        assertThat(ConnectorConfig.seconds(Duration.ofMillis(1500))).isEqualTo("1.5");
        assertThat(ConnectorConfig.seconds(Duration.ofMillis(250))).isEqualTo("0.25");
    }

    @Test
    void endpointFromMqttElseUrl() throws Exception {
        assertThat(ConnectorConfig.endpoint(Map.of("c8y.url", "t.example.com"), "c8y", 8883, "x"))
                .isEqualTo(new ConnectorConfig.Endpoint("t.example.com", 8883));
        assertThat(ConnectorConfig.endpoint(Map.of("c8y.url", "t.example.com", "c8y.mqtt", "127.0.0.1:1234"), "c8y", 8883, "x"))
                .isEqualTo(new ConnectorConfig.Endpoint("127.0.0.1", 1234));
        assertThatThrownBy(() -> ConnectorConfig.endpoint(Map.of(), "acme", 8883, "acme.example.com"))
                .hasMessage("acme.url is not set. Set it with `tedge config set acme.url acme.example.com`");
    }
}
