package io.tedge.c8y.internal.operations;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.agent.ConfigPluginFile;
import io.tedge.agent.CustomOperation;
import io.tedge.agent.LogPluginFile;
import io.tedge.agent.OperationLog;
import io.tedge.agent.OperationState;
import io.tedge.agent.OperationsDir;
import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudConnected;
import io.tedge.api.ConfigKey;
import io.tedge.api.DurableConsumer;
import io.tedge.c8y.internal.C8yHttp;
import io.tedge.json.ArrayNode;
import io.tedge.json.Json;
import io.tedge.json.JsonNode;
import io.tedge.json.ObjectNode;

/**
 * Device management from Cumulocity (thin-edge.io 0.12's c8y mapper operations, with the
 * registration of its log and configuration plug-ins), while c8y is connected.
 *
 * <p><b>At start</b> (on {@code c8y/…}, QoS 1): the inventory update with {@code c8y_Agent}
 * ({@code <config dir>/device/inventory.json} merged in), {@code 114} of
 * {@code <config dir>/operations/c8y/}, {@code {"type":<device.type>}}, {@code 118} (log types),
 * {@code 119} (configuration types), {@code 500} and {@code 105}. The operation folder (and its
 * child folders) and the plug-in files are watched: a change re-sends what changed ({@code 114},
 * {@code 101} plus {@code 114} on {@code c8y/s/us/<child>} for a new child, {@code 118}, {@code 119}).
 *
 * <p><b>Operations</b> ({@code c8y/s/ds}, read through the durable cursor {@code c8y-operations},
 * lines for another device ignored): {@code 510} becomes a restart request and {@code 528} a
 * software update request to the agent ({@link SoftwareRequest}); the agent's responses become
 * {@code 501}/{@code 503}/{@code 502} ({@link #onAgentResponse}); any other template matching an
 * operation file's {@code on_message} runs its command ({@link CustomOperation}, at most
 * {@link #MAX_RUNNING} at a time and {@link #MAX_QUEUED} waiting). {@code 106} lists the cloud's
 * children: local children missing there are created with {@code 101}.
 *
 * <p><b>Agent up</b> ({@code tedge/health/tedge-agent} {@code "up"}): {@code c8y_Restart} and
 * {@code c8y_SoftwareUpdate} operation files are created if missing, and the software list is
 * requested.
 */
@ConfigKey(key = "device.type", type = "string", defaultValue = "thin-edge.io",
        doc = "The type of the device in Cumulocity (sent as {\"type\":...} at connect). Example: thin-edge.io")
@Component(immediate = true, configurationPolicy = ConfigurationPolicy.REQUIRE,
        configurationPid = {"tedge.device", "tedge.c8y", "tedge.logs", "tedge.data"})
public class C8yOperations {
    private static final Logger LOG = LoggerFactory.getLogger(C8yOperations.class);

