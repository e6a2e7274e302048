package io.tedge.launcher;

import java.io.Console;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import io.tedge.cli.CommandContext;
import io.tedge.cli.Tedge;
import io.tedge.cli.WarmUp;
import io.tedge.config.ConfigLocation;
import io.tedge.config.ConfigRegistry;

/**
 * {@code bin/tedge}: runs one tedge command in a plain JVM, no OSGi framework, so it is fast and
 * never competes with a running container for its files. Commands that act on the running
 * agent talk to it through the local MQTT broker.
 */
public final class Cli {
    private Cli() {
    }

    public static void main(String[] argv) {
        List<String> args = new ArrayList<>(List.of(argv));
        String dir = extractConfigDir(args);
        if (dir != null && dir.isEmpty()) {
            System.err.println("error: The option '--config-dir' needs a value");
            System.exit(2);
        }
        Path configDir = ConfigLocation.resolve(dir, System.getenv());
        Path home = Path.of(System.getProperty("tedge.home", "."));
        Supplier<ConfigRegistry> full = new Supplier<>() {
            private ConfigRegistry r;

            @Override
            public synchronized ConfigRegistry get() {
                if (r == null) r = ConfigRegistry.withJarsIn(home.resolve("bundle"), home.resolve("deploy"), configDir.resolve("deploy"));
                return r;
            }
        };
        CommandContext ctx = new CommandContext(System.out, System.err, System.getenv(), configDir, full, prompt -> {
            Console c = System.console();
            return c == null ? null : c.readPassword("%s", prompt);
        }, false);
        int rc = Tedge.run(args, ctx);
        System.out.flush();
        // bin/tedge is writing the class-data archive: have it cover every command's classes
        if (Boolean.getBoolean("tedge.cds.warmup")) WarmUp.run();
        System.exit(rc);
    }

    /**
     * Removes {@code --config-dir DIR} / {@code --config-dir=DIR} from the arguments (before a
     * {@code --}) and returns DIR; "" when the value is missing; null when absent.
     */
    static String extractConfigDir(List<String> args) {
        String dir = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) break;
            if (a.equals("--config-dir")) {
                args.remove(i);
                dir = i < args.size() ? args.remove(i) : "";
                i--;
            } else if (a.startsWith("--config-dir=")) {
                args.remove(i);
                dir = a.substring("--config-dir=".length());
                i--;
            }
        }
        return dir;
    }
}
