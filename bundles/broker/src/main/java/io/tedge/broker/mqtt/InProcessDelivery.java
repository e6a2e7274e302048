package io.tedge.broker.mqtt;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.BusMessage;

/**
 * Live in-process subscriptions ({@code Bus.subscribe}): each has a mailbox bounded like an MQTT
 * client's queue (count and bytes, within the broker-wide budget), drained in order by a pooled
 * thread that exists only while there is something to deliver (one per subscription at most). A listener too slow for the flow
 * loses messages (counted, logged once per burst); the others are not held up.
 */
final class InProcessDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(InProcessDelivery.class);
    /** At most this many in-process subscriptions (and so delivery threads) at a time. */
    static final int MAX_SUBSCRIPTIONS = 256;

    private final int maxMessages;
    private final long maxBytes;
    private final MemoryBudget budget;
    private final AtomicInteger count = new AtomicInteger();
    private final ThreadPoolExecutor pool;

    InProcessDelivery(int maxMessages, long maxBytes, MemoryBudget budget) {
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
        this.budget = budget;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, MAX_SUBSCRIPTIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(null, r, "tedge-bus-deliver-" + n.incrementAndGet(), 256 * 1024);
            t.setDaemon(true);
            return t;
        });
    }

    Subscription create(List<String> filters, Consumer<BusMessage> listener) {
        if (count.incrementAndGet() > MAX_SUBSCRIPTIONS) {
            count.decrementAndGet();
            throw new IllegalStateException("too many in-process subscriptions (at most " + MAX_SUBSCRIPTIONS + "): close unused ones");
        }
        return new Subscription(filters, listener);
    }

    void shutdown() {
        pool.shutdownNow();
    }

    /** One in-process subscription and its mailbox. */
    final class Subscription extends TopicTree.Subscriber implements Runnable {
        final List<String> filters;
        private final Consumer<BusMessage> listener;
        private final ArrayDeque<BusMessage> mailbox = new ArrayDeque<>(4);
        private long bytes;
        private boolean scheduled;
        private volatile boolean closed;
        private long dropped;
        private long loggedAt = -Broker.DROP_LOG_MS;

        Subscription(List<String> filters, Consumer<BusMessage> listener) {
            this.filters = filters;
            this.listener = listener;
        }

        private long size(BusMessage m) {
            return m.payload().length + m.topic().length() + 64L;
        }

        /** Queues a message (called under the route lock: memory only). */
        synchronized void offer(BusMessage m) {
            if (closed) return;
            long n = size(m);
            if (mailbox.size() >= maxMessages || bytes + n > maxBytes || !budget.tryTake(n)) {
                dropped++;
                long now = System.currentTimeMillis();
                if (now - loggedAt >= Broker.DROP_LOG_MS) { // once per burst, at most once a minute
                    loggedAt = now;
                    LOG.warn("In-process subscriber {} is too slow: dropping messages beyond {} messages / {} bytes ({} dropped so far)",
                            filters, maxMessages, maxBytes, dropped);
                }
                return;
            }
            mailbox.add(m);
            bytes += n;
            if (!scheduled) {
                scheduled = true;
                try {
                    pool.execute(this);
                } catch (RejectedExecutionException e) {
                    scheduled = false; // shutting down
                }
            }
        }

        @Override
        public void run() {
            while (true) {
                BusMessage m;
                synchronized (this) {
                    m = mailbox.poll();
                    if (m == null || closed) {
                        scheduled = false;
                        return;
                    }
                    long n = size(m);
                    bytes -= n;
                    budget.give(n);
                }
                try {
                    listener.accept(m);
                } catch (RuntimeException e) {
                    LOG.warn("In-process subscriber {} failed on {}: {}", filters, m.topic(), e.toString(), e);
                }
            }
        }

        void close() {
            synchronized (this) {
                if (closed) return;
                closed = true;
                budget.give(bytes);
                bytes = 0;
                mailbox.clear();
            }
            count.decrementAndGet();
        }
    }
}
