package io.tedge.broker.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import io.tedge.api.BusMessage;
import io.tedge.api.Topics;
import io.tedge.broker.journal.Cursor;
import io.tedge.broker.journal.Journal;

/**
 * The broker side of one client: its subscriptions and what waits to be sent to it.
 *
 * <p>What is held in memory for a client is bounded by count and bytes (queued and in flight
 * together). Past the bound a QoS 0 message is dropped and counted; a journaled message (QoS 1/2
 * publish) is not copied at all: the session switches to <em>journal mode</em> and later reads
 * the journal from {@link #journalFrom} as the client catches up, so a slow or absent consumer
 * costs disk, not heap. A persistent session (clean session = 0) is in journal mode while its
 * client is away and after a restart, and its journal position is kept in a cursor.
 *
 * <p>Delivery state is guarded by the session's monitor; subscriptions by the broker's route lock.
 */
final class Session extends TopicTree.Subscriber {
    /** A message on its way to the client. */
    static final class Outgoing {
        final BusMessage message;
        final int qos;
        final boolean retain;
        /** In the journal and on this session's way through it: may be re-read after a restart. */
        final boolean journaled;
        final int size;
        int packetId;
        boolean released; // QoS 2: PUBREC received, PUBREL to send
        boolean sent;
        int attempts;
        byte[] topicBytes;

        Outgoing(BusMessage message, int qos, boolean retain, boolean journaled) {
            this.message = message;
            this.qos = qos;
            this.retain = retain;
            this.journaled = journaled && qos > 0 && message.position() >= 0;
            this.size = message.payload().length + message.topic().length() + 64;
        }

        byte[] topic() {
            if (topicBytes == null) topicBytes = message.topic().getBytes(StandardCharsets.UTF_8);
            return topicBytes;
        }
    }

    final String clientId;
    final boolean clean;
    /** filter -> granted QoS; written under the broker's route lock, read through {@link #subscriptions()}. */
    private final Map<String, Integer> subscriptions = new LinkedHashMap<>();
    private volatile Map<String, Integer> snapshot = Map.of();
    /** The cursor of a persistent session. */
    Cursor cursor;

    final ArrayDeque<Outgoing> queue = new ArrayDeque<>(4);
    LinkedHashMap<Integer, Outgoing> inflight;
    Set<Integer> awaitingRelease;
    /** Bytes held for the client: queued and in flight. */
    long heldBytes;
    /** Of heldBytes, the part taken from the broker-wide budget. */
    long budgetBytes;
    Connection connection;
    int nextPacketId = 1;
    long dropped;
    long dropLoggedAt = -Broker.DROP_LOG_MS;
    /** Position of the last journaled message the client acknowledged. */
    long deliveredTo = -1;
    /** Journal mode: the record start from which the journal holds what the session still needs; -1 when live. */
    long journalFrom = -1;

    Session(String clientId, boolean clean) {
        this.clientId = clientId;
        this.clean = clean;
    }

    /** The subscriptions (an immutable snapshot, safe from any thread). */
    Map<String, Integer> subscriptions() {
        return snapshot;
    }

    /** Under the route lock. */
    void subscribe(String filter, int qos) {
        subscriptions.put(filter, qos);
        snapshot = Map.copyOf(subscriptions);
    }

    /** Under the route lock. */
    boolean unsubscribe(String filter) {
        boolean had = subscriptions.remove(filter) != null;
        if (had) snapshot = Map.copyOf(subscriptions);
        return had;
    }

    int subscriptionCount() {
        return subscriptions.size();
    }

    /** Highest granted QoS among the subscriptions that match, or -1 (for reading the journal). */
    int matchQos(String topic) {
        int q = -1;
        for (Map.Entry<String, Integer> e : snapshot.entrySet()) {
            if (e.getValue() > q && Topics.matches(e.getKey(), topic)) q = e.getValue();
        }
        return q;
    }

    LinkedHashMap<Integer, Outgoing> inflight() {
        if (inflight == null) inflight = new LinkedHashMap<>(8);
        return inflight;
    }

    int inflightCount() {
        return inflight == null ? 0 : inflight.size();
    }

    Set<Integer> awaitingRelease() {
        if (awaitingRelease == null) awaitingRelease = new HashSet<>(4);
        return awaitingRelease;
    }

    int allocatePacketId() {
        for (int i = 0; i < 65535; i++) {
            int id = nextPacketId;
            nextPacketId = nextPacketId == 65535 ? 1 : nextPacketId + 1;
            if (inflight == null || !inflight.containsKey(id)) return id;
        }
        throw new IllegalStateException("no free packet id");
    }

    /**
     * Where a restart must read the journal for this session: the oldest journaled message not
     * yet acknowledged by the client, or {@code end} when it has everything. Under this monitor.
     */
    long resumePosition(long end) {
        long resume = end;
        if (journalFrom >= 0) resume = Math.min(resume, journalFrom);
        if (inflight != null) {
            for (Outgoing o : inflight.values()) {
                if (o.journaled) resume = Math.min(resume, Journal.recordStart(o.message));
            }
        }
        for (Outgoing o : queue) {
            if (o.journaled) {
                resume = Math.min(resume, Journal.recordStart(o.message));
                break;
            }
        }
        return resume;
    }
}
