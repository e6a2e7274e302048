package io.tedge.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, "one log": the framework's and the platform bundles' messages (here FileInstall
 * failing to start a vendor jar whose import nothing exports) are in tedge.log, next to the
 * agent's own; and {@code <config dir>/deploy} is watched for vendor jars.
 */
class OneLogIT {
    @TempDir
    Path dir;

    @Test
    void aPluginThatDoesNotResolveIsExplainedInTedgeLog() throws Exception {
        Path cfg = dir.resolve("cfg");
        Path vendor = Files.createDirectories(cfg.resolve("deploy"));
        try (Agent agent = new Agent(cfg).startAndWait()) {
            // a jar dropped into the running container, once deploy/ has been started
            agent.awaitShippedConnectors();
            Manifest mf = new Manifest();
            Attributes a = mf.getMainAttributes();
            a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
            a.putValue("Bundle-ManifestVersion", "2");
            a.putValue("Bundle-SymbolicName", "com.acme.broken");
            a.putValue("Bundle-Version", "1.0.0");
            a.putValue("Import-Package", "com.acme.nowhere;version=\"[1,2)\"");
            Path tmp = dir.resolve("broken.jar");
            try (OutputStream o = Files.newOutputStream(tmp); JarOutputStream j = new JarOutputStream(o, mf)) {
                j.flush();
            }
            Files.move(tmp, vendor.resolve("acme-broken.jar"));
            Path log = cfg.resolve("logs/tedge.log");
            Agent.await("the resolution failure in tedge.log", Duration.ofSeconds(60), () -> {
                try {
                    String s = Files.readString(log);
                    return s.contains("com.acme.nowhere") && s.contains("com.acme.broken");
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            String all = Files.readString(log);
            assertThat(all).contains("MQTT broker listening"); // the agent's own lines, same file
            assertThat(all).containsPattern("(ERROR|WARN) +fileinstall: Error while starting bundle: .*acme-broken\\.jar")
                    .contains("missing requirement").contains("osgi.wiring.package=com.acme.nowhere");
            // the platform's info chatter (a line per bundle and service event) stays out at logs.level info
            assertThat(all).doesNotContain("ServiceEvent REGISTERED").doesNotContain("BundleEvent STARTED");
        }
    }
}
