package io.tedge.agent.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.ConfigKey;
import io.tedge.api.DurableConsumer;
import io.tedge.config.TedgeConfigService;
import io.tedge.json.Json;
import io.tedge.json.JsonNode;
import io.tedge.json.ObjectNode;

/**
 * The agent (thin-edge.io's {@code tedge-agent}): the local command API on the legacy topics.
 *
 * <ul>
 * <li>{@code tedge/commands/req/control/restart} {@code {"id":"…"}} → {@code tedge/commands/res/control/restart}
 * {@code {"id":"…","status":"executing"|"successful"|"failed"}} ({@link RestartManager}).</li>
 * <li>{@code tedge/commands/req/software/list} and {@code …/update} → {@code tedge/commands/res/software/…}
 * ({@link SoftwareManager}), strictly one at a time, in the order they arrived.</li>
 * <li>Requests are read through durable cursors ({@code tedge-agent-restart}, {@code tedge-agent-software}),
 * so requests published while the agent is down are taken when it is back. A restart runs on its
 * own thread, independent of software operations.</li>
 * <li>The state of the operation in flight is saved under {@code <data.path>/agent/} before it
 * starts; at start-up a software operation left there is reported {@code failed} and a restart is
 * decided from the boot time, so no operation is left {@code executing}.</li>
 * <li>{@code tedge/health/tedge-agent}: retained {@code {"status":"up","pid":…,"time":…}} when
 * running, {@code "down"} when stopped.</li>
 * </ul>
 */
@ConfigKey(key = "tmp.path", type = "path", defaultValue = "/tmp",
        doc = "Directory for downloads of software modules and the restart marker. Example: /tmp")
@ConfigKey(key = "software.plugin.default", type = "string",
        doc = "The software plug-in used for modules of type default (or no type). Example: apt")
@ConfigKey(key = "software.plugin.max_packages", type = "int", defaultValue = "1000",
        doc = "Lines of a software plug-in's list that are kept and reported. Example: 1000")
@ConfigKey(key = "software.plugin.timeout", type = "int", defaultValue = "300",
        doc = "Seconds one software plug-in call may take before it is stopped (SIGTERM, then SIGKILL 10 s later). Example: 600")
@ConfigKey(key = "sudo.enable", type = "flag", defaultValue = "true",
        doc = "Whether the agent runs plug-ins and the reboot command with sudo when it is not root and sudo is installed. Example: false")
@Component(immediate = true)
public class AgentComponent {
    private static final Logger LOG = LoggerFactory.getLogger(AgentComponent.class);

    public static final String RESTART_REQ = "tedge/commands/req/control/restart";
    public static final String RESTART_RES = "tedge/commands/res/control/restart";
    public static final String LIST_REQ = "tedge/commands/req/software/list";
    public static final String LIST_RES = "tedge/commands/res/software/list";
    public static final String UPDATE_REQ = "tedge/commands/req/software/update";
    public static final String UPDATE_RES = "tedge/commands/res/software/update";
    public static final String HEALTH = "tedge/health/tedge-agent";
    public static final String SOFTWARE_STATE = "software-current-operation";

    private final Bus bus;
    private final Clock clock = Clock.systemUTC();
    private final java.util.function.Supplier<Settings> settingsSource;
    private volatile Settings settings;
    private volatile boolean stopping;
    private final RecentIds recent;
    private final Thread restartLoop;
    private final Thread softwareLoop;

    /**
     * The settings are read from tedge.toml at start and again for each operation (so a changed
     * key applies to the next operation without restarting the agent and what it runs).
     */
    @Activate
    public AgentComponent(@Reference Bus bus, @Reference TedgeConfigService config) {
        this(bus, () -> Settings.from(config));
    }

    /** With fixed settings (tests). */
    AgentComponent(Bus bus, Map<String, Object> props) {
        this(bus, () -> Settings.from(props));
    }

    private AgentComponent(Bus bus, java.util.function.Supplier<Settings> settingsSource) {
        this.bus = bus;
        this.settingsSource = settingsSource;
        this.settings = settingsSource.get();
        this.recent = new RecentIds(settings.stateDir().resolve("recent-operations"));
        installDefaultPlugins();
        String r = new RestartManager(settings, clock).recover((id, s, reason) -> publish(RESTART_RES, status(id, s, reason)));
        if (r != null) remember(r);
        recoverSoftware();
        restartLoop = loop("tedge-agent-restart", List.of(RESTART_REQ), this::onRestart);
        softwareLoop = loop("tedge-agent-software", List.of(LIST_REQ, UPDATE_REQ), this::onSoftware);
        ObjectNode health = Json.object();
        health.put("status", "up");
        health.put("pid", ProcessHandle.current().pid());
        health.put("time", clock.instant().getEpochSecond());
        publishRetained(HEALTH, health);
        LOG.info("Agent ready: plug-ins in {}, state in {}", settings.pluginDir(), settings.stateDir());
    }

    @Deactivate
    void deactivate() {
        stopping = true;
        for (Thread t : List.of(restartLoop, softwareLoop)) t.interrupt();
        for (Thread t : List.of(restartLoop, softwareLoop)) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        ObjectNode health = Json.object();
        health.put("status", "down");
        health.put("pid", ProcessHandle.current().pid());
        health.put("time", clock.instant().getEpochSecond());
        publishRetained(HEALTH, health);
    }

    /** The apt plug-in is put in a new sm-plugins folder when apt-get is there (see README). */
    private void installDefaultPlugins() {
        try {
            AptPlugin.installIfNew(settings.pluginDir());
        } catch (IOException e) {
            LOG.warn("Cannot install the apt plug-in in {}: {}", settings.pluginDir(), e.getMessage());
        }
    }

