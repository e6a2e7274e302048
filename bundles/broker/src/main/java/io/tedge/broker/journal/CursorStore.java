package io.tedge.broker.journal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cursor files: one small text file (0600) per cursor with its committed position, drop counter,
 * filters (and its name when too long for a file name), replaced atomically (write temp,
 * rename). Commits are stored by a background thread, at most every {@link #MIN_INTERVAL_MS}
 * per cursor and only when they changed: an idle system writes nothing, and a crash may replay
 * a few messages, never skip one.
 */
final class CursorStore {
    private static final Logger LOG = LoggerFactory.getLogger(CursorStore.class);
    static final long MIN_INTERVAL_MS = 200;
    private static final int MAX_FILE_NAME = 120;
    private final Path dir;
    private final Map<String, Cursor> cursors = new ConcurrentHashMap<>();
    private final Thread saver;
    private final Object signal = new Object();
    private boolean pending;
    private volatile boolean stopped;

    CursorStore(Path dir) throws IOException {
        this.dir = dir;
        PrivateFiles.createDirectories(dir);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.cursor")) {
            for (Path p : ds) {
                Cursor c = read(p, decode(p.getFileName().toString().replaceAll("\\.cursor$", "")));
                if (c != null) cursors.put(c.name(), c);
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
                else if (line.startsWith("name=")) name = line.substring(5);
            }
            Cursor c = new Cursor(name, filters, pos, dropped, this);
            c.savedAt = System.currentTimeMillis();
            return c;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Ignoring unreadable cursor file {}: {}", p, e.toString());
            return null;
        }
    }

    /** The cursor, created at startIfNew when missing; stored at once when {@code saveNow}. */
    Cursor load(String name, Collection<String> filters, long startIfNew, boolean saveNow) {
        Cursor c = cursors.computeIfAbsent(name, n -> {
            Cursor nc = new Cursor(n, List.copyOf(filters), startIfNew, 0, this);
            nc.dirty = true;
            return nc;
        });
        c.filters(List.copyOf(filters));
        if (saveNow) save(c);
        else saveSoon(c);
        return c;
    }

    Cursor get(String name) {
        return cursors.get(name);
    }

    void remove(String name) {
        Cursor c = cursors.remove(name);
        if (c == null) return;
        synchronized (this) {
            c.dirty = false;
            try {
                Files.deleteIfExists(file(name));
            } catch (IOException e) {
                LOG.warn("Could not delete cursor file of {}: {}", name, e.toString());
            }
        }
    }

    Collection<Cursor> all() {
        return cursors.values();
    }

    long maxPosition() {
        long m = 0;
        for (Cursor c : cursors.values()) m = Math.max(m, c.committedPosition());
        return m;
    }

    /** Marks the cursor for the background saver. */
    void saveSoon(Cursor c) {
        synchronized (signal) {
            if (!pending) {
                pending = true;
                signal.notifyAll();
            }
        }
    }

    private Path file(String name) {
        String enc = encode(name);
        if (enc.length() > MAX_FILE_NAME) {
            enc = enc.substring(0, 40) + "~" + Integer.toHexString(name.hashCode()) + "-" + Integer.toHexString(name.length());
        }
        return dir.resolve(enc + ".cursor");
    }

    synchronized void save(Cursor c) {
        if (!c.dirty || cursors.get(c.name()) != c) return;
        c.dirty = false;
        c.savedAt = System.currentTimeMillis();
        StringBuilder sb = new StringBuilder();
        sb.append("position=").append(c.committedPosition()).append('\n');
        sb.append("dropped=").append(c.dropped()).append('\n');
        Path target = file(c.name());
        if (!decode(target.getFileName().toString().replaceAll("\\.cursor$", "")).equals(c.name())) {
            sb.append("name=").append(c.name()).append('\n');
        }
        for (String f : c.filters()) sb.append("filter=").append(f).append('\n');
        // an interrupt would close the channel mid-write (ClosedByInterruptException): a component
        // stopping its consumer thread must not lose the cursor, so write with the flag cleared
        boolean interrupted = Thread.interrupted();
        try {
            PrivateFiles.replace(target, sb.toString().getBytes(StandardCharsets.UTF_8), false);
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
                synchronized (signal) {
                    while (!pending && !stopped) signal.wait();
                    pending = false;
                }
                long now = System.currentTimeMillis();
                long wait = 0;
                for (Cursor c : cursors.values()) {
                    if (!c.dirty) continue;
                    long due = c.savedAt + MIN_INTERVAL_MS - now;
                    if (due <= 0) save(c);
                    else wait = wait == 0 ? due : Math.min(wait, due);
                }
                if (wait > 0) {
                    Thread.sleep(wait);
                    synchronized (signal) {
                        pending = true;
                    }
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void stop() {
        stopped = true;
        saver.interrupt();
        try {
            saver.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        saveAll();
    }

    /** File-name safe form of a cursor name. */
    static String encode(String name) {
        StringBuilder sb = new StringBuilder();
        for (char ch : name.toCharArray()) {
            if (Character.isLetterOrDigit(ch) && ch < 128 || ch == '-' || ch == '_' || ch == '.') sb.append(ch);
            else sb.append('%').append(String.format(java.util.Locale.ROOT, "%04x", (int) ch));
        }
        return sb.toString();
    }

    static String decode(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '%' && i + 4 < s.length()) {
                try {
                    sb.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    i += 4;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape
                }
            }
            sb.append(ch);
        }
        return sb.toString();
    }
}
