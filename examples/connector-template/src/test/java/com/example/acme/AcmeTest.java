package com.example.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.tedge.api.BusMessage;
import io.tedge.api.CloudLink;
import io.tedge.api.Mapper.MappingException;

class AcmeTest {
    static final Map<String, String> CONFIG = Map.of("acme.url", "mqtt.acme.example.com", "acme.root.cert.path", "/etc/acme/ca.pem",
            "device.id", "dev-1", "device.key.path", "/k.pem", "device.cert.path", "/c.pem");

    @Test
    void link() throws Exception {
        CloudLink l = new AcmeConnector().link(CONFIG);
        assertThat(l.host()).isEqualTo("mqtt.acme.example.com");
        assertThat(l.port()).isEqualTo(8883);
        assertThat(l.clientId()).isEqualTo("dev-1");
        assertThat(l.rootCertPath().toString()).isEqualTo("/etc/acme/ca.pem");
        assertThat(l.rules().get(0).toRemote("acme/telemetry/measurements")).isEqualTo("devices/dev-1/telemetry/measurements");
        assertThat(l.rules().get(3).toLocal("devices/dev-1/echo")).isEqualTo("acme/echo/answer");
    }

    @Test
    void mapper() throws Exception {
        AcmeMapper m = new AcmeMapper(Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC));
        assertThat(m.map(BusMessage.of("tedge/measurements", "{\"t\": 1}", 1)).get(0).text())
                .isEqualTo("{\"time\":\"2026-12-01T10:00:00Z\",\"measurement\":{\"t\": 1}}");
        assertThatThrownBy(() -> m.map(BusMessage.of("tedge/measurements", "hot", 1))).isInstanceOf(MappingException.class);
    }
}
