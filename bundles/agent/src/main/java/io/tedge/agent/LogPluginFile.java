package io.tedge.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import io.tedge.agent.internal.TomlFiles;
import io.tedge.json.JsonNode;

/**
 * {@code <config dir>/c8y/c8y-log-plugin.toml}: the log files the cloud may ask for, as
 * thin-edge.io 0.12's log plug-in reads it:
 *
 * <pre>
 * files = [ { type = "software-management", path = "/var/log/tedge/agent/software-*" } ]
 * </pre>
 *
 * {@code path} is a glob ({@code *}, {@code ?}, {@code [..]}, {@code {a,b}}, {@code **});
 * several entries may share a type. A file that is not valid TOML, or an entry without an
 * absolute path or a type, makes the whole file ignored ({@link #problem()}).
 */
public final class LogPluginFile {
    public static final String FILE_NAME = "c8y-log-plugin.toml";

    /** One glob of a log type. */
    public record Entry(String type, String glob) {
    }

    private final List<Entry> entries;
    private final String problem;

    private LogPluginFile(List<Entry> entries, String problem) {
        this.entries = List.copyOf(entries);
        this.problem = problem;
    }

    /** The default content: the agent's software update logs under {@code logsDir}. */
    public static String defaultContent(Path logsDir) {
        return "files = [\n    { type = \"software-management\", path = \"" + logsDir.resolve("agent") + "/software-*\" },\n]\n";
    }

    /** Reads the file; a missing file has no log types. */
    public static LogPluginFile read(Path file) {
        List<Entry> entries = new ArrayList<>();
        String problem = null;
        if (Files.exists(file)) {
            try {
                for (JsonNode f : TomlFiles.filesArray(file)) {
                    String type = TomlFiles.text(f, "type");
                    String path = TomlFiles.text(f, "path");
                    if (type == null || type.isEmpty() || path == null || !path.startsWith("/")) {
                        throw new IOException(file + ": each entry needs a `type` and an absolute `path` glob, like "
                                + "{ type = \"syslog\", path = \"/var/log/syslog*\" }, not " + f);
                    }
                    entries.add(new Entry(type, path));
                }
            } catch (IOException e) {
                entries.clear();
                problem = e.getMessage() + " (the file is ignored until it is fixed)";
            }
        }
        return new LogPluginFile(entries, problem);
    }

    /** The distinct types, sorted (what SmartREST 118 lists). */
    public List<String> types() {
        TreeSet<String> t = new TreeSet<>();
        for (Entry e : entries) t.add(e.type());
        return new ArrayList<>(t);
    }

    /** The globs of a type (empty for an unknown type). */
    public List<String> globs(String type) {
        List<String> out = new ArrayList<>();
        for (Entry e : entries) {
            if (e.type().equals(type)) out.add(e.glob());
        }
        return out;
    }

    public String problem() {
        return problem;
    }
}
