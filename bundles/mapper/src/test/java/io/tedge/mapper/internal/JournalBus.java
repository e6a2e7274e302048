package io.tedge.mapper.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;
import io.tedge.broker.journal.Journal;
import io.tedge.broker.journal.JournalConsumer;
import io.tedge.broker.mqtt.Broker;

/** The real bus of the broker bundle (broker core and journal) in a temporary folder, for tests. */
public final class JournalBus implements Bus, AutoCloseable {
    public final Journal journal;
    public final Broker broker;

    public JournalBus(Path dir) throws IOException {
        journal = Journal.open(dir.resolve("journal"), 16 << 20, false);
        broker = new Broker(journal, dir.resolve("state"), Broker.Settings.defaults());
    }

    @Override
    public void publish(String topic, byte[] payload, int qos, boolean retain) throws BusException {
        try {
            broker.publishDurably(topic, payload, qos, retain);
        } catch (IOException e) {
            throw new BusException(e.getMessage(), e);
        }
    }

    @Override
    public Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener) {
        return broker.subscribeInternal(filters, listener);
    }

    @Override
    public DurableConsumer consumer(String name, Collection<String> filters) {
        try {
            return new JournalConsumer(journal, journal.cursor(name, List.copyOf(filters)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        broker.close();
        journal.close();
    }
}
