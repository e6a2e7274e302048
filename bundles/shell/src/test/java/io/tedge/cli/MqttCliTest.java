package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.broker.journal.Journal;
import io.tedge.broker.mqtt.Broker;
import io.tedge.broker.mqtt.MqttServer;
import io.tedge.cli.CliRunner.Result;

/** {@code tedge mqtt pub|sub} against the embedded broker of tedge-broker. */
class MqttCliTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    Journal journal;
    Broker broker;
    MqttServer server;
    Path configDir;
    CliRunner cli;
    final BlockingQueue<BusMessage> received = new LinkedBlockingQueue<>();
    Bus.Subscription spy;

    @BeforeEach
    void startBroker() throws Exception {
        journal = Journal.open(tmp.resolve("journal"), 16 << 20, false);
        broker = new Broker(journal, tmp.resolve("state"), Broker.Settings.defaults());
        server = MqttServer.start(broker, "127.0.0.1", 0);
        configDir = Files.createDirectories(tmp.resolve("etc"));
        Files.writeString(configDir.resolve("tedge.toml"), "[mqtt]\nport = " + server.port() + "\n");
        cli = new CliRunner(configDir);
        spy = broker.subscribeInternal(List.of("#"), received::add);
    }

    @AfterEach
    void stopBroker() {
        if (spy != null) spy.close();
        if (server != null) server.close();
        if (broker != null) broker.close();
        if (journal != null) journal.close();
    }

    /** The next message the in-process subscriber got on this topic, waiting at most 10 s. */
    private BusMessage next(String topic) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            BusMessage m = left > 0 ? received.poll(left, TimeUnit.NANOSECONDS) : null;
            if (m == null) throw new AssertionError("no message on " + topic + " within " + WAIT);
            if (m.topic().equals(topic)) return m;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    // ------------------------------------------------------------------ pub

    @ParameterizedTest(name = "qos {0} retain {1}")
    @CsvSource({"0, true", "1, false", "2, true"})
    void pubAtEachQosWithAndWithoutRetain(int qos, boolean retain) throws Exception {
        String topic = "te/device/main///m/q" + qos + (retain ? "r" : "");
        List<String> args = new java.util.ArrayList<>(List.of("mqtt", "pub", "-q", Integer.toString(qos)));
        if (retain) args.add("--retain");
        args.addAll(List.of(topic, "{\"temperature\": 21." + qos + "}"));
        Result r = cli.run(args.toArray(String[]::new));
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEmpty();
        assertThat(r.code()).isZero();
        BusMessage m = next(topic);
        assertThat(m.text()).isEqualTo("{\"temperature\": 21." + qos + "}");
        assertThat(m.qos()).isEqualTo(qos);
        if (retain) {
            assertThat(broker.retained(topic)).isNotNull();
            assertThat(broker.retained(topic).text()).isEqualTo(m.text());
        } else {
            assertThat(broker.retained(topic)).isNull();
        }
    }

    @Test
    void defaultQosIsZeroAndNotRetained() throws Exception {
        assertThat(cli.run("mqtt", "pub", "a/default", "x").code()).isZero();
        BusMessage m = next("a/default");
        assertThat(m.qos()).isZero();
        assertThat(m.text()).isEqualTo("x");
        assertThat(broker.retained("a/default")).isNull();
    }

    @Test
    void optionsAfterThePositionalsLongSpellingsAndDoubleDash() throws Exception {
        Result r = cli.run("mqtt", "pub", "a/after", "--qos=2", "--retain", "--", "-not-an-option");
        assertThat(r.code()).as(r.err()).isZero();
        BusMessage m = next("a/after");
        assertThat(m.qos()).isEqualTo(2);
        assertThat(m.text()).isEqualTo("-not-an-option");
        assertThat(broker.retained("a/after")).isNotNull();
    }

    @Test
    void jsonPayloadArrivesByteExact() throws Exception {
        String payload = "{\"text\": \"a \\\"quoted\\\" word, with  two spaces\", \"unicode\": \"\u00e9\u20ac\uD83D\uDE00\", \"n\": [1, 2.5, -3]}";
        Result r = cli.run("mqtt", "pub", "-q", "1", "te/device/main///e/json", payload);
        assertThat(r.code()).as(r.err()).isZero();
        BusMessage m = next("te/device/main///e/json");
        assertThat(m.payload()).isEqualTo(payload.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {"3", "-1", "abc", "", "1.0"})
    void badQosIsRefused(String qos) {
        Result r = cli.run("mqtt", "pub", "-q", qos, "a/b", "m");
        assertThat(r.err()).isEqualTo("Error: The input QoS should be 0, 1, or 2\n");
        assertThat(r.code()).isEqualTo(1);
        Result s = cli.run("mqtt", "sub", "--qos", qos, "a/b");
        assertThat(s.err()).isEqualTo("Error: The input QoS should be 0, 1, or 2\n");
        assertThat(s.code()).isEqualTo(1);
        assertThat(received).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a/+/b", "a/#", "#", "+"})
    void pubToAWildcardTopicIsRefused(String topic) {
        Result r = cli.run("mqtt", "pub", topic, "m");
        assertThat(r.err()).isEqualTo("Error: Invalid topic: a topic name cannot contain wildcards (+ or #): " + topic + "\n");
        assertThat(r.code()).isEqualTo(1);
        assertThat(broker.stats().connected()).isZero();
    }

    @Test
    void subToABadFilterIsRefused() {
        Result r = cli.run("mqtt", "sub", "a/#/b");
        assertThat(r.err()).isEqualTo("Error: Invalid topic filter: invalid topic filter 'a/#/b': '#' must be a whole level and the last one\n");
        assertThat(r.code()).isEqualTo(1);
        Result s = cli.run("mqtt", "sub", "a/b+");
        assertThat(s.err()).isEqualTo("Error: Invalid topic filter: invalid topic filter 'a/b+': '+' must be a whole level\n");
    }

    @Test
    void pubWithoutABrokerFails() throws Exception {
        int port = freePort();
        Files.writeString(configDir.resolve("tedge.toml"), "[mqtt]\nport = " + port + "\n");
        Result r = cli.run("mqtt", "pub", "a/b", "m");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Error: MQTT connection error: cannot connect to 127.0.0.1:" + port + ": ")
                .contains("\n\nHint: Is MQTT server running?");
        Result s = cli.run("mqtt", "sub", "a/b");
        assertThat(s.code()).isEqualTo(1);
        assertThat(s.err()).contains("Is MQTT server running?");
    }

    @Test
    void clientPortOverridesMqttPort() throws Exception {
        Files.writeString(configDir.resolve("tedge.toml"), "[mqtt]\nport = " + freePort() + "\nclient_port = " + server.port() + "\n");
        // with an empty payload, too
        assertThat(cli.run("mqtt", "pub", "-q", "1", "a/client-port", "").code()).isZero();
        assertThat(next("a/client-port").payload()).isEmpty();
    }

    @Test
    void badConfigIsAnError() throws Exception {
        Files.writeString(configDir.resolve("tedge.toml"), "[mqtt\n");
        Result r = cli.run("mqtt", "pub", "a/b", "m");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("Error: Failed to parse " + configDir.resolve("tedge.toml"));
    }

    // ------------------------------------------------------------------ sub

    /** tedge mqtt sub in a thread; its exit code once it returns. */
    private final class Sub {
        final CliRunner runner = new CliRunner(configDir);
        final AtomicInteger rc = new AtomicInteger(-1);
        final Thread thread;

        Sub(String... args) {
            CommandContext ctx = runner.context();
            thread = new Thread(() -> rc.set(Tedge.run(List.of(args), ctx)), "tedge-mqtt-sub-test");
            thread.setDaemon(true);
            thread.start();
        }

        boolean await(String text) throws InterruptedException {
            return runner.out.await(s -> s.contains(text), WAIT);
        }

        int stop() throws InterruptedException {
            thread.interrupt();
            thread.join(WAIT.toMillis());
            assertThat(thread.isAlive()).as("tedge mqtt sub still running").isFalse();
            return rc.get();
        }
    }

    @Test
    void subPrintsTopicAndPayloadAndStopsWith130OnInterrupt() throws Exception {
        // a retained message tells when the subscription is in place
        broker.publish("sensors/ready", "ready".getBytes(StandardCharsets.UTF_8), 1, true);
        Sub sub = new Sub("mqtt", "sub", "sensors/#");
        assertThat(sub.await("[sensors/ready] ready\n")).as(sub.runner.err.text()).isTrue();
        assertThat(broker.stats().connected()).as("the subscriber").isEqualTo(1);

        assertThat(cli.run("mqtt", "pub", "sensors/temp", "{\"t\": 21.5, \"unit\": \"C\"}").code()).isZero();
        broker.publish("other/topic", "not for sub".getBytes(StandardCharsets.UTF_8), 0, false);
        broker.publish("sensors/hum", "40 %".getBytes(StandardCharsets.UTF_8), 2, false);
        assertThat(sub.await("[sensors/hum] 40 %\n")).as(sub.runner.out.text()).isTrue();

        assertThat(sub.stop()).isEqualTo(130);
        assertThat(sub.runner.out.text()).isEqualTo("[sensors/ready] ready\n[sensors/temp] {\"t\": 21.5, \"unit\": \"C\"}\n[sensors/hum] 40 %\n");
        assertThat(sub.runner.err.text()).isEmpty();
    }

    @Test
    void subWithNoTopicPrintsThePayloadOnly() throws Exception {
        broker.publish("te/device/main///a/ready", "{\"text\": \"ready\"}".getBytes(StandardCharsets.UTF_8), 0, true);
        Sub sub = new Sub("mqtt", "sub", "--no-topic", "-q", "1", "te/+/+/+/+/a/+");
        assertThat(sub.await("{\"text\": \"ready\"}\n")).as(sub.runner.err.text()).isTrue();
        broker.publish("te/device/main///a/temp_high", "{\"text\": \"too hot\"}".getBytes(StandardCharsets.UTF_8), 1, false);
        broker.publish("te/device/main///m/temp", "{\"temp\": 50}".getBytes(StandardCharsets.UTF_8), 1, false);
        assertThat(sub.await("{\"text\": \"too hot\"}\n")).isTrue();
        assertThat(sub.stop()).isEqualTo(130);
        assertThat(sub.runner.out.text()).isEqualTo("{\"text\": \"ready\"}\n{\"text\": \"too hot\"}\n");
    }

    @Test
    void subEndsWithAnErrorWhenTheBrokerGoesAway() throws Exception {
        broker.publish("x/ready", "1".getBytes(StandardCharsets.UTF_8), 0, true);
        Sub sub = new Sub("mqtt", "sub", "x/#");
        assertThat(sub.await("[x/ready] 1\n")).isTrue();
        server.close();
        broker.close();
        sub.thread.join(WAIT.toMillis());
        assertThat(sub.thread.isAlive()).isFalse();
        assertThat(sub.rc.get()).isEqualTo(1);
        assertThat(sub.runner.err.text()).startsWith("Error: MQTT connection lost").contains("Hint: Is MQTT server running?");
    }
}
