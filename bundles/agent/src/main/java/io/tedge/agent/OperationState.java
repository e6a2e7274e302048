package io.tedge.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.tedge.agent.internal.TomlFiles;
import io.tedge.json.Json;
import io.tedge.json.ObjectNode;
import io.tedge.json.Toml;

/**
 * The state file of an operation in flight, under {@code <data.path>/agent/}: TOML as
 * thin-edge.io's agent writes it ({@code operation_id = "<id>"}, {@code operation = "<what>"}) plus
 * {@code started} (unix seconds). It is written (atomically) before the operation starts and
 * removed when its final status has been published, so after a stop, a crash or a reboot the
 * files that are left name exactly the operations to report as failed (or, for a restart, to
 * decide). {@code tedge operations} lists them.
 *
 * @param file    the state file
 * @param id      the operation id
 * @param what    what is being done ({@code Restarting}, {@code update}, {@code list}, an operation name)
 * @param started when it started
 */
public record OperationState(Path file, String id, String what, Instant started) {
    /** The folder of the state files in a data folder. */
    public static Path dir(Path dataPath) {
        return dataPath.resolve("agent");
    }

    /** Writes the state atomically. */
    public static OperationState write(Path file, String id, String what, Instant started) throws IOException {
        ObjectNode n = Json.object();
        n.put("operation_id", id);
        n.put("operation", what);
        n.put("started", started.getEpochSecond());
        Files.createDirectories(file.toAbsolutePath().getParent());
        FileOps.writeAtomically(file, Toml.write(n).getBytes(StandardCharsets.UTF_8));
        return new OperationState(file, id, what, started);
    }

    /** The state in a file, or null if there is none; an unreadable file is an IOException. */
    public static OperationState read(Path file) throws IOException {
        if (!Files.exists(file)) return null;
        ObjectNode n = TomlFiles.read(file);
        String id = TomlFiles.text(n, "operation_id");
        String what = TomlFiles.text(n, "operation");
        if (id == null || what == null) throw new IOException(file + " has no operation_id or operation");
        Instant started = n.has("started") ? Instant.ofEpochSecond(n.get("started").asLong()) : Files.getLastModifiedTime(file).toInstant();
        return new OperationState(file, id, what, started);
    }

    /** Removes the file. */
    public void clear() throws IOException {
        Files.deleteIfExists(file);
    }

    /** Every state file in the folder ({@code *-current-operation} and {@code *.operation}), oldest first. */
    public static List<OperationState> list(Path stateDir) throws IOException {
        List<OperationState> out = new ArrayList<>();
        if (!Files.isDirectory(stateDir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(stateDir)) {
            for (Path f : ds) {
                String n = f.getFileName().toString();
                if (!n.endsWith("-current-operation") && !n.endsWith(".operation")) continue;
                try {
                    OperationState s = read(f);
                    if (s != null) out.add(s);
                } catch (IOException e) {
                    out.add(new OperationState(f, "?", "unreadable: " + e.getMessage(), Instant.EPOCH));
                }
            }
        }
        out.sort((a, b) -> a.started().compareTo(b.started()));
        return out;
    }

    /** The kind of operation, from the file name ({@code restart}, {@code software}, or the operation name). */
    public String kind() {
        String n = file.getFileName().toString();
        if (n.endsWith("-current-operation")) return n.substring(0, n.length() - "-current-operation".length());
        int dot = n.indexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
