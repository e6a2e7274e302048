package io.tedge.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import io.tedge.agent.internal.TomlFiles;
import io.tedge.json.JsonNode;

/**
 * The operations a cloud is told the device supports: {@code <config dir>/operations/<cloud>/}
 * (thin-edge.io's {@code /etc/tedge/operations/c8y/}). Each regular file whose name is
 * {@code [A-Za-z0-9_]+} and whose content is TOML (an empty file is) is one operation of the
 * device; each sub-folder is a child device with its own operation files. A file with an
 * {@code [exec]} table is a {@link CustomOperation}. Files that are not valid are left out and
 * named in {@link Supported#problems()}.
 */
public final class OperationsDir {
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_]+");
    /** Operation files and child folders read per folder; more are ignored (and reported). */
    public static final int MAX_ENTRIES = 1000;

    private OperationsDir() {
    }

    /**
     * The operations found.
     *
     * @param operations the device's operation names, sorted
     * @param children   child id to its operation names (sorted), children sorted
     * @param custom     the device's operations with an {@code [exec]} table, by name
     * @param problems   files that were left out, and why
     */
    public record Supported(List<String> operations, Map<String, List<String>> children,
            Map<String, CustomOperation> custom, List<String> problems) {
    }

    /** Reads the folder; a missing folder has no operations. */
    public static Supported read(Path dir) {
        List<String> problems = new ArrayList<>();
        Map<String, CustomOperation> custom = new TreeMap<>();
        List<String> ops = readOps(dir, custom, problems);
        Map<String, List<String>> children = new TreeMap<>();
        for (Path child : entries(dir, problems)) {
            if (Files.isDirectory(child)) {
                children.put(child.getFileName().toString(), readOps(child, new TreeMap<>(), problems));
            }
        }
        return new Supported(ops, Collections.unmodifiableMap(children), Collections.unmodifiableMap(custom),
                List.copyOf(problems));
    }

    private static List<String> readOps(Path dir, Map<String, CustomOperation> custom, List<String> problems) {
        List<String> names = new ArrayList<>();
        for (Path f : entries(dir, problems)) {
            if (!Files.isRegularFile(f)) continue;
            String name = f.getFileName().toString();
            if (!NAME.matcher(name).matches()) {
                problems.add(f + ": not an operation name (letters, digits and _ only)");
                continue;
            }
            try {
                CustomOperation op = parse(name, TomlFiles.read(f));
                names.add(name);
                if (op.executable()) custom.put(name, op);
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        Collections.sort(names);
        return List.copyOf(names);
    }

    private static List<Path> entries(Path dir, List<String> problems) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (out.size() == MAX_ENTRIES) {
                    problems.add(dir + ": more than " + MAX_ENTRIES + " entries, the others are ignored");
                    break;
                }
                out.add(p);
            }
        } catch (IOException e) {
            problems.add(dir + ": " + e.getMessage());
        }
        out.sort(null);
        return out;
    }

    /** The operation of a parsed file ({@code name} is the file name). */
    static CustomOperation parse(String name, JsonNode toml) throws IOException {
        JsonNode exec = toml.get("exec");
        if (exec == null) return new CustomOperation(name, null, null, null, CustomOperation.DEFAULT_TIMEOUT,
                CustomOperation.DEFAULT_FORCEFUL_TIMEOUT);
        if (!exec.isObject()) throw new IOException("operation " + name + ": [exec] must be a table");
        Duration timeout = seconds(name, exec, "timeout", CustomOperation.DEFAULT_TIMEOUT);
        Duration forceful = seconds(name, exec, "forceful_timeout", CustomOperation.DEFAULT_FORCEFUL_TIMEOUT);
        String command = TomlFiles.text(exec, "command");
        if (command != null && command.isBlank()) throw new IOException("operation " + name + ": exec.command is empty");
        return new CustomOperation(name, TomlFiles.text(exec, "topic"), TomlFiles.text(exec, "on_message"), command,
                timeout, forceful);
    }

    private static Duration seconds(String name, JsonNode exec, String key, Duration dflt) throws IOException {
        JsonNode v = exec.get(key);
        if (v == null) return dflt;
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
            throw new IOException("operation " + name + ": exec." + key + " must be a number of seconds, not " + v);
        }
        return Duration.ofSeconds(v.asLong());
    }

    /** Creates an empty operation file (e.g. {@code c8y_Restart}) if there is none. */
    public static boolean ensure(Path dir, String name) throws IOException {
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("not an operation name: " + name);
        Path f = dir.resolve(name);
        if (Files.exists(f)) return false;
        Files.createDirectories(dir);
        try {
            Files.createFile(f);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return false;
        }
        return true;
    }
}
