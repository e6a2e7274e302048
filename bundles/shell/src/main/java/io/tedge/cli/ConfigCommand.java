package io.tedge.cli;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.tedge.config.ConfigException;
import io.tedge.config.ConfigKeyDef;
import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;

/** {@code tedge config get|set|unset|list}. */
final class ConfigCommand {
    static final String USAGE = String.join("\n",
            "tedge config: Configure Thin Edge",
            "",
            "USAGE:",
            "    tedge config <SUBCOMMAND>",
            "",
            "SUBCOMMANDS:",
            "    get      Get the value of the provided configuration key",
            "    set      Set or update the provided configuration key with the given value",
            "    unset    Unset the provided configuration key",
            "    list     Print the configuration keys and their values",
            "",
            "See `tedge config list --doc` for the keys.",
            "");
    static final String GET = "USAGE:\n    tedge config get <KEY>\n\nGet the value of the provided configuration key\n";
    static final String SET = "USAGE:\n    tedge config set <KEY> <VALUE>\n\nSet or update the provided configuration key with the given value\n";
    static final String UNSET = "USAGE:\n    tedge config unset <KEY>\n\nUnset the provided configuration key\n";
    static final String LIST = String.join("\n",
            "USAGE:",
            "    tedge config list [--all] [--doc]",
            "",
            "Print the configuration keys and their values",
            "",
            "OPTIONS:",
            "    --all    Prints all the configuration keys, even those without a configured value",
            "    --doc    Prints all keys and descriptions with example values",
            "");

    private ConfigCommand() {
    }

    static int run(List<String> args, CommandContext ctx) throws UsageException, ConfigException, CommandFailed {
        if (args.isEmpty()) throw new UsageException("A subcommand is required", USAGE);
        String sub = args.get(0);
        List<String> rest = args.subList(1, args.size());
        switch (sub) {
            case "get": {
                Args a = Tedge.parse(rest, GET, Set.of(), Set.of(), Map.of());
                if (a.help) return help(ctx, GET);
                Tedge.requireArgs(a, 1, 1, GET);
                String key = a.positionals.get(0);
                ConfigRegistry reg = ctx.registryFor(key);
                TedgeConfig file = TedgeConfig.load(ctx.configDir, reg);
                String undeclared = file.undeclared(key);
                if (undeclared != null) {
                    // kept in tedge.toml while the bundle that declares it is absent (e.g. a removed connector)
                    ctx.out.println(undeclared);
                    ctx.err.println(key + " " + TedgeConfig.UNDECLARED);
                    return 0;
                }
                Optional<String> v = file.get(key);
                if (v.isPresent()) ctx.out.println(v.get());
                else ctx.out.println("The provided config key: '" + key + "' is not set");
                return 0;
            }
            case "set": {
                Args a = Tedge.parse(rest, SET, Set.of(), Set.of(), Map.of());
                if (a.help) return help(ctx, SET);
                Tedge.requireArgs(a, 2, 2, SET);
                String key = a.positionals.get(0);
                TedgeConfig.set(ctx.configDir, ctx.registryFor(key), key, a.positionals.get(1));
                Ownership.adopt(ctx, List.of(ctx.configDir.resolve(TedgeConfig.FILE_NAME), ctx.configDir.resolve(".tedge.toml.lock")));
                return 0;
            }
            case "unset": {
                Args a = Tedge.parse(rest, UNSET, Set.of(), Set.of(), Map.of());
                if (a.help) return help(ctx, UNSET);
                Tedge.requireArgs(a, 1, 1, UNSET);
                String key = a.positionals.get(0);
                TedgeConfig.unset(ctx.configDir, ctx.registryFor(key), key);
                Ownership.adopt(ctx, List.of(ctx.configDir.resolve(TedgeConfig.FILE_NAME), ctx.configDir.resolve(".tedge.toml.lock")));
                return 0;
            }
            case "list": {
                Args a = Tedge.parse(rest, LIST, Set.of(), Set.of("--all", "--doc"), Map.of());
                if (a.help) return help(ctx, LIST);
                Tedge.requireArgs(a, 0, 0, LIST);
                ConfigRegistry reg = ctx.fullRegistry.get();
                if (a.flag("--doc")) {
                    for (ConfigKeyDef d : reg.all()) {
                        ctx.out.printf("%-30s %s%n", d.key(), d.doc());
                    }
                    return 0;
                }
                TedgeConfig cfg = TedgeConfig.load(ctx.configDir, reg);
                boolean all = a.flag("--all");
                boolean blank = false;
                for (Map.Entry<String, String> e : cfg.list(all)) {
                    if (all && e.getValue().isEmpty() && !blank) {
                        ctx.out.println();
                        blank = true;
                    }
                    ctx.out.println(e.getKey() + "=" + e.getValue());
                }
                for (Map.Entry<String, String> e : cfg.undeclared()) {
                    ctx.out.println(e.getKey() + "=" + e.getValue() + "  " + TedgeConfig.UNDECLARED);
                }
                return 0;
            }
            case "-h":
            case "--help":
                return help(ctx, USAGE);
            default:
                throw new UsageException("Found argument '" + sub + "' which wasn't expected", USAGE);
        }
    }

    static int help(CommandContext ctx, String text) {
        ctx.out.print(text);
        return 0;
    }
}
