package io.tedge.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

/** deploy/ is watched: a dropped jar is installed and started, replaced is updated, removed is uninstalled. */
class FileInstallIT {

    private static Path deployDir() throws IOException {
        Path d = Path.of(Support.context().getProperty("felix.fileinstall.dir"));
        Files.createDirectories(d);
        return d;
    }

    private static void writeBundle(Path target, String version) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "it.deployed");
        a.putValue("Bundle-Version", version);
        Path tmp = target.resolveSibling(target.getFileName() + ".part");
        try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.flush();
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Bundle find() {
        for (Bundle b : Support.context().getBundles()) {
            if ("it.deployed".equals(b.getSymbolicName())) return b;
        }
        return null;
    }

    @Test
    void jarsInDeployAreInstalledUpdatedAndUninstalled() throws Exception {
        Path jar = deployDir().resolve("vendor-connector.jar");
        Files.deleteIfExists(jar); // left by an earlier run
        Support.await("no leftover", Duration.ofSeconds(20), () -> find() == null);
        writeBundle(jar, "1.0.0");
        Support.await("installed and active", Duration.ofSeconds(20), () -> find() != null && find().getState() == Bundle.ACTIVE);
        assertThat(find().getVersion().toString()).isEqualTo("1.0.0");
        writeBundle(jar, "2.0.0");
        Support.await("updated and active again", Duration.ofSeconds(20),
                () -> find() != null && find().getVersion().getMajor() == 2 && find().getState() == Bundle.ACTIVE);
        Files.delete(jar);
        Support.await("uninstalled", Duration.ofSeconds(20), () -> find() == null);
    }
}
