package io.tedge.bridge.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationEvent;
import org.osgi.service.cm.ConfigurationListener;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnected;
import io.tedge.api.CloudConnector;
import io.tedge.api.CloudLink;
import io.tedge.certs.CertException;
import io.tedge.certs.TlsContexts;
import io.tedge.config.ConfigException;
import io.tedge.config.TedgeConfigService;

/**
 * The bridge runtime: a whiteboard of {@link CloudConnector} services. For each connector whose
 * cloud is connected ({@code [<cloud>] connect = "true"}, written by {@code tedge connect}), it
 * opens the connector's link with the device certificate and runs it ({@link Link}); it stops
 * the link on {@code tedge disconnect}, and replaces it when the configuration it depends on
 * changes. It registers {@link CloudConnected} for each connected cloud, and answers the
 * connection checks that {@code tedge connect} asks for on {@code tedge/bridge/<cloud>/check}.
 */
@Component(service = ConfigurationListener.class, immediate = true)
public class BridgeRuntime implements ConfigurationListener {
    private static final Logger LOG = LoggerFactory.getLogger(BridgeRuntime.class);

    private record Running(Link link, CloudLink spec) {
    }

    private final BundleContext ctx;
    private final Bus bus;
    private final TedgeConfigService config;
    /** The connector in use per cloud. */
    private final Map<String, CloudConnector> connectors = new ConcurrentHashMap<>();
    /** A connector service and its service id. */
    private record Offer(CloudConnector connector, long id) {
    }

    /** Per cloud, every connector installed, the one in use (the lowest service id) first; guarded by itself. */
    private final Map<String, List<Offer>> offers = new HashMap<>();
    private final Map<String, Running> links = new HashMap<>();
    private final Map<String, ServiceRegistration<CloudConnected>> connected = new HashMap<>();
    private final Map<String, String> lastProblem = new HashMap<>();
    private final Map<String, LinkStatus> statuses = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tedge-bridge-status");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "tedge-bridge-runtime");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService checks = checkPool();
    private volatile boolean active;
    private Bus.Subscription checkRequests;

    @Activate
    public BridgeRuntime(BundleContext ctx, @Reference Bus bus, @Reference TedgeConfigService config) {
        this.ctx = ctx;
        this.bus = bus;
        this.config = config;
    }

