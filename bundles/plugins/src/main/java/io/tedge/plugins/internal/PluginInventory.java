package io.tedge.plugins.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnector;
import io.tedge.api.Mapper;

/**
 * Answers {@code tedge plugins} and the "which connectors are installed" question of
 * {@code tedge connect}: a request on {@code tedge/plugins/list} (payload: an id) is answered on
 * {@code tedge/plugins/list/<id>} with
 * {@code {"plugins":[{"kind","name","bundle","version","state","link","backlog"}...]}}: every
 * {@link CloudConnector} and {@link Mapper} service with its bundle, the bundle's version and
 * state, the cloud link's status (connectors) and the backlog behind its cursor
 * ({@code bridge-<cloud>}, {@code mapper-<name>}); bundles of {@code deploy/} that provide
 * neither are listed as {@code bundle}, and jars refused by the {@link DeployGuard} as
 * {@code refused} with the reason. Computed on request, so it costs nothing when nobody asks.
 */
@Component(immediate = true, service = {})
public class PluginInventory {
    private static final Logger LOG = LoggerFactory.getLogger(PluginInventory.class);
    private static final JsonFactory JSON = new JsonFactory();
    static final String REQUEST = "tedge/plugins/list";

    private final BundleContext ctx;
    private final Bus bus;
    private final Map<String, String> linkStates = new ConcurrentHashMap<>();
    private final ExecutorService answers = answerPool();
    private Bus.Subscription sub;

    private final DeployGuard guard;

    @Activate
    public PluginInventory(BundleContext ctx, @Reference Bus bus, @Reference DeployGuard guard) {
        this.ctx = ctx;
        this.bus = bus;
        this.guard = guard;
        sub = bus.subscribe(List.of(REQUEST, "tedge/bridge/+/status"), this::on);
    }

    @Deactivate
    void deactivate() {
        if (sub != null) sub.close();
        answers.shutdownNow();
    }

    private void on(BusMessage m) {
        if (m.topic().equals(REQUEST)) {
            String id = m.text().trim().isEmpty() ? "0" : m.text().trim();
            try {
                answers.execute(() -> answer(id));
            } catch (RejectedExecutionException e) {
                // stopping
            }
        } else {
            String cloud = m.topic().split("/")[2];
            String state = statusOf(m.text());
            if (state != null) linkStates.put(cloud, state);
        }
    }

