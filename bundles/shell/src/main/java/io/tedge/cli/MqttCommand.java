package io.tedge.cli;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import io.tedge.api.Topics;
import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfig;

/** {@code tedge mqtt pub|sub}: an MQTT client of the local broker, as thin-edge.io's. */
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

    static String brokerUri(CommandContext ctx) throws ConfigException {
        TedgeConfig cfg = ctx.coreConfig();
        String host = cfg.get("mqtt.client.host").orElse("127.0.0.1");
        String port = cfg.get("mqtt.client.port").orElse("1883");
        return "tcp://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    static MqttClient connect(CommandContext ctx, String prefix, boolean clean) throws ConfigException, CommandFailed {
        String uri = brokerUri(ctx);
        try {
            MqttClient c = new MqttClient(uri, prefix + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100000, new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(clean);
            o.setConnectionTimeout(5);
            o.setKeepAliveInterval(60);
            o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            c.connect(o);
            return c;
        } catch (MqttException e) {
            throw new CommandFailed("MQTT connection error: cannot connect to " + uri.substring(6) + ": " + reason(e)
                    + "\n\nHint: Is MQTT server running? Start the agent with `tedged`, or check mqtt.client.host and mqtt.client.port (`tedge config list`).");
        }
    }

    private static String reason(MqttException e) {
        Throwable c = e.getCause();
        return c != null && c.getMessage() != null ? c.getMessage() : e.getMessage();
    }

    static void publish(CommandContext ctx, String topic, String payload, int qos, boolean retain) throws ConfigException, CommandFailed {
        MqttClient c = connect(ctx, "tedge-pub-", true);
        try {
            MqttMessage m = new MqttMessage(payload.getBytes(StandardCharsets.UTF_8));
            m.setQos(qos);
            m.setRetained(retain);
            c.setTimeToWait(10_000);
            c.publish(topic, m);
        } catch (MqttException e) {
            throw new CommandFailed("MQTT publish on " + topic + " failed: " + reason(e));
        } finally {
            close(c);
        }
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

    static void subscribe(CommandContext ctx, String filter, int qos, boolean noTopic) throws ConfigException, CommandFailed, InterruptedException {
        MqttClient c = connect(ctx, "tedge-sub-", true);
        CountDownLatch lost = new CountDownLatch(1);
        String[] why = new String[1];
        c.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                why[0] = cause == null ? "connection lost" : cause.getMessage();
                lost.countDown();
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                String p = new String(message.getPayload(), StandardCharsets.UTF_8);
                synchronized (ctx.out) {
                    if (noTopic) ctx.out.println(p);
                    else ctx.out.println("[" + topic + "] " + p);
                    ctx.out.flush();
                }
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        try {
            c.subscribe(filter, qos);
            lost.await();
            throw new CommandFailed("MQTT connection lost: " + why[0] + "\n\nHint: Is MQTT server running?");
        } catch (MqttException e) {
            throw new CommandFailed("MQTT subscribe to " + filter + " failed: " + reason(e));
        } finally {
            close(c);
        }
    }
}