    static final String DS = "c8y/s/ds";
    static final String US = "c8y/s/us";
    static final String INVENTORY = "c8y/inventory/managedObjects/update/";
    static final String RESTART_REQ = "tedge/commands/req/control/restart";
    static final String RESTART_RES = "tedge/commands/res/control/restart";
    static final String LIST_REQ = "tedge/commands/req/software/list";
    static final String LIST_RES = "tedge/commands/res/software/list";
    static final String UPDATE_REQ = "tedge/commands/req/software/update";
    static final String UPDATE_RES = "tedge/commands/res/software/update";
    static final String AGENT_HEALTH = "tedge/health/tedge-agent";
    static final String RESTART = "c8y_Restart";
    static final String SOFTWARE = "c8y_SoftwareUpdate";
    static final String CHILD_TYPE = "thin-edge.io-child";
    static final int MAX_RUNNING = 4;
    static final int MAX_QUEUED = 32;
    /** Output of a custom operation handed to Cumulocity (thin-edge.io's limit). */
    static final int MAX_RESULT = 16000;
    static final String AGENT_VERSION = "0.12.0";

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] NANOID = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray();

    private final Bus bus;
    private final Clock clock;
    final String deviceId;
    private final String deviceType;
    private final Path configDir;
    final Path opsDir;
    private final Path pluginDir;
    private final Path logsDir;
    private final Path stateDir;
    private final List<String> tenantHosts;
    private final ThreadPoolExecutor custom;
    private final ThreadPoolExecutor fileRequests;
    final FileOperations files;
    private volatile boolean stopping;
    private Thread consumerThread;
    private Thread watchThread;
    private WatchService watcher;
    private Bus.Subscription health;

    // what was sent last, to re-send only changes
    private String sent114;
    private final Map<String, String> sentChild114 = new HashMap<>();
    private String sent118;
    private String sent119;

    @Activate
    public C8yOperations(@Reference(name = "connected", target = "(tedge.cloud=c8y)") CloudConnected connected,
            @Reference(name = "bus") Bus bus, @Reference(name = "http") C8yHttp http, Map<String, Object> props) {
        this(bus, props, Clock.systemUTC());
        if (deviceId != null) setHttp(http);
        start();
    }

    /** Without the threads (tests call the handlers). */
    C8yOperations(Bus bus, Map<String, Object> props, Clock clock) {
        this.bus = bus;
        this.clock = clock;
        this.deviceId = str(props, "device.id", null);
        this.deviceType = str(props, "device.type", "thin-edge.io");
        this.configDir = Path.of(str(props, "tedge.config.dir", System.getProperty("user.home") + "/.tedge"));
        this.opsDir = configDir.resolve("operations").resolve("c8y");
        this.pluginDir = configDir.resolve("c8y");
        this.logsDir = Path.of(str(props, "logs.path", configDir.resolve("logs").toString())).resolve("agent");
        this.stateDir = OperationState.dir(Path.of(str(props, "data.path", configDir.resolve("data").toString())));
        this.tenantHosts = C8yHttp.Settings.of(props).tenantHosts();
        this.custom = new ThreadPoolExecutor(MAX_RUNNING, MAX_RUNNING, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_QUEUED),
                r -> {
                    Thread t = new Thread(r, "c8y-custom-operation");
                    t.setDaemon(true);
                    return t;
                });
        custom.allowCoreThreadTimeOut(true);
        this.files = new FileOperations(pluginDir);
        this.fileRequests = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(MAX_QUEUED), r -> {
            Thread t = new Thread(r, "c8y-file-operation");
            t.setDaemon(true);
            return t;
        });
        fileRequests.allowCoreThreadTimeOut(true);
    }

    /**
     * The HTTP client the REST parts need; once it is there the configuration and log operations
     * are offered ({@code c8y_UploadConfigFile}, {@code c8y_DownloadConfigFile},
     * {@code c8y_LogfileRequest} files in {@code operations/c8y/}).
     */
    void setHttp(OperationsHttp client) {
        this.http = client;
        try {
            for (String op : List.of(FileOperations.UPLOAD, FileOperations.DOWNLOAD, FileOperations.LOGS)) OperationsDir.ensure(opsDir, op);
        } catch (IOException e) {
            LOG.warn("Cannot create the operation files in {}: {}", opsDir, e.getMessage());
        }
    }

    private void start() {
        if (deviceId == null) {
            LOG.error("No device.id (no device certificate): Cumulocity operations are not handled. Run `tedge cert create --device-id <id>`.");
            return;
        }
        try {
            Files.createDirectories(opsDir);
            Files.createDirectories(pluginDir);
            writeIfMissing(pluginDir.resolve(LogPluginFile.FILE_NAME), LogPluginFile.defaultContent(logsDir.getParent()));
            writeIfMissing(pluginDir.resolve(ConfigPluginFile.FILE_NAME), ConfigPluginFile.defaultContent(configDir));
        } catch (IOException e) {
            LOG.warn("Cannot prepare {}: {}", opsDir, e.getMessage());
        }
        recoverCustom();
        for (BusMessage m : init()) publish(m);
        startWatcher();
        DurableConsumer consumer = bus.consumer("c8y-operations", topics());
        consumerThread = new Thread(() -> consume(consumer), "c8y-operations");
        consumerThread.setDaemon(true);
        consumerThread.start();
        health = bus.subscribe(List.of(AGENT_HEALTH), m -> {
            if (!stopping) onAgentHealth(m);
        });
    }

    @Deactivate
    void deactivate() {
        stopping = true;
        if (health != null) health.close();
        try {
            if (watcher != null) watcher.close();
        } catch (IOException e) {
            // closing
        }
        for (Thread t : new Thread[] {consumerThread, watchThread}) {
            if (t == null) continue;
            t.interrupt();
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        custom.shutdownNow();
        fileRequests.shutdownNow();
    }

    private static void writeIfMissing(Path f, String content) throws IOException {
        if (!Files.exists(f)) Files.writeString(f, content);
    }

    // ------------------------------------------------------------------ start-up and registration

    /** The messages sent when the connection to Cumulocity starts. */
    List<BusMessage> init() {
        List<BusMessage> out = new ArrayList<>();
        out.add(new BusMessage(INVENTORY + deviceId, inventory(), 1, false, -1));
        OperationsDir.Supported s = OperationsDir.read(opsDir);
        for (String p : s.problems()) LOG.warn("Operation file ignored: {}", p);
        sent114 = supported(s.operations());
        out.add(BusMessage.of(US, sent114, 1));
        // children there at start are the 106 answer's business (101 for those the cloud lacks, 114
        // for all), as upstream: a rescan before that answer (the agent's retained health "up")
        // must not create them again
        synchronized (this) {
            sentChild114.clear();
            for (Map.Entry<String, List<String>> c : s.children().entrySet()) sentChild114.put(c.getKey(), supported(c.getValue()));
        }
        ObjectNode type = Json.object();
        type.put("type", deviceType);
        out.add(new BusMessage(INVENTORY + deviceId, bytes(type), 1, false, -1));
        sent118 = logTypes();
        out.add(BusMessage.of(US, sent118, 1));
        sent119 = configTypes();
        out.add(BusMessage.of(US, sent119, 1));
        out.add(BusMessage.of(US, "500\n", 1));
        out.add(BusMessage.of(US, "105", 1));
        return out;
    }

    /** {@code inventory.json} with {@code c8y_Agent} set. */
    byte[] inventory() {
        ObjectNode inv = null;
        Path f = configDir.resolve("device").resolve("inventory.json");
        if (Files.exists(f)) {
            try {
                JsonNode n = Json.parse(f);
                if (n instanceof ObjectNode o) inv = o;
            } catch (IOException e) {
                LOG.warn("{} is not valid JSON, only c8y_Agent is sent: {}", f, e.getMessage());
            }
        }
        if (inv == null) inv = Json.object();
        ObjectNode agent = inv.putObject("c8y_Agent");
        agent.put("name", "thin-edge.io");
        agent.put("version", AGENT_VERSION);
        agent.put("url", "https://thin-edge.io");
        return bytes(inv);
    }

    static String supported(List<String> ops) {
        return ops.isEmpty() ? "114\n" : "114," + String.join(",", ops) + "\n";
    }

    String logTypes() {
        LogPluginFile f = LogPluginFile.read(pluginDir.resolve(LogPluginFile.FILE_NAME));
        if (f.problem() != null) LOG.warn("{}", f.problem());
        return "118," + String.join(",", f.types());
    }

    String configTypes() {
        ConfigPluginFile f = ConfigPluginFile.read(pluginDir.resolve(ConfigPluginFile.FILE_NAME));
        if (f.problem() != null) LOG.warn("{}", f.problem());
        return "119," + String.join(",", f.types());
    }

    /** After a change in the watched folders: what changed, again. */
    synchronized List<BusMessage> rescan() {
        List<BusMessage> out = new ArrayList<>();
        OperationsDir.Supported s = OperationsDir.read(opsDir);
        String ops = supported(s.operations());
        if (!ops.equals(sent114)) {
            sent114 = ops;
            out.add(BusMessage.of(US, ops, 1));
        }
        for (Map.Entry<String, List<String>> c : s.children().entrySet()) {
            String child114 = supported(c.getValue());
            String before = sentChild114.put(c.getKey(), child114);
            if (before == null) out.add(BusMessage.of(US, "101," + c.getKey() + "," + c.getKey() + "," + CHILD_TYPE, 1));
            if (!child114.equals(before)) out.add(BusMessage.of(US + "/" + c.getKey(), child114, 1));
        }
        sentChild114.keySet().retainAll(s.children().keySet());
        String logs = logTypes();
        if (!logs.equals(sent118)) {
            sent118 = logs;
            out.add(BusMessage.of(US, logs, 1));
        }
        String configs = configTypes();
        if (!configs.equals(sent119)) {
            sent119 = configs;
            out.add(BusMessage.of(US, configs, 1));
        }
        return out;
    }

    /** {@code 106,<child>,...}: local children the cloud lacks are created, every local child gets its 114. */
    synchronized List<BusMessage> onChildList(List<String> fields) {
        Set<String> known = new HashSet<>(fields.subList(1, fields.size()));
        List<BusMessage> out = new ArrayList<>();
        OperationsDir.Supported s = OperationsDir.read(opsDir);
        for (Map.Entry<String, List<String>> c : s.children().entrySet()) {
            if (!known.contains(c.getKey())) out.add(BusMessage.of(US, "101," + c.getKey() + "," + c.getKey() + "," + CHILD_TYPE, 1));
        }
        for (Map.Entry<String, List<String>> c : s.children().entrySet()) {
            String child114 = supported(c.getValue());
            sentChild114.put(c.getKey(), child114);
            out.add(BusMessage.of(US + "/" + c.getKey(), child114, 1));
        }
        return out;
    }

    private void startWatcher() {
        try {
            watcher = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            LOG.warn("Cannot watch {}: {}", opsDir, e.getMessage());
            return;
        }
        watchThread = new Thread(() -> {
            Set<Path> watched = new LinkedHashSet<>();
            try {
                while (!stopping) {
                    register(watched);
                    WatchKey key = watcher.poll(2, TimeUnit.SECONDS);
                    if (key == null) continue;
                    // let a burst of changes settle (an editor writes, renames, deletes)
                    TimeUnit.MILLISECONDS.sleep(200);
                    do {
                        key.pollEvents();
                        if (!key.reset()) watched.remove((Path) key.watchable());
                    } while ((key = watcher.poll()) != null);
                    for (BusMessage m : rescan()) publish(m);
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                // stopping
            }
        }, "c8y-operations-watch");
        watchThread.setDaemon(true);
        watchThread.start();
    }

    private void register(Set<Path> watched) {
        List<Path> dirs = new ArrayList<>(List.of(opsDir, pluginDir));
        OperationsDir.read(opsDir).children().keySet().forEach(c -> dirs.add(opsDir.resolve(c)));
        for (Path d : dirs) {
            if (watched.contains(d) || !Files.isDirectory(d)) continue;
            try {
                d.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
                watched.add(d);
            } catch (IOException e) {
                LOG.warn("Cannot watch {}: {}", d, e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ the operations

    /** {@code c8y/s/ds}, the agent's responses, and the topics named by custom operations. */
    private Set<String> topics() {
        Set<String> topics = new LinkedHashSet<>(List.of(DS, RESTART_RES, LIST_RES, UPDATE_RES));
        for (CustomOperation op : OperationsDir.read(opsDir).custom().values()) {
            if (op.topic() != null && !op.topic().isBlank()) topics.add(op.topic());
        }
        return topics;
    }

    private void consume(DurableConsumer consumer) {
        try (DurableConsumer c = consumer) {
            while (!stopping) {
                for (BusMessage m : c.poll(16, Duration.ofMillis(500))) {
                    try {
                        for (BusMessage out : handle(m)) publish(out);
                    } catch (RuntimeException e) {
                        LOG.error("Cannot handle {}: {}", m, e.toString(), e);
                    }
                    c.commit(m.position());
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } catch (RuntimeException e) {
            if (!stopping) LOG.error("c8y operations stopped: {}", e.toString(), e);
        }
    }

    /** One message from the bus; returns what to publish now (custom operations publish later). */
    List<BusMessage> handle(BusMessage m) {
        switch (m.topic()) {
            case RESTART_RES:
            case LIST_RES:
            case UPDATE_RES:
                return onAgentResponse(m);
            default:
                List<BusMessage> out = new ArrayList<>();
                for (String line : SmartRestLines.lines(m.text())) out.addAll(onSmartRest(line, m.topic()));
                return out;
        }
    }

    List<BusMessage> onSmartRest(String line, String topic) {
        List<String> f = SmartRestLines.fields(line);
        String code = f.get(0);
        if (code.equals("106")) return onChildList(f);
        if (f.size() < 2 || !f.get(1).equals(deviceId)) return List.of();
        switch (code) {
            case "510":
                if (!topic.equals(DS)) return List.of();
                return List.of(request(RESTART_REQ, nanoid()));
            case "528":
                if (!topic.equals(DS)) return List.of();
                try {
                    ObjectNode req = SoftwareRequest.of(f, nanoid(), this::tenantUrl, this::jwt);
                    return List.of(new BusMessage(UPDATE_REQ, bytes(req), 1, false, -1));
                } catch (SoftwareRequest.Invalid e) {
                    return List.of(BusMessage.of(US, "501," + SOFTWARE, 1),
                            BusMessage.of(US, "502," + SOFTWARE + "," + SmartRestLines.quoted(e.getMessage()), 1));
                }
            case "522":
            case "524":
            case "526":
                if (!topic.equals(DS)) return List.of();
                try {
                    fileRequests.execute(() -> {
                        try {
                            publishAll(files.handle(f, http));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                    return List.of();
                } catch (RejectedExecutionException e) {
                    String op = code.equals("526") ? FileOperations.UPLOAD : code.equals("524") ? FileOperations.DOWNLOAD : FileOperations.LOGS;
                    return List.of(BusMessage.of(US, "501," + op + "\n", 1), BusMessage.of(US, "502," + op + ","
                            + SmartRestLines.quoted("Too many requests at once: " + MAX_QUEUED + " are waiting") + "\n", 1));
                }
            default:
                for (CustomOperation op : OperationsDir.read(opsDir).custom().values()) {
                    if (code.equals(op.onMessage())) {
                        runCustom(op, line);
                        return List.of();
                    }
                }
                return List.of();
        }
    }

    /** The agent's responses as SmartREST status lines (thin-edge.io's bytes). */
    List<BusMessage> onAgentResponse(BusMessage m) {
        JsonNode r;
        try {
            r = Json.parse(m.payload());
        } catch (IOException e) {
            LOG.warn("Invalid response on {}: {}", m.topic(), e.getMessage());
            return List.of();
        }
        String status = r.path("status").asText();
        if (m.topic().equals(RESTART_RES)) {
            switch (status) {
                case "executing":
                    return List.of(BusMessage.of(US, "501," + RESTART + "\n", 1));
                case "successful":
                    return List.of(BusMessage.of(US, "503," + RESTART + ",\n", 1));
                case "failed":
                    return List.of(BusMessage.of(US, "502," + RESTART + ",\"Restart Failed\"\n", 1));
                default:
                    return List.of();
            }
        }
        if (m.topic().equals(LIST_RES)) {
            if (status.equals("successful")) putSoftwareList(r.path("currentSoftwareList"));
            if (status.equals("failed")) LOG.warn("The software list failed: {}", r.path("reason").asText());
            return List.of();
        }
        switch (status) {
            case "executing":
                return List.of(BusMessage.of(US, "501," + SOFTWARE + "\n", 1));
            case "successful":
                if (!putSoftwareList(r.path("currentSoftwareList"))) {
                    return List.of(BusMessage.of(US, "502," + SOFTWARE + ","
                            + SmartRestLines.quoted("The software was updated, but the software list could not be sent to Cumulocity") + "\n", 1));
                }
                return List.of(BusMessage.of(US, "503," + SOFTWARE + ",\n", 1));
            case "failed":
                return List.of(BusMessage.of(US, "502," + SOFTWARE + "," + SmartRestLines.quoted(r.path("reason").asText("")) + "\n", 1));
            default:
                return List.of();
        }
    }

    /** {@code {"c8y_SoftwareList":[{"name":..,"version":"<version>::<type>","url":""}]}} of a currentSoftwareList. */
    static ObjectNode softwareList(JsonNode current) {
        ObjectNode body = Json.object();
        ArrayNode list = body.putArray("c8y_SoftwareList");
        for (JsonNode type : current) {
            String t = type.path("type").asText("");
            for (JsonNode m : type.path("modules")) {
                ObjectNode o = list.addObject();
                o.put("name", m.path("name").asText());
                o.put("version", m.path("version").asText("") + "::" + t);
                o.put("url", m.path("url").asText(""));
            }
        }
        return body;
    }

    /** The PUT of the software list on the device's managed object; false when it failed. */
    boolean putSoftwareList(JsonNode current) {
        byte[] body = bytes(softwareList(current));
        OperationsHttp h = http;
        if (h == null) {
            LOG.warn("No Cumulocity HTTP client: the software list ({} bytes) is not sent", body.length);
            return false;
        }
        try {
            h.updateDevice(body);
            return true;
        } catch (IOException e) {
            LOG.error("The software list could not be sent to Cumulocity: {}", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The HTTP calls operations need (set once Cumulocity's HTTP client is there). */
    volatile OperationsHttp http;

    void onAgentHealth(BusMessage m) {
        try {
            if (!"up".equals(Json.parse(m.payload()).path("status").asText())) return;
        } catch (IOException e) {
            return;
        }
        try {
            OperationsDir.ensure(opsDir, SOFTWARE);
            OperationsDir.ensure(opsDir, RESTART);
        } catch (IOException e) {
            LOG.warn("Cannot create the agent's operation files in {}: {}", opsDir, e.getMessage());
        }
        for (BusMessage out : rescan()) publish(out);
        publish(request(LIST_REQ, nanoid()));
    }

    // ------------------------------------------------------------------ custom operations

    private void runCustom(CustomOperation op, String line) {
        String id = nanoid();
        try {
            custom.execute(() -> publishAll(executeCustom(op, line, id)));
        } catch (RejectedExecutionException e) {
            publishAll(List.of(BusMessage.of(US, "501," + op.name(), 1), BusMessage.of(US, "502," + op.name() + ","
                    + SmartRestLines.quoted("Too many operations at once: " + MAX_RUNNING + " running and " + MAX_QUEUED + " waiting"), 1)));
        }
    }

    /** Runs a custom operation: 501 at once, then 503 with its output or 502 with its error. */
    List<BusMessage> executeCustom(CustomOperation op, String line, String id) {
        publish(BusMessage.of(US, "501," + op.name(), 1));
        Path state = stateDir.resolve(op.name() + "." + id + ".operation");
        try {
            OperationState.write(state, id, op.name(), clock.instant());
        } catch (IOException e) {
            LOG.warn("Cannot save the state of {}: {}", op.name(), e.getMessage());
        }
        try {
            Path cwd = Path.of(System.getProperty("java.io.tmpdir"));
            CustomOperation.Outcome r = op.run(line, cwd);
            OperationLog log = new OperationLog(logsDir, op.name(), clock.instant());
            log.line(r.log());
            log.save();
            if (r.success()) {
                return List.of(BusMessage.of(US, "503," + op.name() + ",\"" + SmartRestLines.sanitize(r.stdout(), MAX_RESULT) + "\"", 1));
            }
            return List.of(BusMessage.of(US, "502," + op.name() + "," + SmartRestLines.quoted(r.reason()), 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of(); // stopping: the state file makes the next start report it
        } finally {
            if (!stopping) {
                try {
                    Files.deleteIfExists(state);
                } catch (IOException e) {
                    LOG.warn("Cannot clear {}: {}", state, e.getMessage());
                }
            }
        }
    }

    /** Custom operations left running by a stop are reported failed (thin-edge.io leaves them EXECUTING). */
    private void recoverCustom() {
        try {
            for (OperationState s : OperationState.list(stateDir)) {
                if (!s.file().getFileName().toString().endsWith(".operation")) continue;
                if (!OperationsDir.NAME.matcher(s.what()).matches()) continue;
                publish(BusMessage.of(US, "502," + s.what() + ","
                        + SmartRestLines.quoted("The operation was interrupted by a stop of tedge; it may not have completed"), 1));
                s.clear();
            }
        } catch (IOException e) {
            LOG.warn("Cannot read {}: {}", stateDir, e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    boolean tenantUrl(URI url) {
        return "https".equalsIgnoreCase(url.getScheme()) && url.getHost() != null && tenantHosts.contains(url.getHost().toLowerCase(java.util.Locale.ROOT));
    }

    /** The tenant's JWT for a module download, or null when there is none. */
    String jwt() {
        OperationsHttp h = http;
        if (h == null) return null;
        try {
            return h.jwt();
        } catch (IOException e) {
            LOG.warn("No JWT for the download: {}", e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private BusMessage request(String topic, String id) {
        ObjectNode o = Json.object();
        o.put("id", id);
        return new BusMessage(topic, bytes(o), 1, false, -1);
    }

    static String nanoid() {
        char[] c = new char[21];
        for (int i = 0; i < c.length; i++) c[i] = NANOID[RANDOM.nextInt(NANOID.length)];
        return new String(c);
    }

    private static byte[] bytes(JsonNode n) {
        return Json.bytes(n);
    }

    private void publishAll(List<BusMessage> ms) {
        for (BusMessage m : ms) publish(m);
    }

    void publish(BusMessage m) {
        try {
            bus.publish(m.topic(), m.payload(), m.qos(), m.retained());
        } catch (Bus.BusException e) {
            LOG.error("Cannot publish on {}: {}", m.topic(), e.getMessage());
        }
    }

    private static String str(Map<String, Object> props, String key, String dflt) {
        Object v = props.get(key);
        return v == null ? dflt : Objects.toString(v);
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
