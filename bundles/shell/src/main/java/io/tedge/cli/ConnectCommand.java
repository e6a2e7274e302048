package io.tedge.cli;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;

import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfig;

/**
 * {@code tedge connect <cloud> [--test]}, {@code tedge disconnect <cloud>} and
 * {@code tedge status}. The connection is a flag in tedge.toml ({@code [<cloud>] connect}); the
 * running container sees it and brings the link up or down. The command then follows the link's
 * status on {@code tedge/bridge/<cloud>/status} and asks the container for the cloud's
 * connection check, all through the local broker, as thin-edge.io's CLI does with mosquitto.
 */
final class ConnectCommand {
    static final String CONNECT = String.join("\n",
            "USAGE:",
            "    tedge connect <CLOUD> [--test]",
            "",
            "Connect the device to a cloud: c8y, az, or the name of an installed connector",
            "",
            "OPTIONS:",
            "    --test    Test the connection of a connected device (nothing is changed)",
            "");
    static final String DISCONNECT = "USAGE:\n    tedge disconnect <CLOUD>\n\nRemove the connection of the device to a cloud\n";
    static final String STATUS = "USAGE:\n    tedge status\n\nShow the state of every cloud link of the running container, and the health of its services\n";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");
    static long linkTimeoutMs = 30_000;

    private ConnectCommand() {
    }

    static int connect(List<String> args, CommandContext ctx) throws UsageException, ConfigException, CommandFailed, InterruptedException {
        Args a = Tedge.parse(args, CONNECT, Set.of(), Set.of("--test"), Map.of());
        if (a.help) return ConfigCommand.help(ctx, CONNECT);
        Tedge.requireArgs(a, 1, 1, CONNECT);
        String cloud = cloud(a.positionals.get(0), CONNECT);
        TedgeConfig cfg = ctx.coreConfig();
        if (a.flag("--test")) {
            if (!cfg.connected(cloud)) {
                throw new CommandFailed("The device is not connected to " + cloud + ". Use `tedge connect " + cloud + "` to connect it first.");
            }
            MqttClient c = local(ctx, cloud, false);
            try {
                return check(ctx, c, cloud);
            } finally {
                MqttCommand.close(c);
            }
        }
        ctx.out.println("Checking if configuration for requested bridge already exists.");
        if (cfg.connected(cloud)) {
            throw new CommandFailed("Connection is already established. To remove existing connection use 'tedge disconnect " + cloud
                    + "' and try again.");
        }
        ctx.out.println("Validating the bridge certificates.");
        validate(cfg, cloud);
        ctx.out.println("Saving configuration for requested bridge.");
        TedgeConfig.setRaw(ctx.configDir, cloud, "connect", "true");
        MqttClient c = local(ctx, cloud, true);
        try {
            ctx.out.println("Waiting for the " + cloud + " link to come up. This may take up to " + linkTimeoutMs / 1000 + " seconds.");
            Map<String, String> status = awaitStatus(c, cloud, s -> "up".equals(s.get("status")) || "error".equals(s.get("status")),
                    linkTimeoutMs);
            if (status == null || !"up".equals(status.get("status"))) {
                String why = status == null ? "no status from the container (is a connector for '" + cloud + "' installed in deploy/?)"
                        : status.getOrDefault("last_error", "unknown error");
                throw new CommandFailed("The " + cloud + " link did not come up: " + why
                        + "\nThe connection stays configured and keeps retrying; `tedge disconnect " + cloud + "` removes it.");
            }
            ctx.out.println("Successfully created bridge connection!");
            int rc = check(ctx, c, cloud);
            if (rc == 0) ctx.out.println("The " + cloud + " mapper runs in the container while " + cloud + " is connected.");
            return rc;
        } finally {
            MqttCommand.close(c);
        }
    }

