package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

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
        assertThat(HealthTable.parse("{\"status\":")).isEqualTo(new HealthTable.Health("{\"status\":", "-", "-"));
        assertThat(HealthTable.parse("{\"time\":\"2021-04-23T19:00:00Z\"}")).isEqualTo(new HealthTable.Health("-", "-", "2021-04-23T19:00:00Z"));
    }

    @Test
    void oneLinePerServiceAligned() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        HealthTable.print(new PrintStream(buf, true, StandardCharsets.UTF_8), List.of(
                new String[] {"tedge/health/tedge-mapper-bridge-c8y", "{\"pid\":7,\"status\":\"up\",\"time\":0}"},
                new String[] {"tedge/health/tedge-mapper-c8y", "{\"pid\":7,\"status\":\"down\",\"time\":0}"}));
        assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("Services (tedge/health):\n"
                + "  tedge-mapper-bridge-c8y up       pid=7 since=1970-01-01T00:00:00Z\n"
                + "  tedge-mapper-c8y        down     pid=7 since=1970-01-01T00:00:00Z\n");
        buf.reset();
        HealthTable.print(new PrintStream(buf, true, StandardCharsets.UTF_8), List.of());
        assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("No service health (tedge/health/<service>) published.\n");
    }
}
