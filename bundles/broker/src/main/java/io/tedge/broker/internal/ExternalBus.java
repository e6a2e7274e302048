package io.tedge.broker.internal;

import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.DurableConsumer;
import io.tedge.api.Topics;
import io.tedge.broker.journal.Journal;
import io.tedge.broker.journal.JournalConsumer;
import io.tedge.broker.mqtt.Broker;

/**
 * The bus over an external MQTT broker (e.g. mosquitto). The agent holds one persistent session
 * (clean session = 0) subscribed to {@code #} with QoS 2 and manual acknowledgements: a QoS 1/2
 * message is acknowledged to the broker only once it is in the local journal, so a crash of the
 * agent makes the broker send it again rather than lose it. Messages are then routed to the
 * in-process subscribers through a broker core without a listener.
 *
 * <p>The retained messages the in-process subscribers get come from the core's store, a copy of
 * the external broker's. MQTT 3.1.1 forwards a live message with retain = 0 and says nothing of a
 * retained message cleared while the agent was away, so the copy is synchronised: after each
 * connect, and before an in-process subscription is added (the subscribe waits for it, up to
 * {@value #SUBSCRIBE_SYNC_MS} ms; one pass serves every subscribe made while the previous one ran),
 * {@code #} is subscribed again (the broker then sends every retained message, retain = 1) and a
 * message of the agent's own on
 * {@code tedge/bus/sync/<client id>/<n>} marks the end of them. A retained message that differs
 * from the copy is routed as a retained publish; one that equals it is not routed again; a topic
 * of the copy the broker did not send was cleared there, and is cleared here by an empty
 * retained QoS 1 publish, which the subscribers see as they would see a live clear.
 */
final class ExternalBus implements Bus, MqttCallbackExtended {
    private static final Logger LOG = LoggerFactory.getLogger(ExternalBus.class);
    private final Journal journal;
    private final Broker local;
    private final MqttClient client;
    private final MqttConnectOptions options;
    private final String uri;
    private final String clientId;
    /** Runs the synchronisations of the retained copy, one at a time. */
    private final java.util.concurrent.ExecutorService syncs;
    private final Object syncLock = new Object();
    private long syncSeq;
    /** The pass in progress (set under syncLock, read on the client's callback thread), or null. */
    private volatile Sync sync;
    /** Completes when the next pass to start ends; null when none was asked for. Under syncLock. */
    private java.util.concurrent.CompletableFuture<Void> next;
    /** How long an in-process subscribe waits for the retained copy to be brought up to date. */
    static final long SUBSCRIBE_SYNC_MS = 5000;

    /** One pass: its end marker, the retained topics the broker sent before it (bounded), its end. */
    private static final class Sync {
        final String marker;
        final java.util.concurrent.CompletableFuture<Void> done;
        final java.util.Set<String> seen = new java.util.HashSet<>();
        boolean overflow;

        Sync(String marker, java.util.concurrent.CompletableFuture<Void> done) {
            this.marker = marker;
            this.done = done;
        }
    }

