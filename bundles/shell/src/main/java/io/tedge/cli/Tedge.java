package io.tedge.cli;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tedge.config.ConfigException;

/**
 * The tedge command line: the same code behind {@code bin/tedge ARGS} and the Gogo commands of
 * scope {@code tedge}. Output and exit codes are the same both ways: 0 success, 1 failure,
 * 2 usage error.
 */
public final class Tedge {
    static final String USAGE = String.join("\n",
            "tedge: thin-edge.io command line (tedge-osgi)",
            "",
            "USAGE:",
            "    tedge [--config-dir <DIR>] <SUBCOMMAND>",
            "",
            "OPTIONS:",
            "    --config-dir <DIR>    Where tedge.toml is [env: TEDGE_CONFIG_DIR] [default: /etc/tedge as root, else ~/.tedge]",
            "    -h, --help            Prints help information",
            "",
            "SUBCOMMANDS:",
            "    init          Initialize Thin Edge: the folders, their owner and permissions",
            "    config        Configure Thin Edge",
            "    cert          Create and manage device certificate",
            "    connect       Connect to connector provider (c8y, az, or an installed connector)",
            "    disconnect    Remove bridge connection for a provider",
            "    status        Show the state of the cloud links of the running container",
            "    plugins       List the connectors and mappers of the running container",
            "    mqtt          Publish a message on a topic and subscribe a topic",
            "    operations    List the supported operations and the operations in flight",
            "    help          Prints this message or the help of the given subcommand(s)",
            "");

    private Tedge() {
    }

    /** Runs a command; returns its exit code. Never throws for a user error. */
    public static int run(List<String> args, CommandContext ctx) {
        try {
            if (args.isEmpty()) throw new UsageException("A subcommand is required", USAGE);
            String cmd = args.get(0);
            List<String> rest = args.subList(1, args.size());
            switch (cmd) {
                case "init":
                    return InitCommand.run(rest, ctx);
                case "config":
                    return ConfigCommand.run(rest, ctx);
                case "mqtt":
                    return MqttCommand.run(rest, ctx);
                case "cert":
                    return CertCommand.run(rest, ctx);
                case "connect":
                    return ConnectCommand.connect(rest, ctx);
                case "disconnect":
                    return ConnectCommand.disconnect(rest, ctx);
                case "status":
                    return ConnectCommand.status(rest, ctx);
                case "plugins":
                    return ConnectCommand.plugins(rest, ctx);
                case "operations":
                    return OperationsCommand.run(rest, ctx);
                case "help":
                    if (!rest.isEmpty()) return run(List.of(rest.get(0), "--help"), ctx);
                    ctx.out.print(USAGE);
                    return 0;
                case "-h":
                case "--help":
                    ctx.out.print(USAGE);
                    return 0;
                case "-V":
                case "--version":
                    ctx.out.println("tedge " + version());
                    return 0;
                default:
                    throw new UsageException("Found argument '" + cmd + "' which wasn't expected", USAGE);
            }
        } catch (UsageException e) {
            ctx.err.println("error: " + e.getMessage());
            ctx.err.println();
            ctx.err.print(e.usage);
            return 2;
        } catch (CommandFailed e) {
            ctx.err.println("Error: " + e.getMessage());
            return e.exitCode;
        } catch (ConfigException e) {
            ctx.err.println("Error: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    static String version() {
        String v = Tedge.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0" : v;
    }

    /** Options parser for a (sub)command. */
    static Args parse(List<String> args, String usage, Set<String> withValue, Set<String> flags, Map<String, String> canonical)
            throws UsageException {
        return new Args(args, withValue, flags, canonical, usage);
    }

    static void requireArgs(Args a, int min, int max, String usage) throws UsageException {
        if (a.positionals.size() < min) throw new UsageException("Missing a required argument", usage);
        if (a.positionals.size() > max) {
            throw new UsageException("Found argument '" + a.positionals.get(max) + "' which wasn't expected", usage);
        }
    }
}
