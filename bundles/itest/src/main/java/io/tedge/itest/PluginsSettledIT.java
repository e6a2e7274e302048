package io.tedge.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Hashtable;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceRegistration;

import io.tedge.api.Bus;

/**
 * The plug-in inventory (what `tedge connect` asks before refusing a cloud) calls deploy/ settled
 * only once SCR is done with the components of its bundles, not as soon as the bundles are ACTIVE:
 * a deploy/ bundle whose component waits for a service keeps it unsettled, and says why.
 */
class PluginsSettledIT {

    private static final String COMPONENT = String.join("\n",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"it.pending\" immediate=\"true\">",
            "  <implementation class=\"java.lang.Object\"/>",
            "  <reference name=\"gate\" interface=\"java.lang.Runnable\" cardinality=\"1..1\" policy=\"static\" target=\"(it.gate=open)\"/>",
            "</scr:component>", "");

    private static void writeComponentBundle(Path target) throws IOException {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "it.pending");
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Service-Component", "OSGI-INF/pending.xml");
        Path tmp = target.resolveSibling(target.getFileName() + ".part");
        try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(out, mf)) {
            jar.putNextEntry(new JarEntry("OSGI-INF/pending.xml"));
            jar.write(COMPONENT.getBytes(StandardCharsets.UTF_8));
            jar.closeEntry();
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static Bundle find() {
        for (Bundle b : Support.context().getBundles()) {
            if ("it.pending".equals(b.getSymbolicName())) return b;
        }
        return null;
    }

    /** Asks the inventory over the bus, as `tedge plugins` does, and returns its JSON answer. */
    private static String inventory(Bus bus) throws Exception {
        String id = "it" + System.nanoTime();
        BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        try (Bus.Subscription s = bus.subscribe(List.of("tedge/plugins/list/" + id), m -> answers.add(m.text()))) {
            bus.publish("tedge/plugins/list", id.getBytes(StandardCharsets.UTF_8), 1, false);
            String a = answers.poll(20, TimeUnit.SECONDS);
            if (a == null) throw new AssertionError("no answer to tedge/plugins/list within 20 s");
            return a;
        }
    }

    @Test
    void deployIsSettledOnlyWhenScrIsDoneWithItsComponents() throws Exception {
        int port = Support.embeddedBrokerOnFreePort();
        Bus bus = Support.bus(port, Duration.ofSeconds(20));
        Path deploy = Files.createDirectories(Path.of(Support.context().getProperty("felix.fileinstall.dir")));
        Path jar = deploy.resolve("it-pending.jar");
        Files.deleteIfExists(jar);
        Support.await("no leftover", Duration.ofSeconds(20), () -> find() == null);
        ServiceRegistration<Runnable> gate = null;
        try {
            writeComponentBundle(jar);
            Support.await("it.pending installed and active", Duration.ofSeconds(20), () -> find() != null && find().getState() == Bundle.ACTIVE);
            // the bundle is ACTIVE, but its component waits for a service: not settled, and why
            String waiting = inventory(bus);
            assertThat(waiting).contains("\"settled\":false").contains("it.pending/it.pending: waits for gate");

            Hashtable<String, Object> props = new Hashtable<>();
            props.put("it.gate", "open");
            gate = Support.context().registerService(Runnable.class, () -> { }, props);
            String[] last = new String[1];
            Support.await("settled once the component is satisfied", Duration.ofSeconds(20), () -> {
                try {
                    last[0] = inventory(bus);
                    return last[0].contains("\"settled\":true");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(last[0]).doesNotContain("settling");
        } finally {
            if (gate != null) gate.unregister();
            Files.deleteIfExists(jar);
            Support.await("uninstalled", Duration.ofSeconds(20), () -> find() == null);
        }
    }
}
