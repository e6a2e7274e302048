package io.tedge.broker.mqtt;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.Topics;
import io.tedge.broker.journal.Cursor;
import io.tedge.broker.journal.Journal;
import io.tedge.broker.journal.JournalReader;
import io.tedge.broker.journal.PrivateFiles;

/**
 * The broker core shared by the MQTT connections and the in-process bus: routing through the
 * {@link TopicTree}, the sessions and what they hold, retained messages, and the state on disk
 * (through {@link SessionStore}, on its own thread).
 *
 * <p>Every publish is routed under one lock, and a QoS 1/2 one is appended to the journal in the
 * same critical section (a memory copy: the journal's writer thread does the I/O), so deliveries
 * follow journal order. Nothing under that lock does file I/O. A publisher is acknowledged only
 * once {@link Journal#end()} is past the returned position.
 */
public final class Broker implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(Broker.class);
    /** The longest client id accepted (CONNACK 2 beyond). */
    public static final int MAX_CLIENT_ID_BYTES = 256;
    /** Subscriptions per client, and in all; beyond, SUBACK 0x80 (failure) for the filter. */
    public static final int MAX_SUBSCRIPTIONS_PER_CLIENT = 10_000;
    public static final int MAX_SUBSCRIPTIONS = 100_000;
    /** Sessions (connected and persistent) in all; beyond, CONNACK 3. */
    public static final int MAX_SESSIONS = 10_000;
    /** Retained messages: topics and bytes. */
    public static final int MAX_RETAINED = 100_000;
    public static final long MAX_RETAINED_BYTES = 16L << 20;
    /** What a client may hold without drawing on the broker-wide budget. */
    static final long GUARANTEED = 64 * 1024;
    static final String CURSOR_PREFIX = "mqtt-session/";
    /** Other clients' traffic a persistent session's cursor skips before it is moved past it. */
    static final long SKIP_COMMIT = 1024 * 1024;
    /** A client's drops are logged at most this often. */
    static final long DROP_LOG_MS = 60_000;

    /** The limits, from tedge.toml's {@code mqtt.*} keys. */
    public record Settings(int maxConnections, int maxQueuedMessages, long maxQueuedBytes, int maxPacketSize, int maxInflight, int ioThreads) {
        public static Settings defaults() {
            return new Settings(1024, 1000, 8L << 20, 1 << 20, 20, 1);
        }

        public Settings withMaxConnections(int n) {
            return new Settings(n, maxQueuedMessages, maxQueuedBytes, maxPacketSize, maxInflight, ioThreads);
        }

        public Settings withQueue(int messages, long bytes) {
            return new Settings(maxConnections, messages, bytes, maxPacketSize, maxInflight, ioThreads);
        }

        public Settings withMaxPacketSize(int n) {
            return new Settings(maxConnections, maxQueuedMessages, maxQueuedBytes, n, maxInflight, ioThreads);
        }
    }

    /** Counters for logs and benchmarks. */
    public record Stats(int sessions, int connected, long heldBytes, long droppedQos0, int subscriptions, int retained) {
    }

    /** What {@link #attach} decided. */
    record Attached(Session session, boolean present, int refusal, long stateVersion) {
    }

    /** What a SUBSCRIBE got: return codes and the state version the SUBACK waits for (0: none). */
    record Subscribed(List<Integer> codes, long stateVersion) {
    }

    final Object routeLock = new Object();
    private final Journal journal;
    private final Settings settings;
    private final TopicTree tree = new TopicTree();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final RetainedStore retained;
    private final InProcessDelivery inProcess;
    private final SessionStore store;
    final MemoryBudget queueBudget;
    final MemoryBudget inboundBudget;
    private final List<Runnable> wakeups = new CopyOnWriteArrayList<>();
    private final Runnable journalListener = this::wakeAll;
    private long droppedQos0;

    public Broker(Journal journal, Path stateDir, Settings settings) throws IOException {
        this.journal = journal;
        this.settings = settings == null ? Settings.defaults() : settings;
        this.queueBudget = MemoryBudget.ofHeap("queued messages", 6, 16L << 20);
        this.inboundBudget = MemoryBudget.ofHeap("incoming packets", 6, 16L << 20);
        PrivateFiles.createDirectories(stateDir);
        this.retained = new RetainedStore(stateDir.resolve("retained"), MAX_RETAINED, Math.min(MAX_RETAINED_BYTES, Runtime.getRuntime().maxMemory() / 6));
        this.inProcess = new InProcessDelivery(Math.max(this.settings.maxQueuedMessages(), 10_000), this.settings.maxQueuedBytes(), queueBudget);
        this.store = new SessionStore(stateDir.resolve("sessions"), this);
        recover();
        journal.addListener(journalListener);
        journal.addTruncation(position -> {
            if (retained.coveredTo < position) saveRetained(); // before the journal drops what the snapshot does not cover
        });
        store.start();
    }

    public Settings settings() {
        return settings;
    }

    public Journal journal() {
        return journal;
    }

    // ------------------------------------------------------------------ publishing

    /**
     * Routes a publish from a client or from inside. A QoS 1/2 message is appended to the
     * journal first; the return value is its position (acknowledge once {@link Journal#end()}
     * reaches it), or -1 for QoS 0.
     *
     * @throws IOException when the journal cannot take the message (the publisher must not be acknowledged)
     */
    public long publish(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        long pos = -1;
        synchronized (routeLock) {
            if (qos > 0) pos = journal.append(topic, payload, qos, retain);
            BusMessage m = new BusMessage(topic, payload, qos, false, pos);
            if (retain) retained.put(m);
            tree.match(topic, (s, q) -> {
                if (s instanceof Session session) deliver(session, m, Math.min(q, qos), false);
                else ((InProcessDelivery.Subscription) s).offer(m);
            });
        }
        return pos;
    }

    /** In-process publish: returns once a QoS 1/2 message is durable in the journal. */
    public void publishDurably(String topic, byte[] payload, int qos, boolean retain) throws IOException {
        long pos = publish(topic, payload, qos, retain);
        if (pos >= 0) journal.flush(pos);
    }

    /** Queues a message for a session, or puts the session in journal mode, or drops a QoS 0 one. */
    private void deliver(Session s, BusMessage m, int qos, boolean retainFlag) {
        Connection c;
        synchronized (s) {
            c = s.connection;
            boolean journaled = m.position() >= 0 && !retainFlag;
            if (c == null) {
                if (s.clean || qos == 0) return; // offline: QoS 0 is not kept
                if (journaled) {
                    if (s.journalFrom < 0) s.journalFrom = Journal.recordStart(m);
                    return;
                }
            } else if (journaled && s.journalFrom >= 0) {
                return; // journal mode: read from the journal in order
            }
            Session.Outgoing o = new Session.Outgoing(m, qos, retainFlag, journaled);
            if (!take(s, o.size)) {
                if (o.journaled) {
                    s.journalFrom = Journal.recordStart(m);
                } else {
                    s.dropped++;
                    if (qos == 0) droppedQos0++;
                    long now = System.currentTimeMillis();
                    if (now - s.dropLoggedAt >= DROP_LOG_MS) { // once per burst, at most once a minute
                        s.dropLoggedAt = now;
                        LOG.warn("Client '{}' does not keep up (mqtt.max_queued_messages = {}, mqtt.max_queued_bytes = {}): dropping its QoS {} messages ({} dropped for it so far)",
                                s.clientId, settings.maxQueuedMessages(), settings.maxQueuedBytes(), qos, s.dropped);
                    }
                }
                return;
            }
            s.queue.add(o);
        }
        if (c != null) c.wake();
    }

    /** Takes room for n bytes for the session (under its monitor). */
    boolean take(Session s, int n) {
        if (s.queue.size() >= settings.maxQueuedMessages() || s.heldBytes + n > settings.maxQueuedBytes()) return false;
        long need = Math.max(0, s.heldBytes + n - GUARANTEED) - s.budgetBytes;
        if (need > 0) {
            if (!queueBudget.tryTake(need)) return false;
            s.budgetBytes += need;
        }
        s.heldBytes += n;
        return true;
    }

    /** Gives back the room of a message that left the session (under its monitor). */
    void giveBack(Session s, int n) {
        s.heldBytes -= n;
        long over = Math.max(0, s.heldBytes - GUARANTEED);
        if (s.budgetBytes > over) {
            queueBudget.give(s.budgetBytes - over);
            s.budgetBytes = over;
        }
    }

    /** What {@link #catchUp} found. */
    enum CatchUp { LIVE, MORE, FULL, AT_END }

    /** What {@link #catchUp} did: where the session stands and how many messages it queued. */
    record Progress(CatchUp state, int added) {
    }

    /**
     * Reads the journal for a session in journal mode, into its queue as far as it has room;
     * runs on the connection's I/O thread, never under the route lock. At the end of the journal
     * the session goes live again.
     */
    Progress catchUp(Session s, Connection c, JournalReader r) throws IOException {
        long from;
        int room;
        synchronized (s) {
            if (s.connection != c || s.journalFrom < 0) return new Progress(CatchUp.LIVE, 0);
            room = settings.maxQueuedMessages() - s.queue.size();
            if (room < Math.max(1, settings.maxQueuedMessages() / 2) || s.heldBytes > settings.maxQueuedBytes() / 2) return new Progress(CatchUp.FULL, 0);
            from = s.journalFrom;
        }
        r.seek(from);
        long pos = Math.max(from, r.position());
        List<Session.Outgoing> batch = new ArrayList<>();
        long bytes = 0;
        boolean atEnd = false;
        while (batch.size() < room && bytes < 256 * 1024) {
            BusMessage m = r.next();
            if (m == null) {
                atEnd = true;
                break;
            }
            int q = s.matchQos(m.topic());
            if (q >= 0) {
                Session.Outgoing o = new Session.Outgoing(m, Math.min(q, m.qos()), false, true);
                batch.add(o);
                bytes += o.size;
            }
            pos = m.position();
        }
        int added = 0;
        synchronized (s) {
            if (s.connection != c || s.journalFrom != from) return new Progress(CatchUp.MORE, 0);
            for (Session.Outgoing o : batch) {
                if (!take(s, o.size)) {
                    pos = Journal.recordStart(o.message);
                    atEnd = false;
                    break;
                }
                s.queue.add(o);
                added++;
            }
            s.journalFrom = pos;
            if (added == 0 && !batch.isEmpty()) return new Progress(CatchUp.FULL, 0);
        }
        if (!atEnd) return new Progress(CatchUp.MORE, added);
        synchronized (routeLock) {
            synchronized (s) {
                if (s.connection == c && s.journalFrom == pos && pos >= journal.appendEnd()) {
                    s.journalFrom = -1;
                    return new Progress(CatchUp.LIVE, added);
                }
            }
        }
        return new Progress(CatchUp.AT_END, added);
    }

    // ------------------------------------------------------------------ sessions

    /** Attaches a connection to its session (creating or resetting it). */
    Attached attach(Connection c, String clientId, boolean clean) {
        Connection previous = null;
        Attached result;
        long version = 0;
        synchronized (routeLock) {
            Session s = sessions.get(clientId);
            if (s != null) {
                synchronized (s) {
                    previous = s.connection;
                    if (previous == c) previous = null;
                    s.connection = null;
                }
            }
            boolean present = s != null && !clean && !s.clean;
            if (s == null || clean || s.clean) {
                if (s != null && !s.clean) version = store.changed();
                if (s != null) discard(s);
                if (sessions.size() >= MAX_SESSIONS) {
                    result = new Attached(null, false, 3, 0);
                    LOG.warn("Refusing client '{}': {} sessions already (connected and persistent)", clientId, MAX_SESSIONS);
                    if (previous != null) previous.takeOver();
                    return result;
                }
                s = new Session(clientId, clean);
                sessions.put(clientId, s);
                if (!clean) {
                    s.cursor = journal.cursorLazily(CURSOR_PREFIX + clientId, List.of(), journal.end());
                    version = store.changed(); // the CONNACK waits until the new session is stored
                }
            }
            synchronized (s) {
                s.connection = c;
                if (s.inflight != null) {
                    for (Session.Outgoing o : s.inflight.values()) o.sent = false; // resent with DUP, before anything new
                }
            }
            result = new Attached(s, present, 0, version);
        }
        if (previous != null) previous.takeOver();
        return result;
    }

    /** Forgets a session (under the route lock). */
    private void discard(Session s) {
        for (String f : s.subscriptions().keySet()) tree.remove(f, s);
        synchronized (s) {
            s.connection = null;
            for (Session.Outgoing o : s.queue) giveBack(s, o.size);
            s.queue.clear();
            if (s.inflight != null) {
                for (Session.Outgoing o : s.inflight.values()) giveBack(s, o.size);
                s.inflight.clear();
            }
        }
        sessions.remove(s.clientId, s);
        if (!s.clean) {
            journal.removeCursor(CURSOR_PREFIX + s.clientId);
            store.changed();
        }
    }

    /** The connection is gone: a clean session is discarded, a persistent one parked in journal mode. */
    void detach(Connection c, Session s) {
        synchronized (routeLock) {
            synchronized (s) {
                if (s.connection != c) return;
                s.connection = null;
                if (!s.clean) {
                    long first = -1;
                    for (Iterator<Session.Outgoing> it = s.queue.iterator(); it.hasNext(); ) {
                        Session.Outgoing o = it.next();
                        if (o.qos == 0 || o.journaled) {
                            if (o.journaled && first < 0) first = Journal.recordStart(o.message);
                            it.remove();
                            giveBack(s, o.size);
                        }
                    }
                    if (first >= 0) s.journalFrom = s.journalFrom < 0 ? first : Math.min(first, s.journalFrom);
                    return;
                }
            }
            discard(s);
        }
    }

    /** Adds subscriptions; the retained messages they match are queued with them. */
    Subscribed subscribe(Session s, Packet.Subscribe sub) {
        List<Integer> codes = new ArrayList<>();
        long version = 0;
        synchronized (routeLock) {
            List<BusMessage> toSend = new ArrayList<>();
            List<Integer> qosOf = new ArrayList<>();
            for (int i = 0; i < sub.filters().size(); i++) {
                String f = sub.filters().get(i);
                int q = Math.min(sub.qos().get(i), 2);
                if (Topics.checkFilter(f) != null) {
                    codes.add(0x80);
                    continue;
                }
                boolean known = s.subscriptions().containsKey(f);
                if (!known && (s.subscriptionCount() >= MAX_SUBSCRIPTIONS_PER_CLIENT || tree.size() >= MAX_SUBSCRIPTIONS)) {
                    LOG.warn("Refusing the subscription of '{}' to {}: at most {} subscriptions per client and {} in all",
                            s.clientId, f, MAX_SUBSCRIPTIONS_PER_CLIENT, MAX_SUBSCRIPTIONS);
                    codes.add(0x80);
                    continue;
                }
                codes.add(q);
                s.subscribe(f, q);
                tree.add(f, s, q);
                for (BusMessage r : retained.all()) {
                    if (Topics.matches(f, r.topic())) {
                        toSend.add(r);
                        qosOf.add(Math.min(q, r.qos()));
                    }
                }
            }
            if (!s.clean) {
                s.cursor.filters(List.copyOf(s.subscriptions().keySet()));
                version = store.changed();
            }
            for (int i = 0; i < toSend.size(); i++) deliver(s, toSend.get(i), qosOf.get(i), true);
        }
        return new Subscribed(codes, version);
    }

    /** Removes subscriptions; returns the state version the UNSUBACK waits for (0: none). */
    long unsubscribe(Session s, Packet.Unsubscribe u) {
        synchronized (routeLock) {
            boolean any = false;
            for (String f : u.filters()) {
                if (s.unsubscribe(f)) {
                    tree.remove(f, s);
                    any = true;
                }
            }
            if (!s.clean && any) {
                s.cursor.filters(List.copyOf(s.subscriptions().keySet()));
                return store.changed();
            }
            return 0;
        }
    }

    /** State version written to disk: responses waiting for a higher one are held back. */
    long savedStateVersion() {
        return store.savedVersion();
    }

    /** The retained message on a topic, or null. */
    public BusMessage retained(String topic) {
        synchronized (routeLock) {
            return retained.get(topic);
        }
    }

    /** The topics that hold a retained message. */
    public List<String> retainedTopics() {
        synchronized (routeLock) {
            List<String> out = new java.util.ArrayList<>(retained.size());
            for (BusMessage m : retained.all()) out.add(m.topic());
            return out;
        }
    }

    public Stats stats() {
        int connected = 0;
        long held = 0;
        for (Session s : sessions.values()) {
            synchronized (s) {
                if (s.connection != null) connected++;
                held += s.heldBytes;
            }
        }
        synchronized (routeLock) {
            return new Stats(sessions.size(), connected, held, droppedQos0, tree.size(), retained.size());
        }
    }

    // ------------------------------------------------------------------ in-process subscribers

    /** A live in-process subscription, delivered on a pooled thread. */
    public Bus.Subscription subscribeInternal(Collection<String> filters, Consumer<BusMessage> listener) {
        for (String f : filters) {
            String err = Topics.checkFilter(f);
            if (err != null) throw new IllegalArgumentException(err);
        }
        List<String> fs = List.copyOf(new java.util.LinkedHashSet<>(filters));
        InProcessDelivery.Subscription sub = inProcess.create(fs, listener);
        synchronized (routeLock) {
            for (String f : fs) tree.add(f, sub, 2);
            for (BusMessage r : retained.all()) {
                if (Journal.matchesAny(fs, r.topic())) sub.offer(r);
            }
        }
        return () -> {
            synchronized (routeLock) {
                for (String f : fs) tree.remove(f, sub);
            }
            sub.close();
        };
    }

    // ------------------------------------------------------------------ waking the I/O threads

    /** Runs when the journal moved or failed, or the state was saved: connections waiting for either look again. */
    void addWakeup(Runnable r) {
        wakeups.add(r);
    }

    void removeWakeup(Runnable r) {
        wakeups.remove(r);
    }

    private void wakeAll() {
        for (Runnable r : wakeups) r.run();
    }

    void stateSaved() {
        wakeAll();
    }

    // ------------------------------------------------------------------ state on disk

    private void recover() {
        long replayFrom = retained.load();
        int persistent = 0;
        Set<String> names = new HashSet<>();
        for (SessionStore.Stored st : store.load()) {
            Session s = new Session(st.clientId(), false);
            for (Map.Entry<String, Integer> e : st.subscriptions().entrySet()) {
                if (Topics.checkFilter(e.getKey()) != null) continue;
                s.subscribe(e.getKey(), e.getValue());
                tree.add(e.getKey(), s, e.getValue());
            }
            String name = CURSOR_PREFIX + st.clientId();
            names.add(name);
            Cursor c = journal.existingCursor(name);
            if (c == null) {
                LOG.warn("Persistent session '{}' had no journal position: it resumes at the end of the journal", st.clientId());
            }
            s.cursor = journal.cursorLazily(name, List.copyOf(s.subscriptions().keySet()), journal.end());
            s.journalFrom = s.cursor.committedPosition();
            sessions.put(s.clientId, s);
            persistent++;
        }
        for (Cursor c : List.copyOf(journal.cursors())) {
            if (c.name().startsWith(CURSOR_PREFIX) && !names.contains(c.name())) journal.removeCursor(c.name());
        }
        // retained QoS 1/2 messages published after the snapshot
        long from = Math.max(replayFrom, journal.start());
        try (JournalReader r = journal.reader(from)) {
            BusMessage m;
            while ((m = r.next()) != null) {
                if (m.retained()) retained.put(new BusMessage(m.topic(), m.payload(), m.qos(), true, m.position()));
            }
        } catch (IOException e) {
            LOG.warn("Could not replay the journal for retained messages: {}", e.toString());
        }
        LOG.info("Broker state: {} retained message(s), {} persistent session(s)", retained.size(), persistent);
    }

    /** The persistent sessions and their subscriptions (for the state thread). */
    List<SessionStore.Stored> persistentSessions() {
        List<SessionStore.Stored> out = new ArrayList<>();
        synchronized (routeLock) {
            for (Session s : sessions.values()) {
                if (!s.clean) out.add(new SessionStore.Stored(s.clientId, s.subscriptions()));
            }
        }
        return out;
    }

    /** Stores the cursors of the persistent sessions (before the sessions file names them). */
    void saveSessionCursors() {
        journal.saveCursors();
    }

    /** Moves each persistent session's cursor to where a restart must read from (memory; saved in the background). */
    void updateCursors() {
        synchronized (routeLock) {
            long end = journal.end();
            for (Session s : sessions.values()) {
                if (s.clean || s.cursor == null) continue;
                long resume;
                long delivered;
                synchronized (s) {
                    resume = s.resumePosition(end);
                    delivered = s.deliveredTo;
                }
                long committed = s.cursor.committedPosition();
                // move (and so rewrite the cursor file) when the client acknowledged something, or
                // far past other traffic; not every few seconds for messages that were not its own
                if (resume < end || delivered > committed || end - committed >= SKIP_COMMIT) s.cursor.commit(resume);
            }
        }
    }

    boolean retainedDue(long now) {
        return retained.due(now);
    }

    /** Writes the retained snapshot (copied under the route lock, written outside it). */
    void saveRetained() {
        byte[] data;
        long covered;
        synchronized (routeLock) {
            if (!retained.dirty) return;
            covered = journal.end();
            try {
                data = retained.snapshot(covered);
            } catch (IOException e) {
                return;
            }
        }
        retained.write(data, covered);
    }

    @Override
    public void close() {
        journal.removeListener(journalListener);
        List<Connection> open = new ArrayList<>();
        for (Session s : sessions.values()) {
            synchronized (s) {
                if (s.connection != null) open.add(s.connection);
            }
        }
        for (Connection c : open) c.takeOver();
        inProcess.shutdown();
        store.close();
        LOG.debug("Broker closed: {}", stats());
    }
}
