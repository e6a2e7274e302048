package io.tedge.broker.internal;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;
import io.tedge.api.Topics;
import io.tedge.broker.journal.Journal;
import io.tedge.broker.journal.JournalConsumer;
import io.tedge.broker.mqtt.Broker;

/** The bus over the broker core in this JVM: no socket between components. */
final class EmbeddedBus implements Bus {
    private final Broker broker;
    private final Journal journal;

    EmbeddedBus(Broker broker, Journal journal) {
        this.broker = broker;
        this.journal = journal;
    }

    @Override
    public void publish(String topic, byte[] payload, int qos, boolean retain) throws BusException {
        String err = Topics.checkTopicName(topic);
        if (err != null) throw new BusException(err);
        try {
            broker.publishDurably(topic, payload, qos, retain);
        } catch (IOException e) {
            throw new BusException("Cannot publish on " + topic + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener) {
        return broker.subscribeInternal(filters, listener);
    }

    @Override
    public long backlog(String name) {
        return JournalConsumer.backlog(journal, name);
    }

    @Override
    public DurableConsumer consumer(String name, Collection<String> filters) {
        for (String f : filters) {
            String err = Topics.checkFilter(f);
            if (err != null) throw new IllegalArgumentException(err);
        }
        try {
            return new JournalConsumer(journal, journal.cursor(name, List.copyOf(filters)));
        } catch (IOException e) {
            throw new IllegalStateException("Cannot open cursor " + name + ": " + e.getMessage(), e);
        }
    }
}
