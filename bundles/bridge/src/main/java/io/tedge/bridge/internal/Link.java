package io.tedge.bridge.internal;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLContext;

import org.eclipse.paho.client.mqttv3.IMqttActionListener;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.BridgeRule;
import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudLink;
import io.tedge.api.DurableConsumer;

/**
 * One running cloud link. Outbound QoS 1/2 messages come from the journal through the durable
 * consumer {@code bridge-<cloud>}; the cursor only moves past a message once the cloud has
 * acknowledged it and everything before it, so a cloud outage, a reconnect, a crash or an update
 * of any bundle only delays messages (at least once, in order). QoS 0 messages are forwarded
 * live while connected, as a mosquitto bridge does. Messages from the cloud are published on the
 * bus under the local prefix. Paho keeps nothing itself (memory persistence, clean session).
 */
final class Link implements MqttCallbackExtended, Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(Link.class);

    /** Runtime settings from the bridge.* keys. */
    record Settings(long initialMs, long maxMs, long jitterMs, int inflight) {
    }

    private static final class Pending {
        final long position;
        volatile boolean acked;

        Pending(long position) {
            this.position = position;
        }
    }

    final String cloud;
    final CloudLink spec;
    private final Bus bus;
    private final SSLContext tls;
    private final Settings settings;
    private final String uri;
    private final Object lock = new Object();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final Backoff backoff;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile MqttAsyncClient client;
    private volatile boolean up;
    private volatile String lastError = "";
    private volatile Instant since = Instant.now();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private volatile long queued = -1;
    private DurableConsumer consumer;
    private Bus.Subscription live;

    Link(String cloud, CloudLink spec, Bus bus, SSLContext tls, Settings settings) {
        this.cloud = cloud;
        this.spec = spec;
        this.bus = bus;
        this.tls = tls;
        this.settings = settings;
        this.uri = "ssl://" + (spec.host().contains(":") ? "[" + spec.host() + "]" : spec.host()) + ":" + spec.port();
        this.backoff = new Backoff(settings.initialMs(), settings.maxMs(), settings.jitterMs());
        this.thread = new Thread(this, "tedge-bridge-" + cloud);
        thread.setDaemon(true);
    }

    /** Local topic filters of the outbound rules. */
    List<String> outboundFilters() {
        Set<String> f = new LinkedHashSet<>();
        for (BridgeRule r : spec.rules()) {
            if (r.outbound()) f.add(r.localFilter());
        }
        return new ArrayList<>(f);
    }

    void start() {
        consumer = bus.consumer("bridge-" + cloud, outboundFilters());
        live = bus.subscribe(outboundFilters(), this::forwardLive);
        publishStatus("connecting");
        thread.start();
    }

    void stop() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (live != null) live.close();
        disconnect();
        if (consumer != null) consumer.close();
        up = false;
        publishStatus("disconnected");
    }

    boolean isUp() {
        return up;
    }

    // ------------------------------------------------------------------ the loop

    @Override
    public void run() {
        while (running) {
            try {
                if (!connect()) {
                    long d = backoff.nextDelay();
                    LOG.info("Link to {} ({}) is down: {}; retrying in {} ms", cloud, uri, lastError, d);
                    sleep(d);
                    continue;
                }
                backoff.reset();
                forwardWhileConnected();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                lastError = e.toString();
                LOG.warn("Link to {}: {}", cloud, e.toString(), e);
                try {
                    sleep(backoff.nextDelay());
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private static void sleep(long ms) throws InterruptedException {
        Thread.sleep(ms);
    }

    private boolean connect() throws InterruptedException {
        disconnect();
        try {
            MqttAsyncClient c = new MqttAsyncClient(uri, spec.clientId(), new MemoryPersistence());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(true);
            o.setKeepAliveInterval(spec.keepAliveSeconds());
            o.setConnectionTimeout(15);
            o.setAutomaticReconnect(false);
            o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            o.setMaxInflight(settings.inflight() + 16);
            o.setSocketFactory(tls.getSocketFactory());
            o.setHttpsHostnameVerificationEnabled(true);
            if (spec.username() != null) o.setUserName(spec.username());
            c.setCallback(this);
            client = c;
            c.connect(o).waitForCompletion(20_000);
            List<String> filters = new ArrayList<>();
            List<Integer> qos = new ArrayList<>();
            for (BridgeRule r : spec.rules()) {
                if (r.inbound()) {
                    filters.add(r.remoteFilter());
                    qos.add(Math.min(r.qos(), spec.maxQos()));
                }
            }
            if (!filters.isEmpty()) {
                c.subscribe(filters.toArray(String[]::new), qos.stream().mapToInt(Integer::intValue).toArray()).waitForCompletion(20_000);
            }
            synchronized (lock) {
                pending.clear();
            }
            consumer.rewind();
            up = true;
            since = Instant.now();
            lastError = "";
            LOG.info("Link to {} is up ({} as {})", cloud, uri, spec.clientId());
            publishStatus("up");
            return true;
        } catch (MqttException e) {
            lastError = describe(e);
            up = false;
            since = Instant.now();
            publishStatus("down");
            disconnect();
            return false;
        }
    }

    static String describe(MqttException e) {
        String base;
        switch (e.getReasonCode()) {
            case MqttException.REASON_CODE_NOT_AUTHORIZED:
            case MqttException.REASON_CODE_FAILED_AUTHENTICATION:
                base = "the cloud refused the connection: not authorized (is the device certificate trusted by the cloud?)";
                break;
            case MqttException.REASON_CODE_INVALID_CLIENT_ID:
                base = "the cloud refused the client id";
                break;
            case MqttException.REASON_CODE_SERVER_CONNECT_ERROR:
                base = "cannot reach the server";
                break;
            case MqttException.REASON_CODE_CLIENT_TIMEOUT:
                base = "timed out";
                break;
            default:
                base = e.getMessage();
        }
        Throwable c = e.getCause();
        while (c != null && c.getCause() != null && c.getCause() != c) c = c.getCause();
        if (c != null && c.getMessage() != null) {
            String m = c.getMessage();
            if (c instanceof javax.net.ssl.SSLException || c instanceof java.security.cert.CertificateException) {
                return "TLS: " + m + " (check the cloud's root certificate path and the device certificate)";
            }
            return base + ": " + m;
        }
        return base;
    }

    private void forwardWhileConnected() throws InterruptedException {
        long lastStatus = System.nanoTime();
        while (running && up && client != null && client.isConnected()) {
            commitAcknowledged();
            int room;
            synchronized (lock) {
                room = settings.inflight() - pending.size();
            }
            if (room <= 0) {
                synchronized (lock) {
                    lock.wait(100);
                }
                continue;
            }
            List<BusMessage> batch = consumer.poll(room, Duration.ofMillis(200));
            for (BusMessage m : batch) {
                if (!send(m)) break;
            }
            if (System.nanoTime() - lastStatus > 5_000_000_000L) {
                lastStatus = System.nanoTime();
                publishStatus("up");
            }
        }
        if (up) {
            up = false;
            since = Instant.now();
            publishStatus("down");
        }
    }

    private BridgeRule ruleFor(String localTopic) {
        for (BridgeRule r : spec.rules()) {
            if (r.toRemote(localTopic) != null) return r;
        }
        return null;
    }

    /** Sends one journaled message; false when the connection broke. */
    private boolean send(BusMessage m) {
        BridgeRule r = ruleFor(m.topic());
        Pending p = new Pending(m.position());
        synchronized (lock) {
            pending.add(p);
        }
        if (r == null) {
            p.acked = true;
            return true;
        }
        if (m.payload().length > spec.maxPayload()) {
            refuse(m);
            p.acked = true;
            return true;
        }
        int qos = Math.min(Math.min(m.qos(), r.qos()), spec.maxQos());
        try {
            MqttAsyncClient c = client;
            if (c == null) return false;
            c.publish(r.toRemote(m.topic()), m.payload(), qos, m.retained() && spec.retainAllowed(), null, new IMqttActionListener() {
                @Override
                public void onSuccess(IMqttToken t) {
                    p.acked = true;
                    sent.incrementAndGet();
                    synchronized (lock) {
                        lock.notifyAll();
                    }
                }

                @Override
                public void onFailure(IMqttToken t, Throwable e) {
                    // the connection is gone: the loop rewinds and sends again from the commit
                }
            });
            if (qos == 0) p.acked = true;
            return true;
        } catch (MqttException e) {
            lastError = describe(e);
            up = false;
            return false;
        }
    }

    private void refuse(BusMessage m) {
        refused.incrementAndGet();
        String err = "Message on " + m.topic() + " (" + m.payload().length + " bytes) is larger than " + cloud + "'s limit of "
                + spec.maxPayload() + " bytes: not sent";
        LOG.warn("{}", err);
        try {
            bus.publish("tedge/errors", err.getBytes(StandardCharsets.UTF_8), 1, false);
        } catch (Bus.BusException e) {
            LOG.warn("Could not publish on tedge/errors: {}", e.getMessage());
        }
    }

    /** Moves the cursor over the acknowledged prefix of what is in flight. */
    private void commitAcknowledged() {
        long last = -1;
        synchronized (lock) {
            while (!pending.isEmpty() && pending.peek().acked) last = pending.poll().position;
        }
        if (last >= 0) consumer.commit(last);
    }

    private void forwardLive(BusMessage m) {
        if (m.qos() != 0 || !up) return; // QoS 1/2 come from the journal; QoS 0 is not kept while down
        BridgeRule r = ruleFor(m.topic());
        MqttAsyncClient c = client;
        if (r == null || c == null) return;
        if (m.payload().length > spec.maxPayload()) {
            refuse(m);
            return;
        }
        try {
            c.publish(r.toRemote(m.topic()), m.payload(), 0, m.retained() && spec.retainAllowed());
            sent.incrementAndGet();
        } catch (MqttException e) {
            LOG.debug("QoS 0 message on {} not forwarded: {}", m.topic(), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ cloud to local

    @Override
    public void connectComplete(boolean reconnect, String serverURI) {
    }

    @Override
    public void connectionLost(Throwable cause) {
        lastError = cause == null ? "connection lost" : "connection lost: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage());
        LOG.warn("Link to {}: {}", cloud, lastError);
        up = false;
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public void messageArrived(String topic, MqttMessage message) throws Exception {
        for (BridgeRule r : spec.rules()) {
            String local = r.toLocal(topic);
            if (local != null) {
                bus.publish(local, message.getPayload(), Math.min(message.getQos(), Math.max(r.qos(), 0)), false);
                received.incrementAndGet();
                return;
            }
        }
    }

    @Override
    public void deliveryComplete(IMqttDeliveryToken token) {
    }

    private void disconnect() {
        MqttAsyncClient c = client;
        client = null;
        if (c == null) return;
        try {
            if (c.isConnected()) c.disconnect(1000).waitForCompletion(2000);
        } catch (MqttException e) {
            try {
                c.disconnectForcibly(100, 100);
            } catch (MqttException ignored) {
                // gone
            }
        }
        try {
            c.close(true);
        } catch (MqttException e) {
            // gone
        }
    }

    // ------------------------------------------------------------------ status

    void publishStatus(String state) {
        long q;
        try {
            q = consumer == null ? 0 : consumer.pending();
        } catch (RuntimeException e) {
            q = -1;
        }
        queued = q;
        String json = "{\"cloud\":\"" + cloud + "\",\"status\":\"" + state + "\",\"endpoint\":\"" + spec.host() + ":" + spec.port()
                + "\",\"since\":\"" + since + "\",\"queued\":" + q + ",\"sent\":" + sent.get() + ",\"received\":" + received.get()
                + ",\"refused\":" + refused.get() + ",\"dropped\":" + (consumer == null ? 0 : consumer.dropped())
                + ",\"last_error\":\"" + escape(lastError) + "\"}";
        try {
            bus.publish(BridgeRuntime.statusTopic(cloud), json.getBytes(StandardCharsets.UTF_8), 1, true);
        } catch (Bus.BusException e) {
            LOG.debug("Could not publish the status of {}: {}", cloud, e.getMessage());
        }
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
                    else sb.append(ch);
                }
            }
        }
        return sb.toString();
    }
}
