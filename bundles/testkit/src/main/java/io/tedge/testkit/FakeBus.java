package io.tedge.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;
import io.tedge.api.Topics;

/**
 * A bus for unit tests: live subscriptions over a list of listeners, synchronous delivery, a
 * record of what was published, and a responder that plays the cloud (its answers to a publish
 * are delivered right after it). Thread-safe: a {@link TestBridge} publishes on it from its MQTT
 * client's thread while the test waits with {@link #awaitPublished}.
 */
public final class FakeBus implements Bus {

    private record Sub(List<String> filters, Consumer<BusMessage> listener) {
    }

    public final List<BusMessage> published = new CopyOnWriteArrayList<>();
    private final List<Sub> subs = new CopyOnWriteArrayList<>();
    private volatile Function<BusMessage, List<BusMessage>> responder = m -> List.of();
    private volatile String failOn;

    /** What the "cloud" answers to each publish. */
    public FakeBus respond(Function<BusMessage, List<BusMessage>> responder) {
        this.responder = responder;
        return this;
    }

    /** Publishing on this topic fails. */
    public FakeBus failOn(String topic) {
        this.failOn = topic;
        return this;
    }

    @Override
    public void publish(String topic, byte[] payload, int qos, boolean retain) throws BusException {
        if (topic.equals(failOn)) throw new BusException("journal full");
        BusMessage m = new BusMessage(topic, payload, qos, retain, -1);
        published.add(m);
        synchronized (published) {
            published.notifyAll();
        }
        deliver(m);
        for (BusMessage answer : responder.apply(m)) deliver(answer);
    }

    private void deliver(BusMessage m) {
        for (Sub s : subs) {
            if (s.filters().stream().anyMatch(f -> Topics.matches(f, m.topic()))) s.listener().accept(m);
        }
    }

    @Override
    public Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener) {
        Sub s = new Sub(List.copyOf(filters), listener);
        subs.add(s);
        return () -> subs.remove(s);
    }

    @Override
    public DurableConsumer consumer(String name, Collection<String> filters) {
        throw new IllegalStateException("this fake bus has no durable consumers");
    }

    public int openSubscriptions() {
        return subs.size();
    }

    /**
     * The first message published on exactly this topic, already or within the timeout; else an
     * AssertionError that lists the topics published.
     */
    public BusMessage awaitPublished(String topic, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (published) {
            while (true) {
                for (BusMessage m : published) {
                    if (m.topic().equals(topic)) return m;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("nothing published on " + topic + " within " + timeout + "; published: "
                            + published.stream().map(BusMessage::topic).toList());
                }
                TimeUnit.NANOSECONDS.timedWait(published, left);
            }
        }
    }

    /** The published messages on a topic. */
    public List<BusMessage> on(String topic) {
        List<BusMessage> out = new ArrayList<>();
        for (BusMessage m : published) {
            if (m.topic().equals(topic)) out.add(m);
        }
        return out;
    }
}
