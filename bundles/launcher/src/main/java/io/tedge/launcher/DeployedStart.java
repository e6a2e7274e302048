package io.tedge.launcher;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.startlevel.BundleStartLevel;

/**
 * A jar of deploy/ runs whenever the container does. FileInstall installs the new jars of a scan
 * first and starts them after; a container that dies in between (a power cut during the first
 * boot, a {@code kill -9}) leaves them in the framework cache installed and never started, and
 * FileInstall, at the next start, only restarts bundles that were started before: the connectors
 * would stay down for good. So before the framework starts, the launcher notes the bundles of
 * deploy/ in the cache that are not marked to start ({@link #notStarted}), and once the framework
 * has started it starts those that are still not active ({@link #start}). Only bundles found in
 * the cache count: what FileInstall installs during this start is its own to start. A fragment
 * never starts. A bundle stopped from the Gogo shell stays stopped until the next container
 * start; to keep a plug-in from running, take its jar out of deploy/.
 */
final class DeployedStart {
    private DeployedStart() {
    }

    /**
     * After the framework's init (its cache read), before its start: the ids of the bundles of
     * these deploy folders that are not marked to start, and whose jar is still there (a jar taken
     * out while the container was down is FileInstall's to uninstall).
     */
    static Set<Long> notStarted(BundleContext ctx, List<Path> deployDirs) {
        Set<Long> ids = new TreeSet<>();
        for (Bundle b : ctx.getBundles()) {
            Path jar = jarOf(b);
            if (jar == null || !deployDirs.contains(jar.getParent()) || !Files.exists(jar)) continue;
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) continue;
            if (!b.adapt(BundleStartLevel.class).isPersistentlyStarted()) ids.add(b.getBundleId());
        }
        return ids;
    }

    /** Once the framework has started: starts those of these bundles that are not active; what it did, one line each. */
    static List<String> start(BundleContext ctx, Set<Long> ids, Consumer<String> warn) {
        List<String> done = new ArrayList<>();
        for (long id : ids) {
            Bundle b;
            try {
                b = ctx.getBundle(id);
            } catch (IllegalStateException e) {
                return done; // the framework is stopping already
            }
            if (b == null) continue; // uninstalled meanwhile (its jar replaced or removed)
            int state = b.getState();
            if (state == Bundle.ACTIVE || state == Bundle.STARTING || state == Bundle.UNINSTALLED) continue;
            Path jar = jarOf(b);
            String name = b.getSymbolicName() + " from " + (jar == null ? b.getLocation() : jar.getFileName());
            String line;
            try {
                b.start(Bundle.START_ACTIVATION_POLICY);
                line = "Plug-in " + name + " was installed but not started (the container stopped before it could start it,"
                        + " or it was stopped by hand): started it";
            } catch (BundleException | IllegalStateException e) {
                line = "Plug-in " + name + " is installed but does not start: " + e.getMessage();
            }
            warn.accept(line);
            done.add(line);
        }
        return done;
    }

    /** The jar a bundle was installed from, when its location is a plain file URI; else null. */
    static Path jarOf(Bundle b) {
        String loc = b.getLocation();
        if (loc == null || !loc.startsWith("file:")) return null;
        try {
            return Path.of(URI.create(loc)).toAbsolutePath().normalize();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The folders of felix.fileinstall.dir (comma-separated), absolute and normalised. */
    static List<Path> dirs(String fileinstallDir) {
        List<Path> dirs = new ArrayList<>();
        if (fileinstallDir != null) {
            for (String one : fileinstallDir.split(",")) {
                if (!one.isBlank()) dirs.add(Path.of(one.trim()).toAbsolutePath().normalize());
            }
        }
        return dirs;
    }
}
