package io.tedge.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import io.tedge.api.Topics;
import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfig;

/**
 * {@code tedge mqtt pub|sub}: an MQTT client of the local broker, as thin-edge.io's, on the
 * command line's own small client ({@link CliMqttClient}): every wait for the broker is bounded.
 */
final class MqttCommand {
    static final String USAGE = String.join("\n",
            "tedge mqtt: Publish a message on a topic and subscribe a topic",
            "",
            "USAGE:",
            "    tedge mqtt <SUBCOMMAND>",
            "",
            "SUBCOMMANDS:",
            "    pub    Publish a MQTT message on a topic",
            "    sub    Subscribe a MQTT topic",
            "");
    static final String PUB = String.join("\n",
            "USAGE:",
            "    tedge mqtt pub [OPTIONS] <TOPIC> <MESSAGE>",
            "",
            "Publish a MQTT message on a topic and wait for the broker's acknowledgement",
            "",
            "OPTIONS:",
            "    -q, --qos <QOS>    QoS level (0, 1, 2) [default: 0]",
            "    -r, --retain       Retain flag",
            "",
            "ARGS:",
            "    <TOPIC>      Topic to publish",
            "    <MESSAGE>    Message to publish",
            "");
    static final String SUB = String.join("\n",
            "USAGE:",
            "    tedge mqtt sub [OPTIONS] <TOPIC>",
            "",
            "Subscribe a MQTT topic and print `[topic] payload` per message until interrupted",
            "",
            "OPTIONS:",
            "    -q, --qos <QOS>    QoS level (0, 1, 2) [default: 0]",
            "    --no-topic         Avoid printing the message topics on the console",
            "",
            "ARGS:",
            "    <TOPIC>    Topic filter to subscribe to (MQTT wildcards + and #)",
            "");
    private static final Map<String, String> CANON = Map.of("-q", "--qos", "-r", "--retain");

    private MqttCommand() {
    }

    static int run(List<String> args, CommandContext ctx) throws UsageException, ConfigException, CommandFailed, InterruptedException {
        if (args.isEmpty()) throw new UsageException("A subcommand is required", USAGE);
        String sub = args.get(0);
        List<String> rest = args.subList(1, args.size());
        switch (sub) {
            case "pub": {
                Args a = Tedge.parse(rest, PUB, Set.of("-q", "--qos"), Set.of("-r", "--retain"), CANON);
                if (a.help) return ConfigCommand.help(ctx, PUB);
                Tedge.requireArgs(a, 2, 2, PUB);
                int qos = qos(a.value("--qos"));
                String topic = a.positionals.get(0);
                String err = Topics.checkTopicName(topic);
                if (err != null) throw new CommandFailed("Invalid topic: " + err);
                publish(ctx, topic, a.positionals.get(1), qos, a.flag("--retain"));
                return 0;
            }
            case "sub": {
                Args a = Tedge.parse(rest, SUB, Set.of("-q", "--qos"), Set.of("--no-topic"), CANON);
                if (a.help) return ConfigCommand.help(ctx, SUB);
                Tedge.requireArgs(a, 1, 1, SUB);
                int qos = qos(a.value("--qos"));
                String filter = a.positionals.get(0);
                String err = Topics.checkFilter(filter);
                if (err != null) throw new CommandFailed("Invalid topic filter: " + err);
                subscribe(ctx, filter, qos, a.flag("--no-topic"));
                return 0;
            }
            case "-h":
            case "--help":
                return ConfigCommand.help(ctx, USAGE);
            default:
                throw new UsageException("Found argument '" + sub + "' which wasn't expected", USAGE);
        }
    }

    static int qos(String v) throws CommandFailed {
        if (v == null) return 0;
        switch (v.trim()) {
            case "0":
                return 0;
            case "1":
                return 1;
            case "2":
                return 2;
            default:
                throw new CommandFailed("The input QoS should be 0, 1, or 2");
        }
    }

    /** How long a command waits for the broker's TCP accept and for each of its answers. */
    static int timeoutMs = 5000;
    static final String HINT = "\n\nHint: Is MQTT server running? Start the agent with `tedged`, or check mqtt.client.host and mqtt.client.port (`tedge config list`).";
    static final String HUNG_HINT = "\n\nHint: Is the agent stopped (e.g. a `tedged &` job stopped by the terminal: `fg`, or restart it) or overloaded?";

    static String host(CommandContext ctx) throws ConfigException {
        return ctx.coreConfig().get("mqtt.client.host").orElse("127.0.0.1");
    }

