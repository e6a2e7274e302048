package io.tedge.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;


/**
 * The log of one operation, {@code <logs.path>/agent/<prefix>-<RFC 3339 time>.log} (thin-edge.io's
 * {@code /var/log/tedge/agent/software-update-…log}): each command with its exit status, stdout and
 * stderr. Bounded: at most {@link #MAX_BYTES} per log, and the newest {@link #KEEP} logs of a
 * prefix are kept.
 */
public final class OperationLog {
    public static final int MAX_BYTES = 1 << 20;
    public static final int KEEP = 10;
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private final Path file;
    private final StringBuilder text = new StringBuilder();

    public OperationLog(Path dir, String prefix, Instant start) {
        this.file = dir.resolve(prefix + "-" + NAME_TIME.format(start.truncatedTo(ChronoUnit.SECONDS)) + ".log");
    }

    public Path file() {
        return file;
    }

    public synchronized void line(String s) {
        if (text.length() < MAX_BYTES) text.append(s).append('\n');
    }

    public void command(List<String> argv, BoundedProcess.Result r) {
        line("----- $ " + String.join(" ", argv));
        line("exit status: " + r.exitCode() + (r.timedOut() ? " (timed out)" : ""));
        line("stdout <<EOF");
        line(r.stdoutText() + (r.stdoutTruncated() ? "\n[truncated]" : "") + "EOF");
        line("stderr <<EOF");
        line(r.stderrText() + (r.stderrTruncated() ? "\n[truncated]" : "") + "EOF");
    }

    /** Writes the log and removes the oldest logs of the same prefix beyond {@link #KEEP}. */
    public synchronized void save() {
        try {
            Files.createDirectories(file.getParent());
            String s = text.length() > MAX_BYTES ? text.substring(0, MAX_BYTES) + "\n[truncated]\n" : text.toString();
            FileOps.writeAtomically(file, s.getBytes(StandardCharsets.UTF_8));
            String name = file.getFileName().toString();
            String prefix = name.substring(0, name.length() - NAME_TIME.format(Instant.EPOCH).length() - ".log".length());
            List<Path> same = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(file.getParent(), prefix + "*.log")) {
                for (Path p : ds) same.add(p);
            }
            same.sort(null); // the names sort by time
            for (int i = 0; i < same.size() - KEEP; i++) Files.deleteIfExists(same.get(i));
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(OperationLog.class).warn("Could not write the operation log {}: {}", file, e.getMessage());
        }
    }
}
