package io.tedge.broker.legacy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.tedge.api.BusMessage;

/**
 * The broker side of one client: its subscriptions and what is queued or in flight toward it.
 * Survives disconnects when the client asked for a persistent session (clean session = 0).
 * Delivery state is guarded by the session's monitor; subscriptions by the broker's route lock.
 */
final class Session {
    /** A message on its way to the client. */
    static final class Outgoing {
        final BusMessage message;
        final int qos;
        final boolean retain;
        int packetId;
        boolean released; // QoS 2: PUBREC received, PUBREL sent
        boolean sent;
        int attempts;

        Outgoing(BusMessage message, int qos, boolean retain) {
            this.message = message;
            this.qos = qos;
            this.retain = retain;
        }
    }

    final String clientId;
    volatile boolean clean;
    /** filter -> granted QoS. Written under the broker's route lock. */
    final Map<String, Integer> subscriptions = new LinkedHashMap<>();

    final ArrayDeque<Outgoing> queue = new ArrayDeque<>();
    final LinkedHashMap<Integer, Outgoing> inflight = new LinkedHashMap<>();
    final List<Packet> control = new ArrayList<>();
    final Set<Integer> awaitingRelease = new HashSet<>();
    Connection connection;
    int nextPacketId = 1;
    long dropped;
    /** Where a restart rescans the journal for this session's messages (record start offset). */
    long resumePosition = -1;

    Session(String clientId, boolean clean) {
        this.clientId = clientId;
        this.clean = clean;
    }

    int allocatePacketId() {
        for (int i = 0; i < 65535; i++) {
            int id = nextPacketId;
            nextPacketId = nextPacketId == 65535 ? 1 : nextPacketId + 1;
            if (!inflight.containsKey(id)) return id;
        }
        throw new IllegalStateException("no free packet id");
    }

    /** Highest granted QoS among the subscriptions that match, or -1. Call under route lock. */
    int matchQos(String topic) {
        int q = -1;
        for (Map.Entry<String, Integer> e : subscriptions.entrySet()) {
            if (e.getValue() > q && io.tedge.api.Topics.matches(e.getKey(), topic)) q = e.getValue();
        }
        return q;
    }
}
