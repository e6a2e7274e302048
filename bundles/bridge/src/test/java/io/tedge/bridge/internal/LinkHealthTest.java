package io.tedge.bridge.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.tedge.api.BusMessage;
import io.tedge.testkit.FakeBus;

/** Link health follows the link status: published on change, on health checks, down when the bridge stops. */
class LinkHealthTest {
    final FakeBus bus = new FakeBus();
    final LinkHealth health = new LinkHealth(bus, Clock.fixed(Instant.ofEpochSecond(1_700_000_000), ZoneOffset.UTC));

    private void status(String cloud, String json) throws Exception {
        bus.publish("tedge/bridge/" + cloud + "/status", json.getBytes(), 1, true);
    }

    private List<String> healthOf(String cloud) {
        return bus.on("tedge/health/tedge-mapper-bridge-" + cloud).stream().map(BusMessage::text).toList();
    }

    @Test
    void upWhileTheLinkIsUpDownOtherwise() throws Exception {
        String pid = Long.toString(ProcessHandle.current().pid());
        status("c8y", "{\"cloud\":\"c8y\",\"status\":\"connecting\"}");
        status("c8y", "{\"cloud\":\"c8y\",\"status\":\"up\",\"queued\":0}");
        status("c8y", "{\"cloud\":\"c8y\",\"status\":\"up\",\"queued\":3}");
        status("c8y", "{\"cloud\":\"c8y\",\"status\":\"down\",\"last_error\":\"x\"}");
        assertThat(healthOf("c8y")).containsExactly("{\"pid\":" + pid + ",\"status\":\"down\",\"time\":1700000000}",
                "{\"pid\":" + pid + ",\"status\":\"up\",\"time\":1700000000}", "{\"pid\":" + pid + ",\"status\":\"down\",\"time\":1700000000}");
        assertThat(bus.on("tedge/health/tedge-mapper-bridge-c8y")).allMatch(m -> m.retained() && m.qos() == 1);
    }

    @Test
    void healthChecksAreAnsweredAndStoppingReportsDown() throws Exception {
        status("az", "{\"status\":\"up\"}");
        status("c8y", "{\"status\":\"error\"}");
        bus.publish("tedge/health-check", new byte[0], 0, false);
        assertThat(healthOf("az")).hasSize(2);
        assertThat(healthOf("c8y")).hasSize(2);
        bus.publish("tedge/health-check/tedge-mapper-bridge-az", new byte[0], 0, false);
        assertThat(healthOf("az")).hasSize(3);
        assertThat(healthOf("c8y")).hasSize(2);
        health.stop();
        assertThat(healthOf("az").get(3)).contains("\"down\"");
        assertThat(healthOf("c8y")).hasSize(2);
        assertThat(bus.openSubscriptions()).isZero();
    }
}
