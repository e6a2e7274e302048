package io.tedge.agent.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;

import io.tedge.agent.FileOps;

/**
 * The ids of the last {@link #KEEP} requests the agent took, in {@code <data.path>/agent/recent-operations}.
 * The request topics are read through durable cursors, which may hand out a request again after
 * a crash or a reboot (the cursor is saved lazily); a request whose id is here is not run twice
 * (a restart request run twice would reboot the device in a loop).
 */
final class RecentIds {
    static final int KEEP = 64;
    private final Path file;
    private final Deque<String> ids = new ArrayDeque<>();

    RecentIds(Path file) {
        this.file = file;
        try {
            if (Files.exists(file)) {
                for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!l.isBlank()) ids.addLast(l.strip());
                }
            }
        } catch (IOException e) {
            org.slf4j.LoggerFactory.getLogger(RecentIds.class).warn("Cannot read {}: {}", file, e.getMessage());
        }
        while (ids.size() > KEEP) ids.removeFirst();
    }

    synchronized boolean contains(String id) {
        return ids.contains(id);
    }

    /** Records an id (saved before the request is acknowledged). */
    synchronized void add(String id) throws IOException {
        if (id.indexOf('\n') >= 0) return;
        ids.addLast(id);
        while (ids.size() > KEEP) ids.removeFirst();
        Files.createDirectories(file.getParent());
        FileOps.writeAtomically(file, (String.join("\n", ids) + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
