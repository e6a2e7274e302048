package io.tedge.launcher;


import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.zip.CRC32C;

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
        // the agent's data and logs are its own: 0700 folders whatever the umask (bin/tedged also
        // sets umask 077, so the files in them are 0600)
        PrivateDirs.create(data);
        PrivateDirs.create(logs);
        InstanceLock lock = InstanceLock.acquire(data, configDir);
        if (lock == null) {
            System.err.println(InstanceLock.refusal(data, configDir));
            System.exit(1);
        }
        PrivateDirs.create(data.resolve("framework"));

        Map<String, String> props = new HashMap<>();
        props.put(Constants.FRAMEWORK_STORAGE, data.resolve("framework").toString());
        props.put(Constants.FRAMEWORK_STORAGE_CLEAN, "none");
        props.put(Constants.FRAMEWORK_BEGINNING_STARTLEVEL, "4");
        // one log: the framework's messages and the platform bundles' (SCR, FileInstall,
        // ConfigAdmin) go through the OSGi Log Service (Felix Log) into tedge.log
        props.put("felix.log.level", "2");
        props.put("org.osgi.service.log.admin.loglevel", osgiLogLevel(level));
        props.put("org.apache.felix.log.maxSize", "20");
        props.put("org.apache.felix.log.storeDebug", "false");
        props.put("felix.shutdown.hook", "false");
        props.put("felix.fileinstall.dir", deployDirs(home, configDir));
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

        FrameworkLog frameworkLog = new FrameworkLog();
        Map<String, Object> config = new HashMap<>(props);
        config.put("felix.log.logger", frameworkLog);
        phase(t0, "configuration read");
        Framework fw = new org.apache.felix.framework.Felix(config);
        fw.init();
        phase(t0, "framework initialised");
        frameworkLog.track(fw.getBundleContext());
        installPlatform(fw.getBundleContext(), home.resolve("bundle"), interactive, data.resolve("platform-jars.properties"));
        phase(t0, "platform bundles installed");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(fw), "tedged-shutdown"));
        // SIGTERM is a clean stop: the framework stops, then the process exits 0 (not the JVM's 143)
        Signals.onTerm(() -> stopAndExit(fw));
        // deploy/ bundles in the cache that were never started (see DeployedStart), started once the framework is
        java.util.Set<Long> notStarted = DeployedStart.notStarted(fw.getBundleContext(), DeployedStart.dirs(props.get("felix.fileinstall.dir")));
        if (!notStarted.isEmpty()) {
            fw.getBundleContext().addFrameworkListener(e -> {
                if (e.getType() == FrameworkEvent.STARTED) {
                    // not in Felix's event thread: a bundle's activation must not wait on the events it would deliver
                    Thread t = new Thread(() -> DeployedStart.start(fw.getBundleContext(), notStarted, frameworkLog::warn), "tedge-deploy-start");
                    t.setDaemon(true);
                    t.start();
                }
            });
        }
        fw.start();
        phase(t0, "framework started");
        FrameworkEvent ev = fw.waitForStop(0);
        if (ev.getType() == FrameworkEvent.ERROR) {
            System.err.println("tedged: the framework stopped with an error: " + ev.getThrowable());
            System.exit(1);
        }
        lock.release();
        // `exit <code>` in the Gogo shell says with which code (the shell then stops the framework)
        System.exit(exitCode(System.getProperty("tedged.exit.code")));
    }

    /** With -Dtedge.debug.startup=true: the milliseconds since main() at each step of the start, on stderr. */
    private static void phase(long t0, String what) {
        if (Boolean.getBoolean("tedge.debug.startup")) {
            System.err.printf("tedged: %s in %d ms%n", what, (System.nanoTime() - t0) / 1_000_000);
        }
    }

    static int exitCode(String property) {
        try {
            return property == null ? 0 : Integer.parseInt(property.trim()) & 0xff;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * What FileInstall watches: the distribution's deploy/ (the shipped connectors) and, when it
     * exists, {@code <config dir>/deploy}: where vendor jars go in a packaged install (tedge init
     * creates it), outside the package's files, so upgrades keep them.
     */
    static String deployDirs(Path home, Path configDir) {
        Path vendor = configDir.resolve("deploy");
        String dirs = home.resolve("deploy").toString();
        return Files.isDirectory(vendor) && !vendor.equals(home.resolve("deploy")) ? dirs + "," + vendor : dirs;
    }

    /** On SIGTERM: stops the framework (main then exits 0); a bundle that hangs for 5 s makes it exit 1. */
    private static void stopAndExit(Framework fw) {
        Thread t = new Thread(() -> {
            try {
                fw.stop();
                if (fw.waitForStop(5000).getType() == FrameworkEvent.WAIT_TIMEDOUT) {
                    System.err.println("tedged: the bundles did not stop within 5 s; exiting anyway");
                    Runtime.getRuntime().halt(1);
                }
            } catch (BundleException | InterruptedException e) {
                System.err.println("tedged: stop: " + e);
                Runtime.getRuntime().halt(1);
            }
        }, "tedged-sigterm");
        t.setDaemon(true);
        t.start();
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
     * Installs the jars of {@code bundle/} (updating those whose content differs from the cached
     * copy's, uninstalling platform bundles whose jar is gone) and marks them to start. The shell
     * (gogo.jline) only with a terminal, last. A jar's content is known by its CRC32C, kept in
     * {@code state} (rewritten only when something changed): the Debian package's jars all carry
     * the build's fixed timestamp, so an upgrade cannot be told by modification times.
     */
    static void installPlatform(BundleContext ctx, Path dir, boolean interactive, Path state) throws IOException, BundleException {
        Properties installed = new Properties();
        if (Files.exists(state)) {
            try (InputStream in = Files.newInputStream(state)) {
                installed.load(in);
            }
        }
        Properties now = new Properties();
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
            String sum = checksum(jar);
            now.setProperty(loc, sum);
            if (b == null) {
                try (InputStream in = Files.newInputStream(jar)) {
                    b = ctx.installBundle(loc, in);
                }
            } else if (!sum.equals(installed.getProperty(loc))) {
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
        if (!now.equals(installed)) {
            Path tmp = state.resolveSibling(state.getFileName() + ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                now.store(out, "the platform jars as installed in the framework cache: location = CRC32C of the content");
            }
            Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    static String checksum(Path jar) throws IOException {
        CRC32C crc = new CRC32C();
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(jar)) {
            for (int n; (n = in.read(buf)) > 0; ) crc.update(buf, 0, n);
        }
        return Long.toHexString(crc.getValue()) + ":" + Files.size(jar);
    }

    /**
     * The OSGi Log Service level of the framework and the platform bundles for a logs.level: one
     * step quieter than the agent's own, as their info level is a line per bundle and service
     * event; their warnings and errors (a bundle that does not resolve, a component that fails
     * to activate) are always in the log.
     */
    static String osgiLogLevel(String level) {
        switch (level) {
            case "error":
                return "ERROR";
            case "debug":
                return "INFO";
            case "trace":
                return "DEBUG";
            default:
                return "WARN";
        }
    }

    static int startLevel(String jarName) {
        if (jarName.startsWith("org.apache.felix.gogo.jline") || jarName.startsWith("jline")) return 4;
        // tedge-plugins: its guard of deploy/ (plugins.require_signature) must be there before FileInstall's first scan
        if (jarName.startsWith("tedge-log") || jarName.startsWith("tedge-api") || jarName.startsWith("tedge-config") || jarName.startsWith("tedge-plugins")
                || jarName.startsWith("org.apache.felix.log")
                || jarName.startsWith("org.apache.felix.configadmin") || jarName.startsWith("org.apache.felix.scr")
                || jarName.startsWith("org.osgi.")) {
            return 1;
        }
        return 2;
    }

}
