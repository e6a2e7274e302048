package io.tedge.cli;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
    static final String PLUGINS = "USAGE:\n    tedge plugins\n\nList the connectors and mappers of the running container: bundle, version, state, link, backlog\n";
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
        requireEndpoint(cfg, cloud); // before anything is printed, as thin-edge.io does
        ctx.out.println("Checking if configuration for requested bridge already exists.");
        if (cfg.connected(cloud)) {
            throw new CommandFailed("Connection is already established. To remove existing connection use 'tedge disconnect " + cloud
                    + "' and try again.");
        }
        MqttClient c = running(ctx);
        try {
            requireConnector(ctx, c, cloud);
            ctx.out.println("Validating the bridge certificates.");
            validate(cfg, cloud);
            ctx.out.println("Saving configuration for requested bridge.");
            TedgeConfig.setRaw(ctx.configDir, cloud, "connect", "true");
            if (c == null) {
                throw new CommandFailed("The tedge container is not running.\nThe connection to " + cloud
                        + " is saved and will be established when the container starts: run `tedged`.");
            }
            ctx.out.println("Waiting for the " + cloud + " link to come up. This may take up to " + linkTimeoutMs / 1000 + " seconds.");
            Map<String, Object> status = awaitStatus(c, cloud, s -> {
                String st = JsonText.text(s, "status", "");
                return st.equals("up") || st.equals("error") || (st.equals("down") && Boolean.TRUE.equals(s.get("terminal")));
            }, linkTimeoutMs);
            if (status == null || !"up".equals(status.get("status"))) {
                String why = status == null ? "no status from the container" : JsonText.text(status, "last_error", "unknown error");
                throw new CommandFailed("The " + cloud + " link did not come up: " + why
                        + "\nThe connection stays configured and keeps retrying; `tedge disconnect " + cloud + "` removes it.");
            }
            ctx.out.println("Successfully created bridge connection!");
            int rc = check(ctx, c, cloud);
            if (rc == 0) ctx.out.println("The " + cloud + " mapper runs in the container while " + cloud + " is connected.");
            return rc;
        } finally {
            if (c != null) MqttCommand.close(c);
        }
    }

    /**
     * Refuses a cloud that no installed bundle provides, before anything is written: the running
     * container says which connectors it has; without a container, the keys declared by the jars
     * of bundle/ and deploy/ tell (c8y and az are built in).
     */
    private static void requireConnector(CommandContext ctx, MqttClient c, String cloud) throws CommandFailed, InterruptedException {
        List<String> installed;
        String settling = null;
        if (c != null) {
            // a container that is still starting the jars of deploy/ or their components (the
            // inventory says "settled": false) is asked again, for up to 20 s
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (true) {
                Map<String, Object> inventory = inventory(c);
                installed = new ArrayList<>();
                for (Map<String, Object> p : rows(inventory)) {
                    if ("connector".equals(p.get("kind")) && "ACTIVE".equals(p.get("state"))) installed.add(JsonText.text(p, "name", "?"));
                }
                if (installed.contains(cloud)) return;
                settling = Boolean.FALSE.equals(inventory.get("settled")) ? JsonText.text(inventory, "settling", "deploy/ is being started") : null;
                if (settling == null || System.nanoTime() - end > 0) break;
                Thread.sleep(250);
            }
        } else {
            if (cloud.equals("c8y") || cloud.equals("az") || ctx.fullRegistry.get().hasTable(cloud)) return;
            // a connector reads <cloud>.url (ConnectorConfig): the clouds whose url key a jar declares
            installed = new ArrayList<>(List.of("az", "c8y"));
            for (io.tedge.config.ConfigKeyDef k : ctx.fullRegistry.get().all()) {
                String key = k.key();
                if (key.endsWith(".url") && key.indexOf('.') == key.length() - 4) {
                    String t = key.substring(0, key.length() - 4);
                    if (!installed.contains(t)) installed.add(t);
                }
            }
        }
        Collections.sort(installed);
        throw new CommandFailed("No connector for '" + cloud + "' is installed. Installed connectors: "
                + (installed.isEmpty() ? "none" : String.join(", ", installed))
                + ".\nPut the connector's jar into the deploy/ folder of the agent, then run `tedge connect " + cloud + "` again."
                + (settling == null ? "" : "\nThe container has not finished starting deploy/ after 20 s: " + settling + "."));
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
        MqttClient c = running(ctx);
        if (c == null) {
            ctx.out.println(cloud + " bridge has been removed (the container is not running).");
            return 0;
        }
        try {
            boolean provided = plugins(c).stream().anyMatch(p -> "connector".equals(p.get("kind")) && cloud.equals(p.get("name")));
            if (provided) {
                awaitStatus(c, cloud, s -> "disconnected".equals(s.get("status")) || "error".equals(s.get("status")), 10_000);
            }
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
        CliMqttClient c = MqttCommand.open(ctx, "tedge-status-");
        try {
            printLinks(ctx, retained(c, "tedge/bridge/+/status"));
            HealthTable.print(ctx.out, retained(c, "tedge/health/#"));
            return 0;
        } catch (java.io.IOException e) {
            throw new CommandFailed("status: " + e.getMessage() + (e instanceof CliMqttClient.Timeout ? MqttCommand.HUNG_HINT : ""));
        } finally {
            c.disconnect();
        }
    }

    /** The link table of {@code tedge status}: one line per cloud from its retained status. */
    static void printLinks(CommandContext ctx, List<String[]> statuses) {
        if (statuses.isEmpty()) {
            ctx.out.println("No cloud link (connect one with `tedge connect c8y`).");
            return;
        }
        for (String[] m : statuses) {
            Map<String, Object> s = JsonText.object(m[1]);
            String err = JsonText.text(s, "last_error", "");
            ctx.out.printf("%-8s %-12s endpoint=%s since=%s queued=%s sent=%s received=%s refused=%s dropped=%s%s%n",
                    JsonText.text(s, "cloud", "?"), JsonText.text(s, "status", "?"), JsonText.text(s, "endpoint", "-"),
                    JsonText.text(s, "since", "-"), JsonText.text(s, "queued", "-"), JsonText.text(s, "sent", "-"),
                    JsonText.text(s, "received", "-"), JsonText.text(s, "refused", "-"), JsonText.text(s, "dropped", "-"),
                    err.isEmpty() ? "" : " last_error=\"" + err + "\"");
        }
    }

    static int plugins(List<String> args, CommandContext ctx) throws UsageException, ConfigException, CommandFailed, InterruptedException {
        Args a = Tedge.parse(args, PLUGINS, Set.of(), Set.of(), Map.of());
        if (a.help) return ConfigCommand.help(ctx, PLUGINS);
        Tedge.requireArgs(a, 0, 0, PLUGINS);
        MqttClient c = MqttCommand.connect(ctx, "tedge-plugins-", true);
        try {
            Map<String, Object> inventory = inventory(c);
            List<Map<String, Object>> rows = rows(inventory);
            ctx.out.printf("%-10s %-10s %-24s %-16s %-10s %-13s %s%n", "KIND", "NAME", "BUNDLE", "VERSION", "STATE", "LINK", "BACKLOG");
            for (Map<String, Object> p : rows) {
                long backlog = p.get("backlog") instanceof Number n ? n.longValue() : -1;
                ctx.out.printf("%-10s %-10s %-24s %-16s %-10s %-13s %s%n", JsonText.text(p, "kind", "?"), JsonText.text(p, "name", "-"),
                        JsonText.text(p, "bundle", "-"), JsonText.text(p, "version", "-"), JsonText.text(p, "state", "-"),
                        JsonText.text(p, "link", "-"), backlog < 0 ? "-" : Long.toString(backlog)
                                + (p.containsKey("reason") ? "  " + JsonText.text(p, "reason", "") : ""));
            }
            if (Boolean.FALSE.equals(inventory.get("settled"))) {
                ctx.out.println("deploy/ is still being started: " + JsonText.text(inventory, "settling", "?"));
            }
            return 0;
        } finally {
            MqttCommand.close(c);
        }
    }

    /** The rows of the container's plug-in inventory (tedge/plugins/list). */
    static List<Map<String, Object>> plugins(MqttClient c) throws CommandFailed, InterruptedException {
        return rows(inventory(c));
    }

    /** The container's plug-in inventory: {@code plugins} (rows) and {@code settled}. */
    static Map<String, Object> inventory(MqttClient c) throws CommandFailed, InterruptedException {
        // asked again every second: right after the broker starts listening the inventory may not
        // be subscribed yet, and a request nobody hears is gone (answering twice is harmless)
        String answer = request(c, "tedge/plugins/list", 10, 1);
        if (answer == null) throw new CommandFailed("No answer from the container to the plug-in list within 10 s.");
        return JsonText.object(answer);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rows(Map<String, Object> inventory) {
        Object list = inventory.get("plugins");
        List<Map<String, Object>> out = new ArrayList<>();
        if (list instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> m) out.add((Map<String, Object>) m);
            }
        }
        return out;
    }

    /**
     * Publishes a request (payload: a fresh id) and returns the answer on {@code <topic>/<id>}, or
     * null at the timeout; an idempotent request is published again every {@code repeatSeconds}
     * (0: once) until answered.
     */
    private static String request(MqttClient c, String topic, int seconds, int repeatSeconds) throws CommandFailed, InterruptedException {
        String id = UUID.randomUUID().toString().substring(0, 8);
        BlockingQueue<String[]> q = new LinkedBlockingQueue<>();
        c.setCallback(callback(q));
        byte[] payload = id.getBytes(StandardCharsets.UTF_8);
        try {
            c.subscribe(topic + "/" + id, 1);
            c.publish(topic, payload, 1, false);
        } catch (MqttException e) {
            throw new CommandFailed("Cannot ask the container (" + topic + "): " + e.getMessage());
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long repeat = TimeUnit.SECONDS.toNanos(repeatSeconds);
        long next = repeat > 0 ? System.nanoTime() + repeat : Long.MAX_VALUE;
        while (true) {
            long now = System.nanoTime();
            long left = end - now;
            if (left <= 0) return null;
            if (repeat > 0 && now - next >= 0) {
                try {
                    c.publish(topic, payload, 1, false);
                } catch (MqttException e) {
                    throw new CommandFailed("Cannot ask the container (" + topic + "): " + e.getMessage());
                }
                next = now + repeat;
            }
            String[] m = q.poll(Math.min(left, repeat > 0 ? Math.max(0, next - now) : left), TimeUnit.NANOSECONDS);
            if (m == null) continue;
            if (m[0].isEmpty()) throw new CommandFailed("The connection to the local broker was lost.");
            if (m[0].equals(topic + "/" + id)) return m[1];
        }
    }

    /** The retained messages of a filter, as [topic, payload], sorted by topic. */
    /**
     * The retained messages of a filter, by the command line's own client: they come right after
     * the SUBACK, and a message of our own on a topic of our own, published after it, marks their
     * end, so no fixed wait (issue 13: every command under 150 ms).
     */
    private static List<String[]> retained(CliMqttClient c, String filter) throws java.io.IOException, InterruptedException {
        String end = "tedge-cli/" + MqttCommand.clientId("retained-") + "/end";
        c.subscribe(filter, 0);
        c.subscribe(end, 0);
        c.publish(end, new byte[0], 0, false);
        List<String[]> out = new ArrayList<>();
        CliMqttClient.Message m;
        while ((m = c.receive(MqttCommand.timeoutMs)) != null && !m.topic().equals(end)) {
            if (m.payload().length > 0) out.add(new String[] {m.topic(), m.text()});
        }
        out.sort(java.util.Comparator.comparing(x -> x[0]));
        return out;
    }

    private static String cloud(String name, String usage) throws UsageException {
        if (!NAME.matcher(name).matches()) throw new UsageException("Invalid cloud name '" + name + "'", usage);
        return name;
    }

    /** The cloud's endpoint: {@code <cloud>.url} (or {@code <cloud>.mqtt}) of the built-in clouds is set. */
    static void requireEndpoint(TedgeConfig cfg, String cloud) throws CommandFailed, ConfigException {
        if ((cloud.equals("c8y") || cloud.equals("az")) && cfg.get(cloud + ".url").isEmpty() && cfg.explicit(cloud + ".mqtt") == null) {
            String example = cloud.equals("c8y") ? "<your-tenant>.cumulocity.com" : "<your-hub>.azure-devices.net";
            throw new CommandFailed(cloud + ".url is not set. Set it with `tedge config set " + cloud + ".url " + example + "`.");
        }
    }

    /** What tedge connect checks before touching anything: the endpoint and the certificate. */
    static void validate(TedgeConfig cfg, String cloud) throws CommandFailed, ConfigException {
        requireEndpoint(cfg, cloud);
        if (cloud.equals("c8y") || cloud.equals("az")) {
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

    /** A client of the running container's broker, or null when it is not running. */
    private static MqttClient running(CommandContext ctx) throws ConfigException {
        try {
            return MqttCommand.connect(ctx, "tedge-connect-", true);
        } catch (CommandFailed e) {
            return null;
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
                q.add(new String[] {"", ""});
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
        boolean test(Map<String, Object> status);
    }

    /** The first status of the cloud that satisfies the condition, or the last one seen (null if none) at the timeout. */
    private static Map<String, Object> awaitStatus(MqttClient c, String cloud, Cond cond, long timeoutMs)
            throws InterruptedException, CommandFailed {
        BlockingQueue<String[]> q = new LinkedBlockingQueue<>();
        c.setCallback(callback(q));
        try {
            c.subscribe("tedge/bridge/" + cloud + "/status", 1);
        } catch (MqttException e) {
            throw new CommandFailed("Cannot follow the link status: " + e.getMessage());
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        Map<String, Object> last = null;
        while (true) {
            long left = end - System.nanoTime();
            if (left <= 0) return last;
            String[] m = q.poll(left, TimeUnit.NANOSECONDS);
            if (m == null) return last;
            if (m[0].isEmpty()) throw new CommandFailed("The connection to the local broker was lost.");
            last = JsonText.object(m[1]);
            if (cond.test(last)) return last;
        }
    }

    private static int check(CommandContext ctx, MqttClient c, String cloud) throws InterruptedException, CommandFailed {
        ctx.out.println("Sending packets to check connection. This may take up to 20 seconds.");
        String answer = request(c, "tedge/bridge/" + cloud + "/check", 40, 0);
        if (answer == null) {
            throw new CommandFailed("No answer from the container to the connection check of " + cloud
                    + " (is a connector for '" + cloud + "' installed in deploy/?)");
        }
        Map<String, Object> r = JsonText.object(answer);
        if (!Boolean.TRUE.equals(r.get("ok"))) throw new CommandFailed(JsonText.text(r, "message", "connection check failed"));
        ctx.out.println(JsonText.text(r, "message", "Connection check is successful."));
        return 0;
    }
}
