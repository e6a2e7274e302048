package io.tedge.broker.mqtt;

import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's state on disk, written by one background thread ({@code tedge-broker-state}) and
 * only when it changed: the persistent sessions and their subscriptions ({@code sessions}, 0600,
 * rewritten after a change, a few milliseconds batched; a SUBACK that changed it is held back
 * until it is written), the sessions' journal positions (their cursors, moved every few seconds
 * while messages flow), and the retained snapshot ({@link RetainedStore}). No file I/O ever
 * happens under the routing lock.
 */
final class SessionStore implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(SessionStore.class);
    static final long CURSOR_PERIOD_MS = 5_000;
    private static final long BATCH_MS = 5;

    /** One persistent session as stored. */
    record Stored(String clientId, Map<String, Integer> subscriptions) {
    }

    private final Path file;
    private final Broker broker;
    private final AtomicLong version = new AtomicLong();
    private volatile long savedVersion;
    private final Thread thread;
    private volatile boolean closed;

    SessionStore(Path file, Broker broker) {
        this.file = file;
        this.broker = broker;
        this.thread = new Thread(this, "tedge-broker-state");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The persistent sessions on disk. */
    List<Stored> load() {
        List<Stored> out = new ArrayList<>();
        try {
            String cur = null;
            Map<String, Integer> subs = null;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.split("\t");
                if (f[0].equals("session") && f.length >= 2) {
                    if (cur != null) out.add(new Stored(cur, subs));
                    cur = URLDecoder.decode(f[1], StandardCharsets.UTF_8);
                    subs = new LinkedHashMap<>();
                } else if (f[0].equals("sub") && f.length >= 3 && cur != null) {
                    subs.put(URLDecoder.decode(f[2], StandardCharsets.UTF_8), Integer.parseInt(f[1]));
                }
            }
            if (cur != null) out.add(new Stored(cur, subs));
        } catch (NoSuchFileException e) {
            // none yet
        } catch (IOException | RuntimeException e) {
            LOG.warn("Persistent sessions file {} is unreadable: {}", file, e.toString());
        }
        return out;
    }

    /** Records a change of the persistent sessions (under the route lock); returns the version a SUBACK waits for. */
    long changed() {
        long v = version.incrementAndGet();
        synchronized (this) {
            notifyAll();
        }
        return v;
    }

    long savedVersion() {
        return savedVersion;
    }

    @Override
    public void run() {
        long nextCursors = System.currentTimeMillis() + CURSOR_PERIOD_MS;
        while (true) {
            boolean stop;
            synchronized (this) {
                long now = System.currentTimeMillis();
                long wait = Math.min(nextCursors - now, 1000);
                if (!closed && version.get() == savedVersion && wait > 0 && !broker.retainedDue(now)) {
                    try {
                        wait(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                stop = closed;
            }
            if (version.get() != savedVersion && !stop) {
                try {
                    Thread.sleep(BATCH_MS); // let a burst of SUBSCRIBEs come in: one write
                } catch (InterruptedException e) {
                    return;
                }
                saveSessions();
            }
            long now = System.currentTimeMillis();
            if (now >= nextCursors) {
                broker.updateCursors();
                nextCursors = now + CURSOR_PERIOD_MS;
            }
            if (broker.retainedDue(now)) broker.saveRetained();
            if (stop) return;
        }
    }

    /** Writes the sessions file if it changed. */
    void saveSessions() {
        long v = version.get();
        if (v == savedVersion) return;
        List<Stored> all = broker.persistentSessions();
        StringBuilder sb = new StringBuilder();
        for (Stored s : all) {
            sb.append("session\t").append(URLEncoder.encode(s.clientId(), StandardCharsets.UTF_8)).append('\n');
            for (Map.Entry<String, Integer> e : s.subscriptions().entrySet()) {
                sb.append("sub\t").append(e.getValue()).append('\t').append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('\n');
            }
        }
        try {
            broker.saveSessionCursors();
            io.tedge.broker.journal.PrivateFiles.replace(file, sb.toString().getBytes(StandardCharsets.UTF_8), false);
            savedVersion = v;
            broker.stateSaved();
        } catch (IOException e) {
            LOG.warn("Could not save the persistent sessions in {}: {} (retrying)", file, e.toString());
            try {
                Thread.sleep(1000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops the thread after a last save of everything. */
    void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        saveSessions();
        broker.updateCursors();
        broker.saveRetained();
    }
}
