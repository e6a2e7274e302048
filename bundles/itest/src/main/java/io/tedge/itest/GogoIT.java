package io.tedge.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.service.ServiceExtension;

/** The tedge commands in the Gogo shell, both spellings, with help texts. */
@ExtendWith(ServiceExtension.class)
class GogoIT {
    @InjectService(timeout = 10000)
    CommandProcessor processor;

    private String run(String line) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try (CommandSession s = processor.createSession(new ByteArrayInputStream(new byte[0]), ps, ps)) {
            Object r = s.execute(line);
            if (r != null) ps.println(s.format(r, org.apache.felix.service.command.Converter.INSPECT));
            ps.flush();
            return out.toString(StandardCharsets.UTF_8) + "rc=" + s.get("tedge.exit");
        }
    }

    @Test
    void configCommandsWorkWithScopeAndAsOnTheOsShell() throws Exception {
        Support.embeddedBrokerOnFreePort();
        assertThat(run("tedge:config set c8y.url gogo.example.com")).isEqualTo("rc=0");
        assertThat(run("tedge config get c8y.url")).isEqualTo("gogo.example.com\nrc=0");
        assertThat(run("config get c8y.http")).isEqualTo("gogo.example.com:443\nrc=0");
        assertThat(run("tedge:config set mqtt.port nope")).contains("Invalid port number: 'nope'.").endsWith("rc=1");
        assertThat(run("tedge config list --doc")).contains("itest.sample.url").contains("c8y.url");
    }

    @Test
    void helpShowsTheDescriptors() throws Exception {
        assertThat(run("help tedge:config")).contains("Configure Thin Edge");
        assertThat(run("help tedge:mqtt")).contains("Publish a message on a topic");
    }

    @Test
    void mqttPubFromTheShellReachesTheBroker() throws Exception {
        int port = Support.embeddedBrokerOnFreePort();
        var bus = Support.bus(port, java.time.Duration.ofSeconds(10));
        java.util.concurrent.BlockingQueue<io.tedge.api.BusMessage> q = new java.util.concurrent.LinkedBlockingQueue<>();
        try (var sub = bus.subscribe(java.util.List.of("gogo/#"), q::add)) {
            assertThat(run("tedge mqtt pub -q 1 gogo/x '{\"temperature\": 21.3}'")).isEqualTo("rc=0");
            var m = q.poll(5, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(m).isNotNull();
            assertThat(m.text()).isEqualTo("{\"temperature\": 21.3}");
        }
    }
}
