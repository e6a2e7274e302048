package io.tedge.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import io.tedge.api.CloudConnector.ConnectorException;

/**
 * A request and answer through the cloud, the usual body of {@link CloudConnector#check}: listen
 * on a local topic that the link brings in from the cloud, publish a request on a local topic
 * that the link sends out, and wait for a matching answer, repeating the request a few times.
 *
 * <pre>{@code
 * Optional<BusMessage> answer = ConnectionCheck.on(bus)
 *         .listen("acme/echo/in")                       // bridged in from the cloud
 *         .request("acme/echo/out", "ping")             // bridged out to the cloud
 *         .attempts(3, Duration.ofSeconds(2))
 *         .run(timeout);
 * if (answer.isEmpty()) throw new ConnectorException("Connection check failed: no answer from ACME within 10 s");
 * }</pre>
 *
 * The bridge runtime only runs a check while the link is up, so requests are not queued for a
 * cloud that cannot be reached. Requests are published with QoS 1.
 *
 * @since 1.2
 */
public final class ConnectionCheck {
    /** Accepted answers kept while the check waits; more are dropped (a flood costs its sender). */
    private static final int MAX_ANSWERS = 64;

    private record Publish(String topic, byte[] payload) {
    }

    private final Bus bus;
    private final List<String> filters = new ArrayList<>();
    private Predicate<BusMessage> accept = m -> true;
    private final List<Publish> first = new ArrayList<>();
    private Publish request;
    private int attempts = 1;
    private Duration interval = Duration.ofSeconds(2);

    private ConnectionCheck(Bus bus) {
        this.bus = Objects.requireNonNull(bus, "bus");
    }

    /**
     * A check on this bus.
     *
     * @param bus the bus given to {@link CloudConnector#check}
     * @return a check to configure
     */
    public static ConnectionCheck on(Bus bus) {
        return new ConnectionCheck(bus);
    }

    /**
     * Where answers arrive (subscribed live before anything is sent). May be called more than
     * once.
     *
     * @param filter a local topic filter, wildcards allowed
     * @return this check
     */
    public ConnectionCheck listen(String filter) {
        filters.add(Objects.requireNonNull(filter, "filter"));
        return this;
    }

    /**
     * Which answers count (default: any message on the listened topics).
     *
     * @param predicate true for an answer that proves the connection
     * @return this check
     */
    public ConnectionCheck accept(Predicate<BusMessage> predicate) {
        this.accept = Objects.requireNonNull(predicate, "predicate");
        return this;
    }

    /**
     * A message published once, before the first request (e.g. a registration).
     *
     * @param topic   local topic
     * @param payload UTF-8 text
     * @return this check
     */
    public ConnectionCheck first(String topic, String payload) {
        first.add(new Publish(Objects.requireNonNull(topic, "topic"), payload.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    /**
     * The request, published on every attempt.
     *
     * @param topic   local topic
     * @param payload UTF-8 text
     * @return this check
     */
    public ConnectionCheck request(String topic, String payload) {
        this.request = new Publish(Objects.requireNonNull(topic, "topic"), payload.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /**
     * How often the request is sent.
     *
     * @param count    number of requests, at least 1 (default 1)
     * @param interval time between two requests (default 2 s)
     * @return this check
     */
    public ConnectionCheck attempts(int count, Duration interval) {
        if (count < 1) throw new IllegalArgumentException("at least one attempt");
        this.attempts = count;
        this.interval = Objects.requireNonNull(interval, "interval");
        return this;
    }

    /**
     * Runs the check: subscribes, publishes, and waits for the first accepted answer.
     *
     * @param timeout how long to wait in all
     * @return the answer, or empty when none came in time
     * @throws ConnectorException   when the bus does not take a request
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public Optional<BusMessage> run(Duration timeout) throws ConnectorException, InterruptedException {
        if (filters.isEmpty() || request == null) throw new IllegalStateException("listen(...) and request(...) are needed");
        BlockingQueue<BusMessage> answers = new LinkedBlockingQueue<>(MAX_ANSWERS); // a flood on the answer topic is dropped, not kept
        try (Bus.Subscription sub = bus.subscribe(filters, m -> {
            if (accept.test(m)) answers.offer(m);
        })) {
            for (Publish p : first) publish(p);
            long deadline = System.nanoTime() + timeout.toNanos();
            int sent = 0;
            long next = System.nanoTime();
            while (true) {
                long now = System.nanoTime();
                if (sent < attempts && now - next >= 0) {
                    publish(request);
                    sent++;
                    next = now + interval.toNanos();
                }
                long remaining = deadline - now;
                if (remaining <= 0) break;
                long wait = sent < attempts ? Math.min(remaining, Math.max(next - now, 0)) : remaining;
                BusMessage m = answers.poll(wait, TimeUnit.NANOSECONDS);
                if (m != null) return Optional.of(m);
            }
            return Optional.ofNullable(answers.poll());
        }
    }

    private void publish(Publish p) throws ConnectorException {
        try {
            bus.publish(p.topic(), p.payload(), 1, false);
        } catch (Bus.BusException e) {
            throw new ConnectorException("Connection check failed: cannot publish on " + p.topic() + ": " + e.getMessage(), e);
        }
    }
}