    static int port(CommandContext ctx) throws ConfigException {
        return Integer.parseInt(ctx.coreConfig().get("mqtt.client.port").orElse("1883"));
    }

    static String brokerUri(CommandContext ctx) throws ConfigException {
        String host = host(ctx);
        return "tcp://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port(ctx);
    }

    static String clientId(String prefix) {
        return prefix + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000;
    }

    /** A connection of the command line's own client, or the error a user can act on. */
    static CliMqttClient open(CommandContext ctx, String prefix) throws ConfigException, CommandFailed, InterruptedException {
        String host = host(ctx);
        int port = port(ctx);
        try {
            return CliMqttClient.open(host, port, clientId(prefix), true, 60, timeoutMs);
        } catch (CliMqttClient.Timeout e) {
            throw new CommandFailed("MQTT connection error: " + e.getMessage() + HUNG_HINT);
        } catch (IOException e) {
            throw new CommandFailed("MQTT connection error: cannot connect to " + host + ":" + port + ": " + reason(e) + HINT);
        }
    }

    private static String reason(Exception e) {
        if (e instanceof java.net.SocketTimeoutException) return "no answer within " + timeoutMs / 1000.0 + " s";
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** A Paho client of the local broker (tedge connect), every wait bounded by {@link #timeoutMs}. */
    static MqttClient connect(CommandContext ctx, String prefix, boolean clean) throws ConfigException, CommandFailed {
        String uri = brokerUri(ctx);
        try {
            MqttClient c = new MqttClient(uri, clientId(prefix), new MemoryPersistence());
            c.setTimeToWait(timeoutMs);
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(clean);
            o.setConnectionTimeout(Math.max(1, timeoutMs / 1000));
            o.setKeepAliveInterval(60);
            o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            c.connect(o);
            return c;
        } catch (MqttException e) {
            boolean hung = e.getReasonCode() == MqttException.REASON_CODE_CLIENT_TIMEOUT;
            throw new CommandFailed("MQTT connection error: " + (hung ? "no answer from the MQTT broker at " + uri.substring(6) + " within "
                    + timeoutMs / 1000.0 + " s: it accepts connections but does not answer" + HUNG_HINT
                    : "cannot connect to " + uri.substring(6) + ": " + reason(e) + HINT));
        }
    }

    private static String reason(MqttException e) {
        Throwable c = e.getCause();
        return c != null && c.getMessage() != null ? c.getMessage() : e.getMessage();
    }

    static void close(MqttClient c) {
        try {
            if (c.isConnected()) c.disconnect(2000);
        } catch (MqttException e) {
            try {
                c.disconnectForcibly(100, 100);
            } catch (MqttException ignored) {
                // closing anyway
            }
        }
        try {
            c.close(true);
        } catch (MqttException e) {
            // closing anyway
        }
    }

    static void publish(CommandContext ctx, String topic, String payload, int qos, boolean retain)
            throws ConfigException, CommandFailed, InterruptedException {
        CliMqttClient c = open(ctx, "tedge-pub-");
        try {
            c.publish(topic, payload.getBytes(StandardCharsets.UTF_8), qos, retain);
        } catch (CliMqttClient.Timeout e) {
            throw new CommandFailed("MQTT publish on " + topic + " failed: " + e.getMessage() + HUNG_HINT);
        } catch (IOException e) {
            throw new CommandFailed("MQTT publish on " + topic + " failed: " + reason(e));
        } finally {
            c.disconnect();
        }
    }

    static void subscribe(CommandContext ctx, String filter, int qos, boolean noTopic) throws ConfigException, CommandFailed, InterruptedException {
        CliMqttClient c = open(ctx, "tedge-sub-");
        try {
            c.subscribe(filter, qos);
        } catch (IOException e) {
            c.close();
            throw new CommandFailed("MQTT subscribe to " + filter + " failed: " + reason(e) + (e instanceof CliMqttClient.Timeout ? HUNG_HINT : ""));
        }
        try {
            while (true) {
                CliMqttClient.Message m = c.receive(0);
                synchronized (ctx.out) {
                    if (noTopic) ctx.out.println(m.text());
                    else ctx.out.println("[" + m.topic() + "] " + m.text());
                    ctx.out.flush();
                }
            }
        } catch (IOException e) {
            throw new CommandFailed("MQTT connection lost: " + reason(e) + "\n\nHint: Is MQTT server running?");
        } finally {
            c.disconnect();
        }
    }
}
