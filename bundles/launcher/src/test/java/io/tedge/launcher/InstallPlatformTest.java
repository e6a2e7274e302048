package io.tedge.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.apache.felix.framework.Felix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;

/** The platform jars of bundle/ in the framework cache, across an upgrade that keeps the files' timestamps (the .deb's). */
class InstallPlatformTest {
    @TempDir
    Path tmp;

    private static void bundleJar(Path jar, String version) throws Exception {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue(Constants.BUNDLE_MANIFESTVERSION, "2");
        a.putValue(Constants.BUNDLE_SYMBOLICNAME, "com.example.platform");
        a.putValue(Constants.BUNDLE_VERSION, version);
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, mf)) {
            j.flush();
        }
        Files.setLastModifiedTime(jar, FileTime.from(Instant.parse("2026-11-25T00:00:00Z"))); // the build's fixed timestamp
    }

    private String versionAfterStart(Path dir, Path state) throws Exception {
        Felix fw = new Felix(Map.of(Constants.FRAMEWORK_STORAGE, tmp.resolve("cache").toString()));
        fw.init();
        try {
            Main.installPlatform(fw.getBundleContext(), dir, false, state);
            for (Bundle b : fw.getBundleContext().getBundles()) {
                if ("com.example.platform".equals(b.getSymbolicName())) return b.getVersion().toString();
            }
            return null;
        } finally {
            fw.stop();
            fw.waitForStop(10_000);
        }
    }

    @Test
    void aJarWithNewContentIsUpdatedEvenWithTheSameTimestamp() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("bundle"));
        Path state = tmp.resolve("platform-jars.properties");
        bundleJar(dir.resolve("platform.jar"), "1.0.0");
        assertThat(versionAfterStart(dir, state)).isEqualTo("1.0.0");
        byte[] recorded = Files.readAllBytes(state);

        // a restart with the same jar changes nothing, not even the state file
        assertThat(versionAfterStart(dir, state)).isEqualTo("1.0.0");
        assertThat(Files.readAllBytes(state)).isEqualTo(recorded);

        // the upgrade: other content, same name, same timestamp
        bundleJar(dir.resolve("platform.jar"), "1.0.1");
        assertThat(versionAfterStart(dir, state)).isEqualTo("1.0.1");
    }
}
