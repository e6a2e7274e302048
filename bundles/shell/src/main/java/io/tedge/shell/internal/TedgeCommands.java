package io.tedge.shell.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import io.tedge.cli.CommandContext;
import io.tedge.cli.Tedge;
import io.tedge.config.TedgeConfigService;

/**
 * The tedge commands in the Gogo shell, scope {@code tedge}: {@code tedge:config set c8y.url …}
 * or, as on the OS shell, {@code tedge config set c8y.url …}. Same code as {@code bin/tedge};
 * the exit code is left in the session variable {@code tedge.exit}.
 */
@Component(service = TedgeCommands.class, property = {
        "osgi.command.scope=tedge",
        "osgi.command.function=tedge",
        "osgi.command.function=config",
        "osgi.command.function=mqtt",
        "osgi.command.function=cert",
        "osgi.command.function=connect",
        "osgi.command.function=disconnect",
        "osgi.command.function=status",
        "osgi.command.function=plugins",
        "osgi.command.function=operations"})
public class TedgeCommands {
    private final TedgeConfigService config;

    @Activate
    public TedgeCommands(@Reference TedgeConfigService config) {
        this.config = config;
    }

    @Descriptor("Run a tedge command line, as bin/tedge does: tedge config get c8y.url")
    public void tedge(CommandSession session, @Descriptor("subcommand and its arguments") String... args) {
        run(session, Arrays.asList(args));
    }

    @Descriptor("Configure Thin Edge: config get|set|unset|list [--all] [--doc]")
    public void config(CommandSession session, @Descriptor("get <key> | set <key> <value> | unset <key> | list [--all] [--doc]") String... args) {
        run(session, prefixed("config", args));
    }

    @Descriptor("Publish a message on a topic and subscribe a topic: mqtt pub [-q 0|1|2] [-r] <topic> '<message>' | mqtt sub [-q 0|1|2] [--no-topic] <filter>")
    public void mqtt(CommandSession session, @Descriptor("pub [-q QOS] [-r] <topic> <message> | sub [-q QOS] [--no-topic] <filter>") String... args) {
        run(session, prefixed("mqtt", args));
    }

    @Descriptor("Create and manage device certificate: cert create --device-id <id> | show | remove | upload c8y --user <user> | create-csr")
    public void cert(CommandSession session, @Descriptor("create --device-id <id> | show | remove | upload c8y --user <user> | create-csr [--device-id <id>] [--output-path <path>]") String... args) {
        run(session, prefixed("cert", args));
    }

    @Descriptor("Connect the device to a cloud: connect c8y | az | <connector> [--test]")
    public void connect(CommandSession session, @Descriptor("<cloud> [--test]") String... args) {
        run(session, prefixed("connect", args));
    }

    @Descriptor("Remove the connection of the device to a cloud: disconnect c8y | az | <connector>")
    public void disconnect(CommandSession session, @Descriptor("<cloud>") String... args) {
        run(session, prefixed("disconnect", args));
    }

    @Descriptor("Show the state of every cloud link: up/down, queued messages, last error")
    public void status(CommandSession session, @Descriptor("no arguments") String... args) {
        run(session, prefixed("status", args));
    }

    @Descriptor("List the connectors and mappers: bundle, version, state, link status, backlog")
    public void plugins(CommandSession session, @Descriptor("no arguments") String... args) {
        run(session, prefixed("plugins", args));
    }

    @Descriptor("List the supported operations (operations/c8y) and the operations in flight")
    public void operations(CommandSession session, @Descriptor("[list]") String... args) {
        run(session, prefixed("operations", args));
    }

    private static List<String> prefixed(String cmd, String... args) {
        List<String> all = new ArrayList<>();
        all.add(cmd);
        all.addAll(Arrays.asList(args));
        return all;
    }

    private void run(CommandSession session, List<String> args) {
        CommandContext ctx = new CommandContext(System.out, System.err, System.getenv(), config.configDir(), config::registry,
                prompt -> {
                    System.out.print(prompt);
                    System.out.flush();
                    try {
                        java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(session.getKeyboard()));
                        String line = r.readLine();
                        return line == null ? null : line.toCharArray();
                    } catch (java.io.IOException e) {
                        return null;
                    }
                }, true);
        int rc = Tedge.run(args, ctx);
        System.out.flush();
        session.put("tedge.exit", rc);
    }
}