    private interface Handler {
        void handle(BusMessage m, Runnable commit) throws InterruptedException;
    }

    /** The consumer is opened here, before the component is active, so no request published after that is missed. */
    private Thread loop(String name, List<String> topics, Handler handler) {
        DurableConsumer consumer = bus.consumer(name, topics);
        Thread t = new Thread(() -> {
            try (DurableConsumer c = consumer) {
                while (!stopping) {
                    for (BusMessage m : c.poll(1, Duration.ofMillis(500))) {
                        try {
                            handler.handle(m, () -> c.commit(m.position()));
                        } catch (RuntimeException e) {
                            LOG.error("Request on {} failed: {}", m.topic(), e.toString(), e);
                            c.commit(m.position());
                        }
                    }
                }
            } catch (InterruptedException e) {
                // stopping
            } catch (RuntimeException e) {
                if (!stopping) LOG.error("{} stopped: {}", name, e.toString(), e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void onRestart(BusMessage m, Runnable commit) throws InterruptedException {
        String id = requestId(m);
        if (id == null || recent.contains(id)) {
            commit.run();
            return;
        }
        remember(id);
        commit.run();
        LOG.info("Restart {} requested", id);
        settings = settingsSource.get();
        new RestartManager(settings, clock).restart(id, (i, s, reason) -> publish(RESTART_RES, status(i, s, reason)),
                () -> stopping);
    }

    private void onSoftware(BusMessage m, Runnable commit) throws InterruptedException {
        String id = requestId(m);
        if (id == null || recent.contains(id)) {
            commit.run();
            return;
        }
        boolean update = m.topic().equals(UPDATE_REQ);
        String resTopic = update ? UPDATE_RES : LIST_RES;
        Settings s = settingsSource.get();
        settings = s;
        io.tedge.agent.OperationState state = null;
        try {
            state = io.tedge.agent.OperationState.write(s.stateDir().resolve(SOFTWARE_STATE), id, update ? "update" : "list",
                    clock.instant());
        } catch (IOException e) {
            LOG.error("Cannot save the state of software operation {}: {}", id, e.getMessage());
        }
        remember(id);
        commit.run();
        publish(resTopic, status(id, "executing", null));
        LOG.info("Software {} {} started", update ? "update" : "list", id);
        SoftwareManager sm = new SoftwareManager(s, clock, () -> new Downloader(s, s.pluginTimeout()));
        ObjectNode res;
        if (update) {
            JsonNode req;
            try {
                req = Json.parse(m.payload());
            } catch (IOException e) {
                req = null;
            }
            res = req == null ? status(id, "failed", "The request is not valid JSON") : sm.update(req);
        } else {
            res = sm.list(id);
        }
        if (stopping) return; // interrupted on the way down: the state file makes the next start report it
        publish(resTopic, res);
        LOG.info("Software {} {} {}", update ? "update" : "list", id, res.path("status").asText());
        try {
            if (state != null) state.clear();
        } catch (IOException e) {
            LOG.warn("Cannot clear {}: {}", state.file(), e.getMessage());
        }
    }

    /** A software operation left by a stop, a crash or a reboot is reported failed, then cleared. */
    private void recoverSoftware() {
        java.nio.file.Path f = settings.stateDir().resolve(SOFTWARE_STATE);
        try {
            io.tedge.agent.OperationState s = io.tedge.agent.OperationState.read(f);
            if (s == null) return;
            boolean update = s.what().equals("update");
            ObjectNode res = status(s.id(), "failed", "tedge-agent was stopped while the software " + s.what()
                    + " was executing: it may be partly done; check the software list");
            if (!update) res.putArray("currentSoftwareList");
            publish(update ? UPDATE_RES : LIST_RES, res);
            remember(s.id());
            s.clear();
            LOG.warn("Software {} {} was interrupted by a stop of the agent: reported failed", s.what(), s.id());
        } catch (IOException e) {
            LOG.warn("Unreadable software state {}, removed: {}", f, e.getMessage());
            try {
                java.nio.file.Files.deleteIfExists(f);
            } catch (IOException x) {
                LOG.warn("Cannot remove {}: {}", f, x.getMessage());
            }
        }
    }

    private void remember(String id) {
        try {
            recent.add(id);
        } catch (IOException e) {
            LOG.warn("Cannot record request {}: {}", id, e.getMessage());
        }
    }

    /** The {@code id} of a request, or null (logged) when the payload is not a request. */
    static String requestId(BusMessage m) {
        try {
            JsonNode n = Json.parse(m.payload());
            JsonNode id = n == null ? null : n.get("id");
            if (id != null && id.isTextual() && !id.asText().isEmpty()) return id.asText();
        } catch (IOException e) {
            // below
        }
        LOG.warn("Ignored a request on {} without a string \"id\": {}", m.topic(),
                new String(m.payload(), 0, Math.min(200, m.payload().length), StandardCharsets.UTF_8));
        return null;
    }

    static ObjectNode status(String id, String status, String reason) {
        return RestartManager.statusJson(id, status, reason);
    }

    private void publish(String topic, ObjectNode json) {
        try {
            bus.publish(topic, Json.bytes(json), 1, false);
        } catch (Exception e) {
            LOG.error("Cannot publish on {}: {}", topic, e.getMessage());
        }
    }

    private void publishRetained(String topic, ObjectNode json) {
        try {
            bus.publish(topic, Json.bytes(json), 1, true);
        } catch (Exception e) {
            LOG.warn("Cannot publish on {}: {}", topic, e.getMessage());
        }
    }
}