    static int disconnect(List<String> args, CommandContext ctx) throws UsageException, ConfigException, CommandFailed, InterruptedException {
        Args a = Tedge.parse(args, DISCONNECT, Set.of(), Set.of(), Map.of());
        if (a.help) return ConfigCommand.help(ctx, DISCONNECT);
        Tedge.requireArgs(a, 1, 1, DISCONNECT);
        String cloud = cloud(a.positionals.get(0), DISCONNECT);
        TedgeConfig cfg = ctx.coreConfig();
        if (!cfg.connected(cloud)) {
            ctx.out.println("Bridge doesn't exist. Device is already disconnected from " + cloud + ".");
            return 0;
        }
        ctx.out.println("Removing " + cloud + " bridge.");
        TedgeConfig.setRaw(ctx.configDir, cloud, "connect", null);
        MqttClient c;
        try {
            c = MqttCommand.connect(ctx, "tedge-disconnect-", true);
        } catch (CommandFailed e) {
            ctx.out.println(cloud + " bridge has been removed (the container is not running).");
            return 0;
        }
        try {
            awaitStatus(c, cloud, s -> !"up".equals(s.get("status")) && !"connecting".equals(s.get("status")) && !"down".equals(s.get("status")),
                    10_000);
        } finally {
            MqttCommand.close(c);
        }
        ctx.out.println(cloud + " bridge has been removed.");
        return 0;
    }

    static int status(List<String> args, CommandContext ctx) throws UsageException, ConfigException, CommandFailed, InterruptedException {
        Args a = Tedge.parse(args, STATUS, Set.of(), Set.of(), Map.of());
        if (a.help) return ConfigCommand.help(ctx, STATUS);
        Tedge.requireArgs(a, 0, 0, STATUS);
        MqttClient c = MqttCommand.connect(ctx, "tedge-status-", true);
        BlockingQueue<String[]> q = new LinkedBlockingQueue<>();
        try {
            c.setCallback(callback(q));
            c.subscribe("tedge/bridge/+/status", 1);
            int n = 0;
            String[] m;
            while ((m = q.poll(n == 0 ? 1500 : 300, TimeUnit.MILLISECONDS)) != null) {
                Map<String, String> s = parse(m[1]);
                ctx.out.printf("%-8s %-12s endpoint=%s queued=%s sent=%s received=%s dropped=%s%s%n", s.getOrDefault("cloud", "?"),
                        s.getOrDefault("status", "?"), s.getOrDefault("endpoint", "-"), s.getOrDefault("queued", "-"), s.getOrDefault("sent", "-"),
                        s.getOrDefault("received", "-"), s.getOrDefault("dropped", "-"),
                        s.getOrDefault("last_error", "").isEmpty() ? "" : " last_error=\"" + s.get("last_error") + "\"");
                n++;
            }
            if (n == 0) ctx.out.println("No cloud link (connect one with `tedge connect c8y`).");
            HealthTable.print(c, ctx.out);
            return 0;
        } catch (MqttException e) {
            throw new CommandFailed("status: " + e.getMessage());
        } finally {
            MqttCommand.close(c);
        }
    }

    private static String cloud(String name, String usage) throws UsageException {
        if (!NAME.matcher(name).matches()) throw new UsageException("Invalid cloud name '" + name + "'", usage);
        return name;
    }