    static String statusOf(String json) {
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                if (f.equals("status")) return p.getValueAsString();
                p.skipChildren();
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private void answer(String id) {
        try {
            bus.publish(REQUEST + "/" + id, inventory(), 1, false);
        } catch (Bus.BusException | IOException | RuntimeException e) {
            LOG.warn("Could not answer tedge plugins: {}", e.toString());
        }
    }

    /** Requests waiting for an answer, beyond which they are dropped (`tedge plugins` asks again every second). */
    static final int MAX_WAITING = 32;

    /**
     * One thread answers, {@value #MAX_WAITING} requests wait: a local client that floods
     * tedge/plugins/list costs itself unanswered requests, not the container's memory.
     */
    static java.util.concurrent.ThreadPoolExecutor answerPool() {
        return new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.SECONDS,
                new java.util.concurrent.ArrayBlockingQueue<>(MAX_WAITING), r -> {
                    Thread t = new Thread(r, "tedge-plugins");
                    t.setDaemon(true);
                    return t;
                }, new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
    }

    byte[] inventory() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        java.util.Set<Long> listed = new java.util.HashSet<>();
        // settled or not is decided before the rows are taken: decided after, a connector that
        // registered in between was missing from rows that said "settled", and `tedge connect`
        // right after a start answered that it is not installed (seen under load)
        String settling = whySettling();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("plugins");
            // of two services with one name (two versions of a plug-in), the runtimes use the one
            // registered first (the lowest service id); the other is WAITING
            List<ServiceReference<CloudConnector>> connectors = refs(CloudConnector.class);
            for (ServiceReference<CloudConnector> r : connectors) {
                String cloud = String.valueOf(r.getProperty(CloudConnector.CLOUD));
                boolean used = firstOfItsName(r, connectors, CloudConnector.CLOUD);
                row(g, "connector", cloud, r.getBundle(), used ? null : "WAITING", used ? linkStates.getOrDefault(cloud, "disconnected") : "-",
                        used ? bus.backlog("bridge-" + cloud) : -1);
                if (r.getBundle() != null) listed.add(r.getBundle().getBundleId());
            }
            List<ServiceReference<Mapper>> mappers = refs(Mapper.class);
            for (ServiceReference<Mapper> r : mappers) {
                String name = String.valueOf(r.getProperty(Mapper.NAME));
                boolean used = firstOfItsName(r, mappers, Mapper.NAME);
                row(g, "mapper", name, r.getBundle(), used ? null : "WAITING", null, used ? bus.backlog("mapper-" + name) : -1);
                if (r.getBundle() != null) listed.add(r.getBundle().getBundleId());
            }
            for (java.nio.file.Path deploy : deployDirs()) {
                String prefix = deploy.toFile().toURI().normalize().toString();
                for (Bundle b : ctx.getBundles()) {
                    if (!listed.contains(b.getBundleId()) && b.getLocation().startsWith(prefix)) row(g, "bundle", "-", b, null, null, -1);
                }
            }
            for (Map.Entry<String, String> r : guard.refused().entrySet()) {
                g.writeStartObject();
                g.writeStringField("kind", "refused");
                g.writeStringField("name", r.getKey());
                g.writeStringField("bundle", "-");
                g.writeStringField("version", "-");
                g.writeStringField("state", "REFUSED");
                g.writeStringField("reason", r.getValue());
                g.writeNumberField("backlog", -1);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeBooleanField("settled", settling == null);
            if (settling != null) g.writeStringField("settling", settling);
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /**
     * Whether the container has finished starting what deploy/ holds: the framework is at its
     * final start level, every jar of deploy/ is an active bundle or was refused, and SCR has
     * finished with the components of those bundles (see {@link #pending}). Until then a
     * connector missing from the list may just not be registered yet: a bundle is ACTIVE before
     * SCR has even read its components, and registers their services a moment later. Null when
     * settled, else what the container is still waiting for (one line, for the user).
     */
    String whySettling() {
        String beginning = ctx.getProperty("org.osgi.framework.startlevel.beginning");
        int level = ctx.getBundle(0).adapt(org.osgi.framework.startlevel.FrameworkStartLevel.class).getStartLevel();
        if (beginning != null && level < Integer.parseInt(beginning.trim())) return "the framework is at start level " + level + " of " + beginning.trim();
        java.util.Map<String, String> refused = guard.refused();
        List<Bundle> deployed = new java.util.ArrayList<>();
        for (java.nio.file.Path dir : deployDirs()) {
            String why = deployed(dir, refused, deployed);
            if (why != null) return why;
        }
        List<String> pending = pendingComponents(deployed);
        return pending.isEmpty() ? null : String.join("; ", pending);
    }

    private java.util.List<java.nio.file.Path> deployDirs() {
        return DeployGuard.deployDirs(ctx);
    }

    /** Adds the active bundles of the jars of a deploy dir; null, or which jar is not started yet. */
    private String deployed(java.nio.file.Path dir, java.util.Map<String, String> refused, List<Bundle> into) {
        try (java.nio.file.DirectoryStream<java.nio.file.Path> ds = java.nio.file.Files.newDirectoryStream(dir, "*.jar")) {
            for (java.nio.file.Path jar : ds) {
                if (refused.containsKey(jar.getFileName().toString())) continue;
                String loc = jar.toFile().toURI().normalize().toString();
                Bundle b = ctx.getBundle(loc);
                if (b == null) return jar.getFileName() + " is not installed yet";
                if (b.getHeaders().get(org.osgi.framework.Constants.FRAGMENT_HOST) != null) continue;
                if (b.getState() != Bundle.ACTIVE) return b.getSymbolicName() + " is " + state(b.getState());
                into.add(b);
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    /** What SCR has not finished for the components of these bundles (empty when nothing). */
    private List<String> pendingComponents(List<Bundle> bundles) {
        List<Bundle> withComponents = new java.util.ArrayList<>();
        for (Bundle b : bundles) {
            if (b.getHeaders().get("Service-Component") != null) withComponents.add(b);
        }
        if (withComponents.isEmpty()) return List.of();
        ServiceReference<ServiceComponentRuntime> ref = ctx.getServiceReference(ServiceComponentRuntime.class);
        ServiceComponentRuntime scr = ref == null ? null : ctx.getService(ref);
        if (scr == null) return List.of("the component runtime (SCR) is not started");
        try {
            List<String> out = new java.util.ArrayList<>();
            for (Bundle b : withComponents) {
                java.util.Collection<ComponentDescriptionDTO> descs = scr.getComponentDescriptionDTOs(b);
                out.addAll(pending(b.getSymbolicName(), descs, d -> scr.isComponentEnabled(d), scr::getComponentConfigurationDTOs,
                        this::registered));
            }
            return out;
        } finally {
            ctx.ungetService(ref);
        }
    }

    private boolean registered(long componentId) {
        try {
            ServiceReference<?>[] r = ctx.getAllServiceReferences(null, "(component.id=" + componentId + ")");
            return r != null && r.length > 0;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The components of one bundle that SCR is still bringing up, as "bundle/component: why":
     * SCR has not read the bundle's components yet (none known), an enabled component has no
     * configuration yet (not enabled by SCR yet), waits for a service it references, or is
     * satisfied but its service is not registered yet. A component that needs a configuration
     * nobody gave it, or whose activation failed, will not change by waiting, and one that waits
     * only for {@link io.tedge.api.CloudConnected} (a mapper: it runs while its cloud is
     * connected) waits for {@code tedge connect}, not for start-up: neither holds the container
     * unsettled.
     */
    static List<String> pending(String bundle, java.util.Collection<ComponentDescriptionDTO> descs,
            java.util.function.Predicate<ComponentDescriptionDTO> enabled,
            java.util.function.Function<ComponentDescriptionDTO, java.util.Collection<ComponentConfigurationDTO>> configs,
            java.util.function.LongPredicate registered) {
        if (descs == null || descs.isEmpty()) return List.of(bundle + ": its components are not read by SCR yet");
        List<String> out = new java.util.ArrayList<>();
        for (ComponentDescriptionDTO d : descs) {
            if (!enabled.test(d)) continue;
            java.util.Collection<ComponentConfigurationDTO> cs = configs.apply(d);
            if (cs == null || cs.isEmpty()) {
                if (!"require".equals(d.configurationPolicy)) out.add(bundle + "/" + d.name + ": not enabled yet");
                continue;
            }
            for (ComponentConfigurationDTO c : cs) {
                if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE) {
                    List<String> refs = new java.util.ArrayList<>();
                    boolean startUp = c.unsatisfiedReferences == null || c.unsatisfiedReferences.length == 0;
                    if (c.unsatisfiedReferences != null) {
                        for (var u : c.unsatisfiedReferences) {
                            refs.add(u.name);
                            if (!WAITS_FOR_A_CLOUD.equals(interfaceOf(d, u.name))) startUp = true;
                        }
                    }
                    // a mapper that runs only while its cloud is connected waits for that, not for start-up
                    if (!startUp) continue;
                    out.add(bundle + "/" + d.name + ": waits for " + (refs.isEmpty() ? "a referenced service" : String.join(", ", refs)));
                } else if ((c.state == ComponentConfigurationDTO.SATISFIED || c.state == ComponentConfigurationDTO.ACTIVE)
                        && d.serviceInterfaces != null && d.serviceInterfaces.length > 0 && !registered.test(c.id)) {
                    out.add(bundle + "/" + d.name + ": its service is not registered yet");
                }
            }
        }
        return out;
    }

    /** The service a component references only while its cloud is connected. */
    static final String WAITS_FOR_A_CLOUD = io.tedge.api.CloudConnected.class.getName();

    private static String interfaceOf(ComponentDescriptionDTO d, String reference) {
        if (d.references != null) {
            for (var r : d.references) {
                if (reference.equals(r.name)) return r.interfaceName;
            }
        }
        return null;
    }

    private <S> List<ServiceReference<S>> refs(Class<S> type) {
        try {
            List<ServiceReference<S>> l = new java.util.ArrayList<>(ctx.getServiceReferences(type, null));
            l.sort(java.util.Comparator.comparing(r -> String.valueOf(r.getProperty(type == Mapper.class ? Mapper.NAME : CloudConnector.CLOUD))));
            return l;
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether no other service of the list has the same name and a lower service id. */
    static boolean firstOfItsName(ServiceReference<?> r, List<? extends ServiceReference<?>> all, String nameKey) {
        Object name = r.getProperty(nameKey);
        long id = (Long) r.getProperty(org.osgi.framework.Constants.SERVICE_ID);
        for (ServiceReference<?> o : all) {
            if (o != r && java.util.Objects.equals(name, o.getProperty(nameKey)) && (Long) o.getProperty(org.osgi.framework.Constants.SERVICE_ID) < id) return false;
        }
        return true;
    }

    private static void row(JsonGenerator g, String kind, String name, Bundle b, String state, String link, long backlog) throws IOException {
        g.writeStartObject();
        g.writeStringField("kind", kind);
        g.writeStringField("name", name);
        g.writeStringField("bundle", b == null ? "-" : b.getSymbolicName());
        g.writeStringField("version", b == null ? "-" : b.getVersion().toString());
        g.writeStringField("state", state != null ? state : b == null ? "-" : state(b.getState()));
        if (link != null) g.writeStringField("link", link);
        g.writeNumberField("backlog", backlog);
        g.writeEndObject();
    }

    static String state(int s) {
        return switch (s) {
            case Bundle.ACTIVE -> "ACTIVE";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            default -> "UNINSTALLED";
        };
    }
}
