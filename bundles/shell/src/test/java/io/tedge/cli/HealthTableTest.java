package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The health JSON as the status table reads it. */
class HealthTableTest {
    @Test
    void readsPidStatusAndTime() {
        assertThat(HealthTable.parse("{\"pid\":1234,\"status\":\"up\",\"time\":1700000000}"))
                .isEqualTo(new HealthTable.Health("up", "1234", "2023-11-14T22:13:20Z"));
    }

    @Test
    void toleratesWhatOtherServicesPublish() {
        assertThat(HealthTable.parse("{\"pid\":\"1234\",\"status\":\"down\",\"type\":\"systemd\",\"x\":{\"y\":[1]}}"))
                .isEqualTo(new HealthTable.Health("down", "1234", "-"));
        assertThat(HealthTable.parse("1")).isEqualTo(new HealthTable.Health("1", "-", "-"));
        assertThat(HealthTable.parse("{\"status\":")).isEqualTo(new HealthTable.Health("unreadable", "-", "-"));
        assertThat(HealthTable.parse("{\"time\":\"2021-04-23T19:00:00Z\"}")).isEqualTo(new HealthTable.Health("-", "-", "2021-04-23T19:00:00Z"));
    }
}
