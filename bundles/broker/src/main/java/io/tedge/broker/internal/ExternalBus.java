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
 */
final class ExternalBus implements Bus, MqttCallbackExtended {
    private static final Logger LOG = LoggerFactory.getLogger(ExternalBus.class);
    private final Journal journal;
    private final Broker local;
    private final MqttClient client;
    private final MqttConnectOptions options;
    private final String uri;

    ExternalBus(Journal journal, Broker local, String host, int port, String clientId) throws MqttException {
        this.journal = journal;
        this.local = local;
        this.uri = "tcp://" + host + ":" + port;
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
        try {
            client.subscribe("#", 2);
        } catch (MqttException e) {
            LOG.warn("Could not subscribe to # on {}: {}", uri, e.getMessage());
        }
    }

    @Override
    public void connectionLost(Throwable cause) {
        LOG.warn("Lost the connection to the external MQTT broker at {}: {}", uri, cause == null ? "?" : cause.toString());
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) throws Exception {
        // journal first (the local broker core appends QoS 1/2), then acknowledge
        local.publishDurably(topic, message.getPayload(), message.getQos(), message.isRetained());
        client.messageArrivedComplete(message.getId(), message.getQos());
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
