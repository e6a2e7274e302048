package io.tedge.plugins.internal;

import java.io.File;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.felix.fileinstall.ArtifactInstaller;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.ConfigKey;
import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfigService;

/**
 * {@code plugins.require_signature = true}: only jars signed by a certificate of
 * {@code <config dir>/plugins/trusted/} are installed from {@code deploy/}, so that a writable
 * {@code deploy/} is not a way to run any code in the agent.
 *
 * <p>How: FileInstall asks its artifact listeners, highest service ranking first and its own
 * bundle installer last, which one handles a file. While the flag is on, this installer takes
 * every jar of {@code deploy/}: it verifies the jar ({@link JarTrust}) and installs, updates and
 * starts it as FileInstall would (same location, the file's URI), or refuses it: a log line, a
 * message on {@code tedge/errors}, an entry in {@code tedge plugins}, and a bundle installed
 * earlier from that file is uninstalled (so a tampered or unsigned replacement does not keep an
 * old version running unnoticed; its messages wait in the journal). While the flag is off it takes
 * nothing and FileInstall works as always. The launcher starts this bundle at start level 1, so
 * the installer is registered before FileInstall (level 2) makes its first scan.
 */
@ConfigKey(key = "plugins.require_signature", type = "flag", defaultValue = "false",
        doc = "Whether only jars signed by a certificate in <config dir>/plugins/trusted/ are installed from deploy/. Example: true")
@Component(service = {ArtifactInstaller.class, DeployGuard.class}, property = Constants.SERVICE_RANKING + ":Integer=1000")
public class DeployGuard implements ArtifactInstaller {
    private static final Logger LOG = LoggerFactory.getLogger(DeployGuard.class);
    static final String ERRORS = "tedge/errors";

    private final BundleContext ctx;
    private final TedgeConfigService config;
    private final Map<String, String> refused = new TreeMap<>();
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile Bus bus;

    @Activate
    public DeployGuard(BundleContext ctx, @Reference TedgeConfigService config) {
        this.ctx = ctx;
        this.config = config;
        LOG.info("Plug-in guard active on {}: plugins.require_signature = {}", deployDir(), required());
    }

    /** Jars refused since the start: file name, reason. */
    synchronized Map<String, String> refused() {
        return new TreeMap<>(refused);
    }

    boolean required() {
        try {
            return "true".equalsIgnoreCase(config.load().raw("plugins", "require_signature"));
        } catch (ConfigException e) {
            LOG.warn("plugins.require_signature: {}; jars are checked", e.getMessage());
            return true; // cannot tell: the safe side
        }
    }

    private java.util.List<Path> deployDir() {
        return deployDirs(ctx);
    }

    /** The folders FileInstall watches: felix.fileinstall.dir is a comma-separated list (deploy/ and <config dir>/deploy). */
    static java.util.List<Path> deployDirs(BundleContext ctx) {
        String d = ctx.getProperty("felix.fileinstall.dir");
        java.util.List<Path> dirs = new java.util.ArrayList<>();
        if (d != null) {
            for (String one : d.split(",")) {
                if (!one.isBlank()) dirs.add(Path.of(one.trim()).toAbsolutePath().normalize());
            }
        }
        return dirs;
    }

    @Override
    public boolean canHandle(File artifact) {
        boolean mine = artifact.getName().endsWith(".jar") && deployDir().contains(artifact.toPath().toAbsolutePath().normalize().getParent());
        boolean handle = mine && required();
        LOG.debug("canHandle {}: {}", artifact, handle);
        return handle;
    }

    @Override
    public void install(File artifact) throws Exception {
        apply(artifact);
    }

    @Override
    public void update(File artifact) throws Exception {
        apply(artifact);
    }

    @Override
    public void uninstall(File artifact) throws Exception {
        synchronized (this) {
            refused.remove(artifact.getName());
        }
        Bundle b = bundleAt(artifact);
        if (b != null) {
            b.uninstall();
            refresh(null);
            LOG.info("Plug-in {} uninstalled ({} removed)", b.getSymbolicName(), artifact.getName());
        }
    }

    private void apply(File artifact) throws Exception {
        List<String> problems = new ArrayList<>();
        Path trustedDir = config.configDir().resolve("plugins").resolve("trusted");
        JarTrust trust = JarTrust.fromFolder(trustedDir, problems);
        for (String p : problems) LOG.warn("{}", p);
        JarTrust.Verdict v = trust.verify(artifact.toPath());
        Bundle existing = bundleAt(artifact);
        if (!v.trusted()) {
            synchronized (this) {
                refused.put(artifact.getName(), v.reason());
            }
            String msg = "Refused to install " + artifact.getName() + " from deploy/: " + v.reason()
                    + " (plugins.require_signature is true; trusted certificates: " + trustedDir + ")";
            LOG.warn("{}", msg);
            Bus b = bus;
            if (b != null) {
                try {
                    b.publish(ERRORS, msg.getBytes(StandardCharsets.UTF_8), 1, false);
                } catch (Bus.BusException e) {
                    LOG.warn("Could not publish on {}: {}", ERRORS, e.getMessage());
                }
            }
            if (existing != null) {
                existing.uninstall();
                refresh(null);
                LOG.warn("Plug-in {} from {} uninstalled: its jar is refused", existing.getSymbolicName(), artifact.getName());
            }
            return;
        }
        synchronized (this) {
            refused.remove(artifact.getName());
        }
        Bundle b;
        try (InputStream in = Files.newInputStream(artifact.toPath())) {
            if (existing == null) {
                b = ctx.installBundle(artifact.toURI().normalize().toString(), in);
            } else {
                existing.update(in);
                b = existing;
                refresh(List.of(b));
            }
        }
        if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
            try {
                b.start();
            } catch (BundleException e) {
                LOG.warn("Plug-in {} ({}) does not start: {}", b.getSymbolicName(), artifact.getName(), e.getMessage());
            }
        }
        LOG.info("Plug-in {} {} {} from {} (signed by a trusted certificate)", b.getSymbolicName(), b.getVersion(),
                existing == null ? "installed" : "updated", artifact.getName());
    }

    private Bundle bundleAt(File artifact) {
        Path file = artifact.toPath().toAbsolutePath().normalize();
        for (Bundle b : ctx.getBundles()) {
            String loc = b.getLocation();
            if (!loc.startsWith("file:")) continue;
            try {
                if (Path.of(URI.create(loc)).toAbsolutePath().normalize().equals(file)) return b;
            } catch (IllegalArgumentException e) {
                // not a plain file URI
            }
        }
        return null;
    }

    private void refresh(List<Bundle> bundles) {
        ctx.getBundle(0).adapt(FrameworkWiring.class).refreshBundles(bundles);
    }
}
