package io.tedge.launcher;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;

/**
 * A jar of deploy/ runs whenever the container does. FileInstall installs the new jars of a scan
 * first and starts them after; a container that dies in between (a power cut during the first
 * boot, a {@code kill -9}) leaves them installed and never started, and FileInstall, at the next
 * start, only restarts bundles that were started before: the connectors would stay down for
 * good. So once the framework has started, every bundle installed from deploy/ that is not
 * active is started (a fragment never). A bundle stopped from the Gogo shell stays stopped until
 * the next container start; to keep a plug-in from running, take its jar out of deploy/.
 */
final class DeployedStart {
    private DeployedStart() {
    }

    /** Starts the bundles of these deploy folders that are not active; returns what it started, or why not, one line each. */
    static List<String> startStopped(BundleContext ctx, List<Path> deployDirs, Consumer<String> warn) {
        List<String> done = new ArrayList<>();
        Bundle[] bundles;
        try {
            bundles = ctx.getBundles();
        } catch (IllegalStateException e) {
            return done; // the framework is stopping already
        }
        for (Bundle b : bundles) {
            Path jar = jarOf(b);
            // a jar taken out while the container was down is FileInstall's to uninstall, not ours to start
            if (jar == null || !deployDirs.contains(jar.getParent()) || !java.nio.file.Files.exists(jar)) continue;
            if (b.getHeaders().get(Constants.FRAGMENT_HOST) != null) continue;
            int state = b.getState();
            if (state == Bundle.ACTIVE || state == Bundle.STARTING || state == Bundle.UNINSTALLED) continue;
            String line;
            try {
                b.start(Bundle.START_ACTIVATION_POLICY);
                line = "Plug-in " + b.getSymbolicName() + " from " + jar.getFileName() + " was installed but not started"
                        + " (the container stopped before it could start it, or it was stopped by hand): started it";
            } catch (BundleException | IllegalStateException e) {
                line = "Plug-in " + b.getSymbolicName() + " from " + jar.getFileName() + " is installed but does not start: " + e.getMessage();
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
