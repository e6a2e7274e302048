package io.tedge.agent.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.tedge.agent.BoundedProcess;
import io.tedge.agent.OperationLog;
import io.tedge.json.ArrayNode;
import io.tedge.json.Json;
import io.tedge.json.JsonNode;
import io.tedge.json.ObjectNode;

/**
 * Software list and update with the plug-ins, as thin-edge.io 0.12's agent does them (one at a
 * time; the caller serializes). Per software type, in the order of the request: {@code prepare}
 * (a failure aborts the type), the downloads of modules with a URL to
 * {@code <tmp.path>/<name>[_<version>]}, {@code update-list} with one TSV line per module (exit 1
 * means "not supported": then {@code install}/{@code remove} per module), {@code finalize}, and
 * the downloads are deleted. Afterwards every plug-in's {@code list} gives
 * {@code currentSoftwareList}. Every error is in {@code failures} and makes the status
 * {@code failed} with the reason {@code <n> error(s), see device log file <log>}.
 *
 * <p>Module names and versions come from the cloud: they are passed as separate arguments (never
 * through a shell); a name that is empty, starts with {@code -} or holds a control character, and a
 * version with a control character, are refused before any plug-in runs.
 */
public final class SoftwareManager {
    /** Largest module download. */
    public static final long MAX_DOWNLOAD = 1L << 30;

    private final Settings settings;
    private final Clock clock;
    private final DownloaderFactory downloads;

    /** Makes the downloader of an operation (tests give one with short retries). */
    public interface DownloaderFactory {
        Downloader create() throws IOException;
    }

    public SoftwareManager(Settings settings, Clock clock, DownloaderFactory downloads) {
        this.settings = settings;
        this.clock = clock;
        this.downloads = downloads;
    }

    /** Runs a list request; returns the final response. */
    public ObjectNode list(String id) throws InterruptedException {
        OperationLog log = new OperationLog(settings.operationLogs(), "software-list", clock.instant());
        Plugins plugins = new Plugins(settings, log);
        plugins.load();
        List<String> errors = new ArrayList<>();
        ArrayNode current = currentList(plugins, errors);
        log.save();
        ObjectNode res = response(id, errors.isEmpty() ? "successful" : "failed");
        if (!errors.isEmpty()) res.put("reason", String.join("; ", errors));
        res.set("currentSoftwareList", current);
        return res;
    }

    /** Runs an update request; returns the final response. */
    public ObjectNode update(JsonNode request) throws InterruptedException {
        String id = request.path("id").asText();
        OperationLog log = new OperationLog(settings.operationLogs(), "software-update", clock.instant());
        Plugins plugins = new Plugins(settings, log);
        plugins.load();
        Map<String, ArrayNode> failures = new LinkedHashMap<>();
        int errors = 0;
        for (JsonNode group : request.path("updateList")) {
            String type = group.path("type").asText("default");
            List<JsonNode> modules = new ArrayList<>();
            group.path("modules").forEach(modules::add);
            errors += updateType(plugins, type, modules, failures, log);
        }
        List<String> listErrors = new ArrayList<>();
        ArrayNode current = currentList(plugins, listErrors);
        errors += listErrors.size();
        for (String e : listErrors) log.line("error: " + e);
        log.save();
        ObjectNode res = response(id, errors == 0 ? "successful" : "failed");
        if (errors > 0) res.put("reason", errors + " error(s), see device log file " + log.file());
        res.set("currentSoftwareList", current);
        if (!failures.isEmpty()) {
            ArrayNode f = res.putArray("failures");
            failures.forEach((type, mods) -> {
                ObjectNode o = f.addObject();
                o.put("type", type);
                o.set("modules", mods);
            });
        }
        return res;
    }

