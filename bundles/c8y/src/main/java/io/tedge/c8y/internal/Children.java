package io.tedge.c8y.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.tedge.api.BusMessage;

/**
 * The child devices this mapper has registered since it started (an in-memory set, as
 * thin-edge.io's): the first message on behalf of a child is preceded by
 * {@code 101,<child>,<child>,thin-edge.io-child} on {@code c8y/s/us}, which creates it under the
 * device. Bounded: beyond {@value #MAX} children the set is cleared (a child then registers once
 * more, which Cumulocity accepts).
 */
final class Children {
    static final String CHILD_TYPE = "thin-edge.io-child";
    static final int MAX = 10_000;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    /** The 101 message when the child is new (added to {@code out}), nothing otherwise. */
    void register(String child, List<BusMessage> out) {
        if (child == null || registered.contains(child)) return;
        if (registered.size() >= MAX) registered.clear();
        registered.add(child);
        out.add(BusMessage.of(C8yMapper.SMARTREST_UP, SmartRest.line("101", child, child, CHILD_TYPE), 1));
    }

    Set<String> all() {
        return Set.copyOf(registered);
    }
}
