package io.tedge.broker.journal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cursor files: one small text file per cursor ({@code <name>.cursor}) with its committed
 * position, drop counter and filters, replaced atomically (write temp, rename). A commit is
 * stored at once when the last store is older than {@link #MIN_INTERVAL_MS}, else by the next
 * commit, the background saver or close: a crash may replay a few messages, never skip one.
 */
final class CursorStore {
    private static final Logger LOG = LoggerFactory.getLogger(CursorStore.class);
    static final long MIN_INTERVAL_MS = 200;
    private final Path dir;
    private final Map<String, Cursor> cursors = new ConcurrentHashMap<>();
    private final Thread saver;
    private volatile boolean stopped;

    CursorStore(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.cursor")) {
            for (Path p : ds) {
                String name = decode(p.getFileName().toString().replaceAll("\\.cursor$", ""));
                Cursor c = read(p, name);
                if (c != null) cursors.put(name, c);
            }
        }
        saver = new Thread(this::saveLoop, "tedge-journal-cursors");
        saver.setDaemon(true);
        saver.start();
    }

    private Cursor read(Path p, String name) {
        try {
            long pos = 0;
            long dropped = 0;
            List<String> filters = new ArrayList<>();
            for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                if (line.startsWith("position=")) pos = Long.parseLong(line.substring(9).trim());
                else if (line.startsWith("dropped=")) dropped = Long.parseLong(line.substring(8).trim());
                else if (line.startsWith("filter=")) filters.add(line.substring(7));
            }
            return new Cursor(name, filters, pos, dropped, this);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring unreadable cursor file {}: {}", p, e.toString());
            return null;
        }
    }

    Cursor load(String name, Collection<String> filters, long startIfNew) {
        Cursor c = cursors.computeIfAbsent(name, n -> {
            Cursor nc = new Cursor(n, List.copyOf(filters), startIfNew, 0, this);
            nc.dirty = true;
            return nc;
        });
        c.filters(List.copyOf(filters));
        save(c);
        return c;
    }

    Collection<Cursor> all() {
        return cursors.values();
    }

    long maxPosition() {
        long m = 0;
        for (Cursor c : cursors.values()) m = Math.max(m, c.committedPosition());
        return m;
    }

    void saveSoon(Cursor c) {
        if (System.currentTimeMillis() - c.savedAt >= MIN_INTERVAL_MS) save(c);
    }

    synchronized void save(Cursor c) {
        if (!c.dirty) return;
        c.dirty = false;
        c.savedAt = System.currentTimeMillis();
        StringBuilder sb = new StringBuilder();
        sb.append("position=").append(c.committedPosition()).append('\n');
        sb.append("dropped=").append(c.dropped()).append('\n');
        for (String f : c.filters()) sb.append("filter=").append(f).append('\n');
        Path target = dir.resolve(encode(c.name()) + ".cursor");
        Path tmp = dir.resolve(encode(c.name()) + ".cursor.tmp");
        // an interrupt would close the channel mid-write (ClosedByInterruptException): a component
        // stopping its consumer thread must not lose the cursor, so write with the flag cleared
        boolean interrupted = Thread.interrupted();
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            c.dirty = true;
            LOG.warn("Could not store cursor {}: {}", c.name(), e.toString());
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    void saveAll() {
        for (Cursor c : cursors.values()) save(c);
    }

    private void saveLoop() {
        while (!stopped) {
            try {
                Thread.sleep(MIN_INTERVAL_MS * 2);
            } catch (InterruptedException e) {
                return;
            }
            saveAll();
        }
    }

    void stop() {
        stopped = true;
        saver.interrupt();
        saveAll();
    }

    /** File-name safe form of a cursor name. */
    static String encode(String name) {
        StringBuilder sb = new StringBuilder();
        for (char ch : name.toCharArray()) {
            if (Character.isLetterOrDigit(ch) && ch < 128 || ch == '-' || ch == '_' || ch == '.') sb.append(ch);
            else sb.append('%').append(String.format("%04x", (int) ch));
        }
        return sb.toString();
    }

    static String decode(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '%' && i + 4 < s.length()) {
                sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                i += 4;
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }
}