    private int updateType(Plugins plugins, String type, List<JsonNode> modules, Map<String, ArrayNode> failures,
            OperationLog log) throws InterruptedException {
        ArrayNode failed = Json.array();
        int errors = 0;
        Plugins.Plugin p;
        try {
            for (JsonNode m : modules) validate(m);
            p = plugins.resolve(type);
        } catch (IOException e) {
            log.line("error: " + e.getMessage());
            failures.computeIfAbsent(type, t -> failed);
            failedModule(failed, null, null, null, e.getMessage());
            return 1;
        }
        List<Path> downloaded = new ArrayList<>();
        try {
            BoundedProcess.Result r = plugins.call(p, "prepare", List.of(), null);
            if (!r.success()) {
                log.line("error: prepare failed");
                failures.computeIfAbsent(type, t -> failed);
                return 1;
            }
            Map<JsonNode, Path> files = new LinkedHashMap<>();
            Downloader d = null;
            for (JsonNode m : modules) {
                String url = text(m, "url");
                if (url == null || url.isBlank() || !"install".equals(text(m, "action"))) continue;
                if (d == null) d = downloads.create();
                String name = text(m, "name");
                String version = text(m, "version");
                Path target = settings.tmpPath().resolve(fileName(name, version));
                try {
                    d.download(url, text(m.path("auth"), "bearer"), target, MAX_DOWNLOAD);
                    downloaded.add(target);
                    files.put(m, target);
                } catch (IOException e) {
                    log.line("error: " + e.getMessage());
                    failures.computeIfAbsent(type, t -> failed);
                    return 1;
                }
            }
            StringBuilder tsv = new StringBuilder();
            for (JsonNode m : modules) {
                String action = "remove".equals(text(m, "action")) ? "remove" : "install";
                Path f = files.get(m);
                tsv.append(action).append('\t').append(nz(text(m, "name"))).append('\t').append(nz(text(m, "version")))
                        .append('\t').append(f == null ? "" : f.toString()).append('\n');
            }
            r = plugins.call(p, "update-list", List.of(), Plugins.utf8(tsv.toString()));
            if (r.exitCode() == 1 && !r.timedOut()) {
                for (JsonNode m : modules) {
                    String action = "remove".equals(text(m, "action")) ? "remove" : "install";
                    List<String> args = new ArrayList<>();
                    args.add(text(m, "name"));
                    if (text(m, "version") != null) {
                        args.add("--module-version");
                        args.add(text(m, "version"));
                    }
                    if (files.get(m) != null) {
                        args.add("--file");
                        args.add(files.get(m).toString());
                    }
                    BoundedProcess.Result mr = plugins.call(p, action, args, null);
                    if (!mr.success()) {
                        errors++;
                        failures.computeIfAbsent(type, t -> failed);
                        failedModule(failed, text(m, "name"), text(m, "version"), action, plugins.reason(p, action, mr));
                    }
                }
            } else if (!r.success()) {
                String reason = plugins.reason(p, "update-list", r);
                failures.computeIfAbsent(type, t -> failed);
                for (JsonNode m : modules) {
                    errors++;
                    failedModule(failed, text(m, "name"), text(m, "version"),
                            "remove".equals(text(m, "action")) ? "remove" : "install", reason);
                }
            }
            r = plugins.call(p, "finalize", List.of(), null);
            if (!r.success()) {
                errors++;
                failures.computeIfAbsent(type, t -> failed);
            }
            return errors;
        } catch (IOException e) {
            log.line("error: " + e.getMessage());
            failures.computeIfAbsent(type, t -> failed);
            return errors + 1;
        } finally {
            for (Path f : downloaded) {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    log.line("cannot delete " + f + ": " + e.getMessage());
                }
            }
        }
    }

    private static void failedModule(ArrayNode failed, String name, String version, String action, String reason) {
        if (name == null) return;
        ObjectNode o = failed.addObject();
        o.put("name", name);
        if (version != null) o.put("version", version);
        o.put("action", action);
        o.put("reason", reason);
    }

    /** Refuses names and versions that a plug-in could take for an option or a TSV separator. */
    static void validate(JsonNode m) throws IOException {
        String name = text(m, "name");
        if (name == null || name.isEmpty() || name.startsWith("-") || hasControl(name)) {
            throw new IOException("Invalid module name " + m.get("name") + ": it must not be empty, start with '-' or contain control characters");
        }
        String version = text(m, "version");
        if (version != null && (version.startsWith("-") || hasControl(version))) {
            throw new IOException("Invalid version " + m.get("version") + " of module " + name);
        }
        String action = text(m, "action");
        if (!"install".equals(action) && !"remove".equals(action)) {
            throw new IOException("Invalid action " + m.get("action") + " for module " + name + ": it must be install or remove");
        }
    }

    private static boolean hasControl(String s) {
        return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
    }

    /** {@code <name>[_<version>]} made safe as a file name. */
    static String fileName(String name, String version) {
        String n = version == null ? name : name + "_" + version;
        String safe = n.replaceAll("[^A-Za-z0-9._+~-]", "_");
        return safe.startsWith(".") ? "_" + safe : safe;
    }

    private ArrayNode currentList(Plugins plugins, List<String> errors) throws InterruptedException {
        ArrayNode list = Json.array();
        for (Plugins.Plugin p : plugins.loaded().values()) {
            try {
                List<Plugins.Module> mods = plugins.list(p);
                ObjectNode t = list.addObject();
                t.put("type", p.type());
                ArrayNode ms = t.putArray("modules");
                for (Plugins.Module m : mods) {
                    ObjectNode o = ms.addObject();
                    o.put("name", m.name());
                    if (m.version() != null) o.put("version", m.version());
                }
            } catch (IOException e) {
                errors.add(e.getMessage());
            }
        }
        if (list.isEmpty()) {
            ObjectNode t = list.addObject();
            t.put("type", "");
            t.putArray("modules");
        }
        return list;
    }

    static ObjectNode response(String id, String status) {
        ObjectNode o = Json.object();
        o.put("id", id);
        o.put("status", status);
        return o;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n == null ? null : n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
