package io.tedge.config.internal;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.BundleTrackerCustomizer;

import io.tedge.api.ConfigKey;
import io.tedge.config.ConfigException;
import io.tedge.config.ConfigKeyDef;
import io.tedge.config.ConfigRegistry;
import io.tedge.config.TedgeConfig;
import io.tedge.config.TedgeConfigService;

/**
 * tedge.toml to ConfigAdmin. Watches the file (edited by {@code tedge config set} or by hand)
 * and the installed bundles' {@code tedge.config.key} capabilities, and on every change pushes
 * the effective values (defaults included) as one configuration per table: PID
 * {@code tedge.<table>}, properties named by the dotted keys. Only configurations whose values
 * changed are updated, so only the components that use them are reconfigured.
 */
@Component(service = TedgeConfigService.class, immediate = true)
public class ConfigPublisher implements TedgeConfigService {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ConfigPublisher.class);

    private final Path dir;
    private final ConfigurationAdmin cm;
    private final BundleTracker<List<ConfigKeyDef>> tracker;
    private volatile ConfigRegistry registry = ConfigRegistry.core();
    private final WatchService watcher;
    private final Thread thread;
    private volatile boolean stopped;
    private List<String> lastProblems = List.of();

    @Activate
    public ConfigPublisher(BundleContext ctx, @Reference ConfigurationAdmin cm) throws IOException {
        this.cm = cm;
        String d = ctx.getProperty("tedge.config.dir");
        this.dir = Path.of(d != null ? d : System.getProperty("user.home") + "/.tedge").toAbsolutePath();
        Files.createDirectories(dir);
        this.tracker = new BundleTracker<>(ctx, Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING,
                new BundleTrackerCustomizer<>() {
                    @Override
                    public List<ConfigKeyDef> addingBundle(Bundle b, BundleEvent e) {
                        List<ConfigKeyDef> keys = keysOf(b);
                        if (keys.isEmpty()) return null;
                        rebuildLater();
                        return keys;
                    }

                    @Override
                    public void modifiedBundle(Bundle b, BundleEvent e, List<ConfigKeyDef> keys) {
                    }

                    @Override
                    public void removedBundle(Bundle b, BundleEvent e, List<ConfigKeyDef> keys) {
                        rebuildLater();
                    }
                });
        this.watcher = FileSystems.getDefault().newWatchService();
        dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
        tracker.open();
        rebuildRegistry();
        publish();
        thread = new Thread(this::watchLoop, "tedge-config-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private static List<ConfigKeyDef> keysOf(Bundle b) {
        List<ConfigKeyDef> out = new ArrayList<>();
        BundleRevision rev = b.adapt(BundleRevision.class);
        if (rev == null) return out;
        for (BundleCapability c : rev.getDeclaredCapabilities(ConfigKey.NAMESPACE)) {
            try {
                out.add(ConfigRegistry.fromCapability(c.getAttributes(), b.getSymbolicName()));
            } catch (IllegalArgumentException e) {
                LOG.warn("Bundle {} declares an invalid config key: {}", b.getSymbolicName(), e.getMessage());
            }
        }
        return out;
    }

    private volatile boolean registryDirty;
    private volatile ConfigRegistry publishedWith;

    private void rebuildLater() {
        registryDirty = true;
    }

    private void rebuildRegistry() {
        registryDirty = false;
        List<ConfigKeyDef> more = new ArrayList<>();
        for (List<ConfigKeyDef> l : tracker.getTracked().values()) more.addAll(l);
        registry = more.isEmpty() ? ConfigRegistry.core() : ConfigRegistry.core().plus(more);
    }

    @Override
    public Path configDir() {
        return dir;
    }

    @Override
    public ConfigRegistry registry() {
        if (registryDirty) rebuildRegistry();
        return registry;
    }

    /** Pushes the current file to ConfigAdmin; only changed PIDs are updated. */
    synchronized void publish() {
        TedgeConfig cfg;
        try {
            ConfigRegistry reg = registry();
            publishedWith = reg;
            cfg = TedgeConfig.load(dir, reg);
        } catch (ConfigException e) {
            LOG.error("{} (the running agent keeps its previous configuration)", e.getMessage());
            return;
        }
        List<String> problems = cfg.problems();
        if (!problems.equals(lastProblems)) {
            for (String p : problems) LOG.error("{}", p);
            lastProblems = problems;
        }
        for (Map.Entry<String, Map<String, String>> e : cfg.byPid().entrySet()) {
            try {
                Configuration c = cm.getConfiguration(e.getKey(), "?");
                Hashtable<String, Object> props = new Hashtable<>(e.getValue());
                props.put("tedge.config.dir", dir.toString());
                if (!same(c.getProperties(), props)) {
                    c.update(props);
                    LOG.info("Configuration {} updated", e.getKey());
                }
            } catch (IOException ex) {
                LOG.warn("Could not update configuration {}: {}", e.getKey(), ex.toString());
            }
        }
    }

    private static boolean same(Dictionary<String, Object> current, Hashtable<String, Object> wanted) {
        if (current == null) return false;
        int n = 0;
        for (var keys = current.keys(); keys.hasMoreElements(); ) {
            String k = keys.nextElement();
            if (k.equals("service.pid") || k.equals("service.bundleLocation") || k.equals("service.factoryPid")) continue;
            n++;
            if (!Objects.equals(String.valueOf(current.get(k)), String.valueOf(wanted.get(k)))) return false;
        }
        return n == wanted.size();
    }

    private void watchLoop() {
        while (!stopped) {
            try {
                WatchKey key = watcher.poll(2, TimeUnit.SECONDS);
                boolean changed = false;
                if (key != null) {
                    for (var ev : key.pollEvents()) {
                        Object ctx = ev.context();
                        if (ctx == null || ctx.toString().equals(TedgeConfig.FILE_NAME) || ev.kind() == StandardWatchEventKinds.OVERFLOW) {
                            changed = true;
                        }
                    }
                    key.reset();
                }
                // a bundle's keys came or went: the registry may have been rebuilt already by a
                // reader (registry()), so compare with the one the last publish used
                if (registryDirty) rebuildRegistry();
                if (registry != publishedWith) changed = true;
                if (changed) publish();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("Config watcher: {}", e.toString(), e);
            }
        }
    }

    @Deactivate
    void deactivate() {
        stopped = true;
        try {
            watcher.close();
        } catch (IOException e) {
            // closing
        }
        thread.interrupt();
        tracker.close();
    }
}