    @Activate
    void activate() {
        active = true;
        checkRequests = bus.subscribe(List.of("tedge/bridge/+/check"), this::onCheckRequest);
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
        reconcileLater();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addConnector(CloudConnector c, Map<String, Object> props) {
        Object cloud = props.get(CloudConnector.CLOUD);
        if (cloud == null) {
            LOG.warn("A CloudConnector without the service property {} is ignored: {}", CloudConnector.CLOUD, c.getClass().getName());
            return;
        }
        String name = cloud.toString();
        List<Offer> same;
        CloudConnector before;
        CloudConnector used;
        synchronized (offers) {
            List<Offer> all = offers.computeIfAbsent(name, k -> new ArrayList<>());
            before = all.isEmpty() ? null : all.get(0).connector();
            all.add(new Offer(c, serviceId(props)));
            all.sort(java.util.Comparator.comparingLong(Offer::id));
            same = List.copyOf(all);
            used = same.get(0).connector();
            if (used == c) connectors.put(name, c); // under the lock: a concurrent bind cannot leave the other one there
        }
        if (same.size() > 1) {
            // two versions of one plug-in side by side in deploy/: one link, or every message twice
            String err = "Two connectors for '" + name + "' are installed: " + origin(used) + " is used, "
                    + origin(used == c ? before : c) + " waits until that one is taken out. Take one of the two jars out of deploy/.";
            LOG.warn("{}", err);
            try {
                bus.publish("tedge/errors", err.getBytes(java.nio.charset.StandardCharsets.UTF_8), 1, false);
            } catch (Bus.BusException e) {
                LOG.warn("Could not publish on tedge/errors: {}", e.getMessage());
            }
            if (used != c) return;
        }
        LOG.info("Connector for '{}' available", cloud);
        reconcileLater();
    }

    void removeConnector(CloudConnector c, Map<String, Object> props) {
        Object cloud = props.get(CloudConnector.CLOUD);
        if (cloud == null) return;
        String name = cloud.toString();
        CloudConnector next = null;
        synchronized (offers) {
            List<Offer> all = offers.get(name);
            int i = all == null ? -1 : indexOf(all, c);
            if (i < 0) return;
            all.remove(i);
            if (all.isEmpty()) offers.remove(name);
            if (i > 0) {
                LOG.info("The second connector for '{}' ({}) is gone; {} stays in use", name, origin(c), origin(all.get(0).connector()));
                return;
            }
            if (!all.isEmpty()) next = all.get(0).connector();
            if (next != null) connectors.put(name, next);
            else connectors.remove(name, c);
        }
        if (next != null) {
            LOG.warn("Connector for '{}' from {} gone: {} takes over", name, origin(c), origin(next));
        } else {
            LOG.info("Connector for '{}' gone", cloud);
        }
        reconcileLater();
    }

    /**
     * The service id: of two connectors for one cloud, the one registered first (the lower id) is
     * used, as {@code tedge plugins} shows it; one without (a test) comes after those with one.
     */
    static long serviceId(Map<String, Object> props) {
        return props.get(org.osgi.framework.Constants.SERVICE_ID) instanceof Long id ? id : Long.MAX_VALUE;
    }

    private static int indexOf(List<Offer> l, CloudConnector c) {
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i).connector() == c) return i;
        }
        return -1;
    }

    /** The bundle a service comes from, as a user finds it in deploy/: name, version and file. */
    static String origin(Object service) {
        org.osgi.framework.Bundle b = org.osgi.framework.FrameworkUtil.getBundle(service.getClass());
        if (b == null) return service.getClass().getName();
        String loc = b.getLocation();
        return b.getSymbolicName() + " " + b.getVersion() + " (" + loc.substring(loc.lastIndexOf('/') + 1) + ")";
    }

    @Override
    public void configurationEvent(ConfigurationEvent event) {
        if (event.getPid() != null && event.getPid().startsWith("tedge.")) reconcileLater();
    }

    private void reconcileLater() {
        if (!active) return;
        try {
            worker.execute(this::reconcile);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    private Map<String, String> snapshot() throws ConfigException {
        Map<String, String> all = new HashMap<>();
        for (Map<String, String> m : config.load().byPid().values()) all.putAll(m);
        return all;
    }

    private synchronized void reconcile() {
        if (!active) return;
        Map<String, String> cfg;
        try {
            cfg = snapshot();
        } catch (ConfigException e) {
            LOG.error("Cloud links keep their state: {}", e.getMessage());
            return;
        }
        for (String cloud : List.copyOf(links.keySet())) {
            if (!connectors.containsKey(cloud) || !"true".equalsIgnoreCase(cfg.get(cloud + ".connect"))) stopLink(cloud);
        }
        for (String cloud : List.copyOf(connected.keySet())) {
            if (!"true".equalsIgnoreCase(cfg.get(cloud + ".connect"))) {
                connected.remove(cloud).unregister();
            }
        }
        for (LinkStatus s : statuses.values()) {
            if (!"true".equalsIgnoreCase(cfg.get(s.cloud + ".connect")) && !"disconnected".equals(s.state())) {
                s.state("disconnected", "", false);
            }
        }
        for (Map.Entry<String, CloudConnector> e : connectors.entrySet()) {
            String cloud = e.getKey();
            if (!"true".equalsIgnoreCase(cfg.get(cloud + ".connect"))) continue;
            CloudLink spec;
            SSLContext tls;
            try {
                spec = e.getValue().link(cfg);
                tls = TlsContexts.mutualTls(spec.keyPath(), spec.certPath(), spec.rootCertPath());
            } catch (CloudConnector.ConnectorException | CertException | RuntimeException ex) {
                String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
                if (!msg.equals(lastProblem.get(cloud))) {
                    LOG.error("Cannot connect to {}: {}", cloud, msg);
                    lastProblem.put(cloud, msg);
                }
                stopLink(cloud);
                ServiceRegistration<CloudConnected> reg = connected.remove(cloud);
                if (reg != null) reg.unregister();
                status(cloud).state("error", msg, true);
                continue;
            }
            lastProblem.remove(cloud);
            Running r = links.get(cloud);
            if (r == null || !r.spec().equals(spec)) {
                stopLink(cloud);
                Link link = new Link(cloud, spec, bus, tls, settings(cfg), status(cloud));
                links.put(cloud, new Running(link, spec));
                link.start();
                LOG.info("Link to {} started ({}:{})", cloud, spec.host(), spec.port());
            }
            // only now, with the link's cursor in place, may the cloud's mapper produce output for it
            if (!connected.containsKey(cloud)) {
                Hashtable<String, Object> p = new Hashtable<>();
                p.put(CloudConnector.CLOUD, cloud);
                connected.put(cloud, ctx.registerService(CloudConnected.class, () -> cloud, p));
            }
        }
    }

    private static Link.Settings settings(Map<String, String> cfg) {
        return new Link.Settings(num(cfg, "bridge.reconnect.initial_ms", 1000), num(cfg, "bridge.reconnect.max_ms", 60000),
                num(cfg, "bridge.reconnect.jitter_ms", 500), (int) num(cfg, "bridge.inflight", 100));
    }

    private static long num(Map<String, String> cfg, String key, long dflt) {
        try {
            return Long.parseLong(Objects.requireNonNullElse(cfg.get(key), Long.toString(dflt)));
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private void stopLink(String cloud) {
        Running r = links.remove(cloud);
        if (r != null) {
            r.link().stop();
            LOG.info("Link to {} stopped", cloud);
        }
    }

    private LinkStatus status(String cloud) {
        return statuses.computeIfAbsent(cloud, c -> new LinkStatus(c, bus, System::nanoTime, Instant::now));
    }

    private void tick() {
        for (LinkStatus s : statuses.values()) {
            try {
                s.tick();
            } catch (RuntimeException e) {
                LOG.debug("status of {}: {}", s.cloud, e.toString());
            }
        }
    }

    // ------------------------------------------------------------------ connection checks

    static final int MAX_CHECKS_RUNNING = 4;
    static final int MAX_CHECKS_WAITING = 16;

    /**
     * The threads of connection checks: at most {@value #MAX_CHECKS_RUNNING} at once (a check can
     * wait 20 s for the cloud) and {@value #MAX_CHECKS_WAITING} waiting. A local client that
     * floods tedge/bridge/+/check gets "busy" answers, not a thread per request.
     */
    static ThreadPoolExecutor checkPool() {
        ThreadPoolExecutor p = new ThreadPoolExecutor(MAX_CHECKS_RUNNING, MAX_CHECKS_RUNNING, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(MAX_CHECKS_WAITING), r -> {
                    Thread t = new Thread(r, "tedge-bridge-check");
                    t.setDaemon(true);
                    return t;
                });
        p.allowCoreThreadTimeOut(true);
        return p;
    }

    private void onCheckRequest(BusMessage m) {
        String[] parts = m.topic().split("/");
        String cloud = parts[2];
        String id = m.text().trim().isEmpty() ? "0" : m.text().trim();
        try {
            checks.execute(() -> check(cloud, id));
        } catch (RejectedExecutionException e) {
            if (!active) return;
            answer(cloud, id, false, "Too many connection checks at once (" + MAX_CHECKS_RUNNING + " running, " + MAX_CHECKS_WAITING
                    + " waiting). Try again in a moment.");
        }
    }

    private void check(String cloud, String id) {
        boolean ok = false;
        String message;
        CloudConnector c = connectors.get(cloud);
        try {
            Map<String, String> cfg = snapshot();
            LinkStatus s = statuses.get(cloud);
            if (c == null) {
                message = "No connector for '" + cloud + "' is installed (its jar belongs in deploy/). Installed connectors: "
                        + (connectors.isEmpty() ? "none" : String.join(", ", new java.util.TreeSet<>(connectors.keySet()))) + ".";
            } else if (!"true".equalsIgnoreCase(cfg.get(cloud + ".connect"))) {
                message = "The device is not connected to " + cloud + ".";
            } else if (s == null || !"up".equals(s.state())) {
                // nothing is sent: a check queued for a cloud that cannot be reached would only go out later
                String why = s == null || s.lastError().isEmpty() ? "" : ": " + s.lastError();
                message = "The " + cloud + " link is down" + why + ". Nothing was sent; `tedge status` shows the link.";
            } else {
                message = c.check(bus, cfg, Duration.ofSeconds(20));
                ok = true;
            }
        } catch (CloudConnector.ConnectorException | ConfigException e) {
            message = e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            message = "interrupted";
        } catch (RuntimeException e) {
            message = e.toString();
        }
        answer(cloud, id, ok, message);
    }

    private void answer(String cloud, String id, boolean ok, String message) {
        Map<String, Object> answer = new java.util.LinkedHashMap<>();
        answer.put("ok", ok);
        answer.put("message", message);
        try {
            bus.publish("tedge/bridge/" + cloud + "/check/" + id, LinkStatus.object(answer), 1, false);
        } catch (Bus.BusException e) {
            LOG.warn("Could not answer the connection check: {}", e.getMessage());
        }
    }

    @Deactivate
    synchronized void deactivate() {
        active = false;
        if (checkRequests != null) checkRequests.close();
        worker.shutdownNow();
        checks.shutdownNow();
        ticker.shutdownNow();
        for (String cloud : List.copyOf(links.keySet())) stopLink(cloud);
        for (ServiceRegistration<CloudConnected> r : connected.values()) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // already gone
            }
        }
        connected.clear();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
