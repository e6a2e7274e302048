package io.tedge.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;

/**
 * Bundles of deploy/ left installed but never started (FileInstall installs a scan's jars first
 * and starts them after; the container died in between) are started once the framework has; in
 * a real Felix, with its cache kept between the starts.
 */
class DeployedStartTest {
    @TempDir
    Path tmp;

    private static Path bundleJar(Path jar, String name, String fragmentHost) throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, name);
        a.putValue(Constants.BUNDLE_VERSION, "1.0.0");
        if (fragmentHost != null) a.putValue(Constants.FRAGMENT_HOST, fragmentHost);
        Files.createDirectories(jar.getParent());
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, mf)) {
            j.flush();
        }
        return jar;
    }

    private Felix framework() throws Exception {
        Felix fw = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, tmp.resolve("cache").toString()));
        fw.init();
        return fw;
    }

    private static void stop(Felix fw) throws Exception {
        fw.stop();
        fw.waitForStop(10_000);
    }

    private static void install(BundleContext ctx, Path jar) throws Exception {
        try (InputStream in = Files.newInputStream(jar)) {
            ctx.installBundle(jar.toFile().toURI().normalize().toString(), in); // as FileInstall: the file's URI, not started yet
        }
    }

    private static Bundle named(BundleContext ctx, String name) {
        for (Bundle b : ctx.getBundles()) {
            if (name.equals(b.getSymbolicName())) return b;
        }
        return null;
    }

    @Test
    void aDeployedBundleNeverStartedIsStartedAndStaysSoAcrossRestarts() throws Exception {
        Path deploy = tmp.resolve("deploy").toAbsolutePath().normalize();
        Path connector = bundleJar(deploy.resolve("vendor-connector.jar"), "com.example.connector", null);
        Path fragment = bundleJar(deploy.resolve("vendor-fragment.jar"), "com.example.fragment", "com.example.connector");
        Path elsewhere = bundleJar(tmp.resolve("other/other.jar"), "com.example.other", null);
        Path removed = bundleJar(deploy.resolve("removed.jar"), "com.example.removed", null);

        // the interrupted first start: installed, never started
        Felix first = framework();
        install(first.getBundleContext(), connector);
        install(first.getBundleContext(), fragment);
        install(first.getBundleContext(), elsewhere);
        install(first.getBundleContext(), removed);
        stop(first);
        Files.delete(removed); // taken out while the container was down

        Felix second = framework();
        Set<Long> ids = DeployedStart.notStarted(second.getBundleContext(), DeployedStart.dirs(deploy + ", /nonexistent"));
        second.start();
        BundleContext ctx = second.getBundleContext();
        assertThat(named(ctx, "com.example.connector").getState()).as("the framework alone does not start it").isNotEqualTo(Bundle.ACTIVE);
        // what FileInstall installs during this start is its own to start: not touched
        Path fresh = bundleJar(deploy.resolve("fresh.jar"), "com.example.fresh", null);
        install(ctx, fresh);
        List<String> lines = new ArrayList<>();
        List<String> started = DeployedStart.start(ctx, ids, lines::add);
        assertThat(started).hasSize(1).first().asString().startsWith("Plug-in com.example.connector from vendor-connector.jar was installed but not started");
        assertThat(lines).isEqualTo(started);
        assertThat(named(ctx, "com.example.connector").getState()).isEqualTo(Bundle.ACTIVE);
        assertThat(named(ctx, "com.example.other").getState()).as("not from deploy/").isNotEqualTo(Bundle.ACTIVE);
        assertThat(named(ctx, "com.example.removed").getState()).as("its jar is gone").isNotEqualTo(Bundle.ACTIVE);
        assertThat(named(ctx, "com.example.fresh").getState()).as("installed during this start").isNotEqualTo(Bundle.ACTIVE);
        assertThat(DeployedStart.start(ctx, ids, l -> {})).as("nothing more to do").isEmpty();
        stop(second);

        // started persistently: the framework starts it by itself from now on
        Felix third = framework();
        third.start();
        try {
            assertThat(named(third.getBundleContext(), "com.example.connector").getState()).isEqualTo(Bundle.ACTIVE);
        } finally {
            stop(third);
        }
    }
}
