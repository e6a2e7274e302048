package io.tedge.launcher;


import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.felix.framework.FrameworkFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.startlevel.FrameworkStartLevel;

import io.tedge.config.ConfigLocation;
import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;

/**
 * {@code bin/tedged [--config-dir DIR]}: the container. Boots Apache Felix with a persistent
 * cache under {@code data.path}, installs or updates the platform bundles of {@code bundle/},
 * lets FileInstall manage {@code deploy/}, and with a terminal starts the Gogo shell. Stops on
 * SIGTERM, Ctrl-D or {@code exit 0} in the shell, waiting at most 5 s for the bundles to stop.
 */
public final class Main {
    static final String USAGE = String.join("\n",
            "tedged: the tedge-osgi container (Apache Felix with the agent's bundles)",
            "",
            "USAGE:",
            "    tedged [--config-dir <DIR>]",
            "",
            "OPTIONS:",
            "    --config-dir <DIR>    Where tedge.toml is [env: TEDGE_CONFIG_DIR] [default: /etc/tedge as root, else ~/.tedge]",
            "    -h, --help            Prints help information",
            "",
            "With a terminal on stdin it gives the Gogo shell (tedge:* commands, lb, install, update, ...);",
            "otherwise it runs headless, as a service. SIGTERM stops it cleanly.",
            "");

    private Main() {
    }

    public static void main(String[] argv) throws Exception {
        long t0 = System.nanoTime();
        List<String> args = new ArrayList<>(List.of(argv));
        String dirArg = Cli.extractConfigDir(args);
        if (args.contains("-h") || args.contains("--help")) {
            System.out.print(USAGE);
            return;
        }
        if (!args.isEmpty() || (dirArg != null && dirArg.isEmpty())) {
            System.err.println(dirArg != null && dirArg.isEmpty() ? "error: The option '--config-dir' needs a value"
                    : "error: Found argument '" + args.get(0) + "' which wasn't expected");
            System.err.println();
            System.err.print(USAGE);
            System.exit(2);
        }
        Path configDir = ConfigLocation.resolve(dirArg, System.getenv());
        Path home = Path.of(System.getProperty("tedge.home", ".")).toAbsolutePath().normalize();
        boolean interactive = Boolean.getBoolean("tedge.interactive");

        Path data = configDir.resolve("data");
        Path logs = configDir.resolve("logs");
        String level = "info";
        try {
            TedgeConfig cfg = TedgeConfig.load(configDir, ConfigRegistry.core());
            data = Path.of(cfg.get("data.path").orElse(data.toString()));
            logs = Path.of(cfg.get("logs.path").orElse(logs.toString()));
            level = cfg.get("logs.level").orElse(level);
        } catch (Exception e) {
            System.err.println("tedged: " + e.getMessage() + "\ntedged: starting with the default data.path and logs.path");
        }
        Files.createDirectories(configDir);
        Files.createDirectories(data);

        Map<String, String> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, data.resolve("framework").toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, "none");
        props.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, "4");
        props.put("felix.log.level", "1");
        props.put("felix.shutdown.hook", "false");
        props.put("felix.fileinstall.dir", home.resolve("deploy").toString());
        props.put("felix.fileinstall.poll", "1000");
        props.put("felix.fileinstall.noInitialDelay", "true");
        props.put("felix.fileinstall.start.level", "3");
        props.put("felix.fileinstall.log.level", "2");
        props.put("felix.fileinstall.bundles.new.start", "true");
        props.put("felix.fileinstall.filter", ".*\\.(jar|cfg|config)");
        props.put("tedge.home", home.toString());
        props.put("tedge.config.dir", configDir.toString());
        props.put("tedge.logs.path", logs.toString());
        props.put("tedge.logs.level", level);
        props.put("tedge.interactive", Boolean.toString(interactive));
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith("felix.") || k.startsWith("org.osgi.framework.") || k.startsWith("tedge.")) props.put(k, System.getProperty(k));
        }

        Framework fw = new FrameworkFactory().newFramework(props);
        fw.init();
        installPlatform(fw.getBundleContext(), home.resolve("bundle"), interactive);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(fw), "tedged-shutdown"));
        fw.start();
        if (Boolean.getBoolean("tedge.debug.startup")) {
            System.err.printf("tedged: framework started in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
        FrameworkEvent ev = fw.waitForStop(0);
        if (ev.getType() == FrameworkEvent.ERROR) {
            System.err.println("tedged: the framework stopped with an error: " + ev.getThrowable());
            System.exit(1);
        }
        System.exit(0);
    }

    private static void stop(Framework fw) {
        try {
            if ((fw.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                fw.stop();
            }
            fw.waitForStop(5000);
        } catch (BundleException | InterruptedException e) {
            System.err.println("tedged: stop: " + e);
        }
    }

    /**
     * Installs the jars of {@code bundle/} (updating those whose jar is newer than the cached
     * copy, uninstalling platform bundles whose jar is gone) and marks them to start. The shell
     * (gogo.jline) only with a terminal, last.
     */
    static void installPlatform(BundleContext ctx, Path dir, boolean interactive) throws IOException, BundleException {
        List<Path> jars = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
            for (Path p : ds) jars.add(p);
        }
        jars.sort(null);
        Map<String, Bundle> byLocation = new HashMap<>();
        for (Bundle b : ctx.getBundles()) byLocation.put(b.getLocation(), b);
        String prefix = dir.toUri().toString();
        List<String> wanted = new ArrayList<>();
        for (Path jar : jars) {
            String name = jar.getFileName().toString();
            boolean shell = name.startsWith("org.apache.felix.gogo.jline") || name.startsWith("jline");
            String loc = jar.toUri().toString();
            wanted.add(loc);
            Bundle b = byLocation.get(loc);
            if (b == null) {
                try (InputStream in = Files.newInputStream(jar)) {
                    b = ctx.installBundle(loc, in);
                }
            } else if (Files.getLastModifiedTime(jar).toMillis() > b.getLastModified()) {
                try (InputStream in = Files.newInputStream(jar)) {
                    b.update(in);
                }
            }
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) continue;
            BundleStartLevel sl = b.adapt(BundleStartLevel.class);
            sl.setStartLevel(startLevel(name));
            if (shell && !interactive) {
                if ((b.getState() & Bundle.ACTIVE) != 0 || sl.isPersistentlyStarted()) b.stop();
            } else {
                b.start(Bundle.START_ACTIVATION_POLICY);
            }
        }
        for (Bundle b : ctx.getBundles()) {
            if (b.getLocation().startsWith(prefix) && !wanted.contains(b.getLocation())) b.uninstall();
        }
        ctx.getBundle(0).adapt(FrameworkStartLevel.class).setInitialBundleStartLevel(3);
    }

    static int startLevel(String jarName) {
        if (jarName.startsWith("org.apache.felix.gogo.jline") || jarName.startsWith("jline")) return 4;
        // tedge-plugins: its guard of deploy/ (plugins.require_signature) must be there before FileInstall's first scan
        if (jarName.startsWith("tedge-log") || jarName.startsWith("tedge-api") || jarName.startsWith("tedge-config") || jarName.startsWith("tedge-plugins")
                || jarName.startsWith("org.apache.felix.configadmin") || jarName.startsWith("org.apache.felix.scr")
                || jarName.startsWith("org.osgi.")) {
            return 1;
        }
        return 2;
    }

}
