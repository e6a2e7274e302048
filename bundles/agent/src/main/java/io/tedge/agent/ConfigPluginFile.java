package io.tedge.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.tedge.agent.internal.TomlFiles;
import io.tedge.json.JsonNode;

/**
 * {@code <config dir>/c8y/c8y-configuration-plugin.toml}: the configuration files the cloud may
 * fetch and replace, as thin-edge.io 0.12's configuration plug-in reads it:
 *
 * <pre>
 * files = [ { path = '/etc/tedge/tedge.toml' },
 *           { path = '/etc/tedge/c8y/example.txt', type = 'example', user = 'tedge', group = 'tedge', mode = 0o444 } ]
 * </pre>
 *
 * <ul>
 * <li>{@code type} defaults to the path; {@code user}, {@code group} and {@code mode} apply when
 * the file is replaced.</li>
 * <li>A type containing {@code +} or {@code #}, a duplicated type, a relative path or a file that
 * is not valid TOML makes the whole file ignored (the problem is in {@link #problem()}).</li>
 * <li>The plug-in file itself is always there, as type {@code c8y-configuration-plugin}.</li>
 * </ul>
 */
public final class ConfigPluginFile {
    public static final String SELF_TYPE = "c8y-configuration-plugin";
    public static final String FILE_NAME = "c8y-configuration-plugin.toml";

    /**
     * One managed file.
     *
     * @param type  its configuration type
     * @param path  absolute path
     * @param user  owner to set on replace, or null
     * @param group group to set on replace, or null
     * @param mode  permission bits to set on replace (e.g. 0644), or null
     */
    public record Entry(String type, Path path, String user, String group, Integer mode) {
    }

    private final Map<String, Entry> entries;
    private final String problem;

    private ConfigPluginFile(Map<String, Entry> entries, String problem) {
        this.entries = Collections.unmodifiableMap(entries);
        this.problem = problem;
    }

    /** The file's default content when it does not exist: the tedge.toml of {@code configDir}. */
    public static String defaultContent(Path configDir) {
        return "files = [\n    { path = '" + configDir.resolve("tedge.toml") + "', type = 'tedge.toml' },\n]\n";
    }

    /** Reads the plug-in file (which may be missing: then only its own type is there). */
    public static ConfigPluginFile read(Path file) {
        Map<String, Entry> entries = new TreeMap<>();
        Entry self = new Entry(SELF_TYPE, file.toAbsolutePath(), null, null, null);
        String problem = null;
        if (Files.exists(file)) {
            try {
                for (JsonNode f : TomlFiles.filesArray(file)) {
                    Entry e = entry(file, f);
                    if (entries.put(e.type(), e) != null) throw new IOException(file + ": the type '" + e.type() + "' is used twice");
                }
            } catch (IOException e) {
                entries.clear();
                problem = e.getMessage() + " (the file is ignored until it is fixed)";
            }
        }
        entries.put(SELF_TYPE, self);
        return new ConfigPluginFile(entries, problem);
    }

    private static Entry entry(Path file, JsonNode f) throws IOException {
        if (!f.isObject()) throw new IOException(file + ": each entry of `files` must be a table like { path = '/etc/x.conf' }");
        String path = TomlFiles.text(f, "path");
        if (path == null || !Path.of(path).isAbsolute()) {
            throw new IOException(file + ": every entry needs an absolute `path`, not " + f.get("path"));
        }
        String type = TomlFiles.text(f, "type");
        if (type == null) type = path;
        if (type.isEmpty() || type.contains("+") || type.contains("#")) {
            throw new IOException(file + ": the type '" + type + "' is not valid (it must not be empty or contain + or #)");
        }
        JsonNode mode = f.get("mode");
        Integer m = null;
        if (mode != null) {
            if (!mode.isIntegralNumber() || mode.asInt() < 0 || mode.asInt() > 07777) {
                throw new IOException(file + ": `mode` of " + path + " must be permission bits like 0o644, not " + mode);
            }
            m = mode.asInt();
        }
        return new Entry(type, Path.of(path).normalize(), TomlFiles.text(f, "user"), TomlFiles.text(f, "group"), m);
    }

    /** Types sorted (what SmartREST 119 lists). */
    public List<String> types() {
        return new ArrayList<>(entries.keySet());
    }

    /** The entry of a type, or null. */
    public Entry entry(String type) {
        return entries.get(type);
    }

    /** Why the file was ignored, or null. */
    public String problem() {
        return problem;
    }
}
