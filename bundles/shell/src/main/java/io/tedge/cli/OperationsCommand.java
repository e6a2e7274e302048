package io.tedge.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tedge.agent.CustomOperation;
import io.tedge.agent.OperationState;
import io.tedge.agent.OperationsDir;
import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfig;

/**
 * {@code tedge operations}: the operations the device tells Cumulocity it supports (the files of
 * {@code <config dir>/operations/c8y/}, with the child devices' sub-folders) and the operations
 * in flight (the state files under {@code <data.path>/agent/}). It reads files only, so it works
 * the same from the OS shell and from Gogo, with or without a running container.
 */
final class OperationsCommand {
    static final String USAGE = String.join("\n",
            "tedge-operations",
            "List the supported operations and the operations in flight",
            "",
            "USAGE:",
            "    tedge operations [list]",
            "",
            "FLAGS:",
            "    -h, --help    Prints help information",
            "");

    private OperationsCommand() {
    }

    static int run(List<String> args, CommandContext ctx) throws UsageException, ConfigException {
        Args a = Tedge.parse(args, USAGE, Set.of(), Set.of(), Map.of());
        if (a.help) return ConfigCommand.help(ctx, USAGE);
        Tedge.requireArgs(a, 0, 1, USAGE);
        if (a.positionals.size() == 1 && !a.positionals.get(0).equals("list")) {
            throw new UsageException("Found argument '" + a.positionals.get(0) + "' which wasn't expected", USAGE);
        }
        TedgeConfig cfg = ctx.coreConfig();
        Path opsDir = ctx.configDir.resolve("operations").resolve("c8y");
        OperationsDir.Supported s = OperationsDir.read(opsDir);
        ctx.out.println("Supported operations (" + opsDir + "):");
        if (s.operations().isEmpty()) ctx.out.println("  none");
        for (String op : s.operations()) {
            CustomOperation c = s.custom().get(op);
            ctx.out.println("  " + op + (c == null ? "" : "  [exec] on_message=" + c.onMessage() + " command=" + c.command()
                    + " timeout=" + c.timeout().toSeconds() + "s"));
        }
        s.children().forEach((child, ops) -> ctx.out.println("  child " + child + ": " + (ops.isEmpty() ? "none" : String.join(", ", ops))));
        for (String p : s.problems()) ctx.out.println("  ignored: " + p);
        Path stateDir = OperationState.dir(Path.of(cfg.get("data.path").orElse(ctx.configDir.resolve("data").toString())));
        ctx.out.println("In flight (" + stateDir + "):");
        try {
            List<OperationState> states = OperationState.list(stateDir);
            if (states.isEmpty()) ctx.out.println("  none");
            for (OperationState st : states) {
                ctx.out.println("  " + st.kind() + "  " + st.what() + "  id=" + st.id() + "  since "
                        + DateTimeFormatter.ISO_INSTANT.format(st.started()));
            }
        } catch (IOException e) {
            ctx.out.println("  cannot read " + stateDir + ": " + e.getMessage());
        }
        return 0;
    }
}