    /** What tedge connect checks before touching anything: the endpoint and the certificate. */
    static void validate(TedgeConfig cfg, String cloud) throws CommandFailed, ConfigException {
        if (cloud.equals("c8y") || cloud.equals("az")) {
            if (cfg.get(cloud + ".url").isEmpty() && cfg.explicit(cloud + ".mqtt") == null) {
                String example = cloud.equals("c8y") ? "<your-tenant>.cumulocity.com" : "<your-hub>.azure-devices.net";
                throw new CommandFailed(cloud + ".url is not set. Set it with `tedge config set " + cloud + ".url " + example + "`.");
            }
            String root = cfg.get(cloud + ".root.cert.path").orElse("");
            if (!Files.exists(Path.of(root))) {
                throw new CommandFailed("The trusted root certificate path " + root + " does not exist. Set it with `tedge config set "
                        + cloud + ".root.cert.path <file or folder>`.");
            }
        }
        Path cert = Path.of(cfg.require("device.cert.path"));
        Path key = Path.of(cfg.require("device.key.path"));
        if (!Files.isRegularFile(cert)) {
            throw new CommandFailed("No certificate has been attached to that device.\n Missing file: " + cert
                    + "\n Run `tedge cert create --device-id <id>` to generate a new certificate.");
        }
        if (!Files.isRegularFile(key)) {
            throw new CommandFailed("The device certificate has no private key.\n Missing file: " + key
                    + "\n Run `tedge cert remove` and `tedge cert create --device-id <id>` to make a new pair.");
        }
        try {
            X509Certificate x = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert)));
            x.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new CommandFailed("The device certificate " + cert + " has expired. Run `tedge cert remove` and `tedge cert create "
                    + "--device-id <id>` (and upload the new one to the cloud).");
        } catch (CertificateNotYetValidException e) {
            throw new CommandFailed("The device certificate " + cert + " is not valid yet (check the system clock).");
        } catch (Exception e) {
            throw new CommandFailed("The device certificate " + cert + " cannot be read: " + e.getMessage());
        }
    }

    private static MqttClient local(CommandContext ctx, String cloud, boolean saved) throws ConfigException, CommandFailed {
        try {
            return MqttCommand.connect(ctx, "tedge-connect-", true);
        } catch (CommandFailed e) {
            throw new CommandFailed("The tedge container is not running (" + e.getMessage().split("\n")[0] + ").\n"
                    + (saved ? "The connection to " + cloud + " is saved and will be established when the container starts: run `tedged`."
                    : "Start it with `tedged`."));
        }
    }

    private static MqttCallback callback(BlockingQueue<String[]> q) {
        return new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                q.add(new String[] {"", "{\"status\":\"lost\"}"});
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                q.add(new String[] {topic, new String(message.getPayload(), StandardCharsets.UTF_8)});
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        };
    }

    private interface Cond {
        boolean test(Map<String, String> status);
    }

    /** The first status of the cloud that satisfies the condition, or the last one seen (null if none) at the timeout. */
    private static Map<String, String> awaitStatus(MqttClient c, String cloud, Cond cond, long timeoutMs)
            throws InterruptedException, CommandFailed {
        BlockingQueue<String[]> q = new LinkedBlockingQueue<>();
        c.setCallback(callback(q));
        try {
            c.subscribe("tedge/bridge/" + cloud + "/status", 1);
        } catch (MqttException e) {
            throw new CommandFailed("Cannot follow the link status: " + e.getMessage());
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        Map<String, String> last = null;
        while (true) {
            long left = end - System.nanoTime();
            if (left <= 0) return last;
            String[] m = q.poll(left, TimeUnit.NANOSECONDS);
            if (m == null) return last;
            last = parse(m[1]);
            if ("lost".equals(last.get("status"))) throw new CommandFailed("The connection to the local broker was lost.");
            if (cond.test(last)) return last;
        }
    }

    private static int check(CommandContext ctx, MqttClient c, String cloud) throws InterruptedException, CommandFailed {
        ctx.out.println("Sending packets to check connection. This may take up to 20 seconds.");
        String id = UUID.randomUUID().toString().substring(0, 8);
        BlockingQueue<String[]> q = new LinkedBlockingQueue<>();
        c.setCallback(callback(q));
        try {
            c.subscribe("tedge/bridge/" + cloud + "/check/" + id, 1);
            c.publish("tedge/bridge/" + cloud + "/check", id.getBytes(StandardCharsets.UTF_8), 1, false);
        } catch (MqttException e) {
            throw new CommandFailed("Cannot ask the container for the connection check: " + e.getMessage());
        }
        String[] m = q.poll(40, TimeUnit.SECONDS);
        if (m == null) {
            throw new CommandFailed("No answer from the container to the connection check of " + cloud
                    + " (is a connector for '" + cloud + "' installed in deploy/?)");
        }
        Map<String, String> r = parse(m[1]);
        if (!"true".equals(r.get("ok"))) throw new CommandFailed(r.getOrDefault("message", "connection check failed"));
        ctx.out.println(r.getOrDefault("message", "Connection check is successful."));
        return 0;
    }

    private static final Pattern FIELD = Pattern.compile("\"([a-z_]+)\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[^,}]+)");

    /** The flat JSON objects of the status and check topics, as strings. */
    static Map<String, String> parse(String json) {
        Map<String, String> out = new java.util.HashMap<>();
        Matcher m = FIELD.matcher(json);
        while (m.find()) {
            String v = m.group(3) != null ? m.group(3).replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\") : m.group(2).trim();
            out.put(m.group(1), v);
        }
        return out;
    }
}
