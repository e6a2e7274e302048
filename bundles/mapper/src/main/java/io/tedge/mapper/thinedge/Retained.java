package io.tedge.mapper.thinedge;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;

/**
 * The retained messages on the bus that match some filters, as they are now: what a mapper
 * compares with its own state when it starts (thin-edge.io 0.12 reconciles alarms this way).
 */
public final class Retained {
    /** Prefix of the marker topics: a non-retained QoS 0 message that ends a snapshot. */
    public static final String MARKER = "tedge-internal/snapshot/";

    private Retained() {
    }

    /**
     * The retained messages matching the filters: topic to payload, in delivery order. The bus
     * delivers the retained messages of a new subscription first; a marker published after
     * subscribing tells when they are all in. Messages published meanwhile are included (an
     * empty payload removes its topic), so the result is the state at the end of the call.
     *
     * @param bus     the bus
     * @param filters MQTT topic filters
     * @param timeout how long to wait for the marker
     * @return topic to payload
     * @throws Bus.BusException     if the marker cannot be published
     * @throws InterruptedException if interrupted while waiting
     */
    public static Map<String, byte[]> snapshot(Bus bus, List<String> filters, Duration timeout) throws Bus.BusException, InterruptedException {
        String marker = MARKER + UUID.randomUUID();
        Map<String, byte[]> out = new LinkedHashMap<>();
        CountDownLatch done = new CountDownLatch(1);
        List<String> all = new ArrayList<>(filters);
        all.add(marker);
        try (Bus.Subscription sub = bus.subscribe(all, (BusMessage m) -> {
            if (m.topic().equals(marker)) {
                done.countDown();
                return;
            }
            synchronized (out) {
                if (done.getCount() == 0) return;
                if (m.payload().length == 0) out.remove(m.topic());
                else out.put(m.topic(), m.payload());
            }
        })) {
            bus.publish(marker, "end".getBytes(StandardCharsets.UTF_8), 0, false);
            if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new Bus.BusException("the retained messages of " + filters + " did not arrive within " + timeout.toMillis() + " ms");
            }
        }
        synchronized (out) {
            return new LinkedHashMap<>(out);
        }
    }
}