    ExternalBus(Journal journal, Broker local, String host, int port, String clientId) throws MqttException {
        this.journal = journal;
        this.local = local;
        this.uri = "tcp://" + host + ":" + port;
        this.clientId = clientId;
        this.syncs = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tedge-external-bus-sync");
            t.setDaemon(true);
            return t;
        });
        this.client = new MqttClient(uri, clientId, new MemoryPersistence());
        this.options = new MqttConnectOptions();
        options.setCleanSession(false);
        options.setAutomaticReconnect(true);
        options.setMaxReconnectDelay(5000);
        options.setKeepAliveInterval(30);
        options.setMaxInflight(1000);
        options.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
        client.setManualAcks(true);
        client.setCallback(this);
    }

    /** Connects (retrying in the background when the broker is not up yet). */
    void start() {
        try {
            client.connect(options);
            LOG.info("Connected to the external MQTT broker at {}", uri);
        } catch (MqttException e) {
            LOG.warn("External MQTT broker at {} not reachable yet ({}); retrying in the background", uri, e.getMessage());
            Thread t = new Thread(() -> {
                while (!client.isConnected()) {
                    try {
                        Thread.sleep(2000);
                        client.connect(options);
                        LOG.info("Connected to the external MQTT broker at {}", uri);
                    } catch (InterruptedException ie) {
                        return;
                    } catch (MqttException me) {
                        if (me.getReasonCode() == MqttException.REASON_CODE_CLIENT_CONNECTED) return;
                        LOG.debug("External broker still not reachable: {}", me.getMessage());
                    }
                }
            }, "tedge-external-bus-connect");
            t.setDaemon(true);
            t.start();
        }
    }

    boolean connected() {
        return client.isConnected();
    }

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
        // the pass runs on its own thread, not on this (callback) one: its marker's PUBACK could
        // wait behind the retained messages this thread has to take first
        synchronized (syncLock) {
            Sync cut = sync; // a pass cut by the disconnect never sees its marker: the next one ends it
            sync = null;
            if (next == null) next = new java.util.concurrent.CompletableFuture<>();
            if (cut != null) next.whenComplete((v, e) -> cut.done.complete(null));
            schedule();
        }
    }

    /**
     * Asks for a pass that starts after this call (coalesced: every request made while one pass
     * runs is served by the one pass after it); the future completes when it has ended.
     */
    java.util.concurrent.CompletableFuture<Void> requestSync() {
        synchronized (syncLock) {
            if (next == null) {
                next = new java.util.concurrent.CompletableFuture<>();
                if (sync == null) schedule();
            }
            return next;
        }
    }

    private void schedule() {
        try {
            syncs.execute(this::startSync);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void startSync() {
        Sync s;
        synchronized (syncLock) {
            if (sync != null || next == null || !client.isConnected()) return; // the running pass or the next connect starts it
            s = new Sync(markerPrefix() + (++syncSeq), next);
            next = null;
            sync = s;
        }
        try {
            client.subscribe("#", 2);
            client.publish(s.marker, new byte[0], 1, false);
        } catch (MqttException e) {
            LOG.warn("Could not synchronise the retained messages with {}: {}", uri, e.getMessage());
            synchronized (syncLock) {
                if (sync == s) sync = null;
                if (next != null) schedule();
            }
            s.done.complete(null);
        }
    }

    private String markerPrefix() {
        return "tedge/bus/sync/" + clientId + "/";
    }

    /** The end marker of the running pass arrived: clear what the broker no longer retains. */
    private void endSync(Sync s) throws java.io.IOException {
        synchronized (syncLock) {
            if (sync == s) sync = null;
        }
        if (s.overflow) {
            LOG.warn("More than {} retained messages on {}: the local copy is not pruned", Broker.MAX_RETAINED, uri);
        } else {
            int cleared = 0;
            for (String topic : local.retainedTopics()) {
                if (!s.seen.contains(topic)) {
                    local.publishDurably(topic, new byte[0], 1, true);
                    cleared++;
                }
            }
            if (cleared > 0) LOG.info("{} retained message(s) cleared on {} while the agent was away are cleared here too", cleared, uri);
        }
        synchronized (syncLock) {
            if (next != null) schedule();
        }
        s.done.complete(null);
    }

    @Override
    public void connectionLost(Throwable cause) {
        LOG.warn("Lost the connection to the external MQTT broker at {}: {}", uri, cause == null ? "?" : cause.toString());
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) throws Exception {
        Sync s = sync;
        if (s != null && topic.equals(s.marker)) {
            endSync(s);
        } else if (topic.startsWith(markerPrefix())) {
            // the marker of a pass cut by a disconnect: not for the subscribers
        } else if (!(s != null && message.isRetained() && unchanged(s, topic, message.getPayload()))) {
            // journal first (the local broker core appends QoS 1/2), then acknowledge
            local.publishDurably(topic, message.getPayload(), message.getQos(), message.isRetained());
        }
        client.messageArrivedComplete(message.getId(), message.getQos());
    }

    /** Notes a retained message sent during a pass; true when the local copy already holds it. */
    private boolean unchanged(Sync s, String topic, byte[] payload) {
        if (!s.overflow) {
            s.seen.add(topic);
            if (s.seen.size() > Broker.MAX_RETAINED) {
                s.overflow = true;
                s.seen.clear();
            }
        }
        BusMessage old = local.retained(topic);
        return old != null && java.util.Arrays.equals(old.payload(), payload);
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {
        // publish() waits for its own token
    }

    @Override
    public void publish(String topic, byte[] payload, int qos, boolean retain) throws BusException {
        String err = Topics.checkTopicName(topic);
        if (err != null) throw new BusException(err);
        try {
            MqttMessage m = new MqttMessage(payload);
            m.setQos(qos);
            m.setRetained(retain);
            client.publish(topic, m);
        } catch (MqttException e) {
            throw new BusException("Cannot publish on " + topic + " through " + uri + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Subscription subscribe(Collection<String> filters, Consumer<BusMessage> listener) {
        // the copy may lack what was retained live (forwarded with retain = 0): bring it up to
        // date first, so the retained messages this subscription gets are the broker's
        if (client.isConnected()) {
            try {
                requestSync().get(SUBSCRIBE_SYNC_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                LOG.debug("Retained messages not synchronised with {} within {} ms", uri, SUBSCRIBE_SYNC_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return local.subscribeInternal(filters, listener);
    }

    @Override
    public long backlog(String name) {
        return JournalConsumer.backlog(journal, name);
    }

    @Override
    public DurableConsumer consumer(String name, Collection<String> filters) {
        try {
            return new JournalConsumer(journal, journal.cursor(name, List.copyOf(filters)));
        } catch (IOException e) {
            throw new IllegalStateException("Cannot open cursor " + name + ": " + e.getMessage(), e);
        }
    }

    void close() {
        syncs.shutdownNow();
        try {
            if (client.isConnected()) client.disconnect(2000);
        } catch (MqttException e) {
            LOG.debug("Disconnect from {}: {}", uri, e.getMessage());
        }
        try {
            client.close(true);
        } catch (MqttException e) {
            // closing
        }
    }
}
