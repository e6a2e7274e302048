package io.tedge.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;

import io.tedge.broker.legacy.Broker;
import io.tedge.broker.legacy.BrokerHooks;
import io.tedge.broker.legacy.MqttServer;
import io.tedge.broker.legacy.Packet;

/**
 * What the TLS MQTT cloud stand-ins share ({@link C8yMqttStandIn}, {@link AzMqttStandIn}): a
 * listener on 127.0.0.1 (ephemeral port, kept across {@link #setAvailable} toggles) built on the
 * project's own MQTT server, with a server certificate of a {@link TestPki} and a demanded client
 * certificate; the record of every connect attempt, PUBLISH, SUBSCRIBE and forced close; bounded
 * waits on them; and delivery to one device (the clouds are per-device endpoints: their downstream
 * topics carry no device id).
 *
 * <p>Nothing a device publishes is routed to other clients or kept as retained: the stand-in
 * records it and answers as the cloud would. A message for a device that is not connected, or not
 * yet subscribed to a matching filter, is kept and delivered when it subscribes (or reconnects
 * with a persistent session).
 *
 * <p>TLS: by default the handshake accepts any client certificate and the stand-in judges it at
 * CONNECT (CONNACK 5 when it is not trusted), as the clouds answer "not authorized". With
 * {@link #setRejectUntrustedInTls(boolean) setRejectUntrustedInTls(true)} an untrusted chain
 * fails the TLS handshake instead. A client without any certificate always fails the handshake.
 */
public abstract sealed class CloudMqttStandIn implements AutoCloseable permits C8yMqttStandIn, AzMqttStandIn {

    /** One PUBLISH the stand-in accepted from a device ({@code will}: a last will, sent for it). */
    public record Received(String clientId, String topic, byte[] payload, int qos, boolean retain, boolean dup, boolean will) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            String t = text();
            if (t.length() > 200) t = t.substring(0, 200) + "...(" + payload.length + " bytes)";
            return topic + " [q" + qos + (retain ? " retain" : "") + (dup ? " dup" : "") + (will ? " will" : "") + " from " + clientId
                    + "] '" + t + "'";
        }
    }

    /** A message for a device: {@code delivered} false while it waits for the device. */
    public record Sent(String deviceId, String topic, String payload, boolean delivered) {
    }

    /** One filter of a SUBSCRIBE and the QoS granted (0x80: refused). */
    public record Subscription(String clientId, String deviceId, String filter, int requestedQos, int granted) {
    }

    /**
     * One CONNECT (or, when untrusted chains fail in TLS, one handshake): the CONNACK return code
     * (-1: TLS failure), the certificate's CN and why it was refused.
     */
    public record ConnectAttempt(String clientId, String username, String certificateCn, int returnCode, String reason) {
    }

    /** A connection the stand-in closed because of what the device sent. */
    public record Closure(String clientId, String reason, String topic, int packetSize) {
    }

    /** The verdict on a CONNECT: a CONNACK code and, when accepted, the device id. */
    protected record Decision(int code, String deviceId, String reason) {
        static Decision accept(String deviceId) {
            return new Decision(0, deviceId, null);
        }

        static Decision refuse(int code, String reason) {
            return new Decision(code, null, reason);
        }
    }

    /** One accepted connection. */
    protected static final class Conn {
        final BrokerHooks.Client client;
        final String deviceId;
        final Packet.Connect connect;

        Conn(BrokerHooks.Client client, String deviceId, Packet.Connect connect) {
            this.client = client;
            this.deviceId = deviceId;
            this.connect = connect;
        }

        String clientId() {
            return client.clientId();
        }
    }

    /** Makes the broker close a connection. */
    private static final class CloseConnection extends IOException {
        private static final long serialVersionUID = 1L;

        CloseConnection(String message) {
            super(message);
        }
    }

    private record Pending(String topic, byte[] payload, int qos) {
    }

    protected final LiveTrust trust;
    private final String name;
    private final Broker broker;
    private final SSLContext ssl;
    private volatile MqttServer server;
    private int port;
    private volatile boolean available = true;
    private volatile boolean rejectUntrustedInTls;

    /** Guards every record; never held while calling into the broker. */
    protected final Object lock = new Object();
    private final List<Received> received = new ArrayList<>();
    private final List<Sent> sent = new ArrayList<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final List<ConnectAttempt> attempts = new ArrayList<>();
    private final List<Closure> closures = new ArrayList<>();
    private final Map<BrokerHooks.Client, Conn> connections = new IdentityHashMap<>();
    private int connectCount;
    private int rejectedCount;

    /** Guards the messages waiting for their device; may be held while calling the broker. */
    private final Object pendingLock = new Object();
    private final Map<String, Deque<Pending>> pending = new HashMap<>();
    private final ExecutorService downlink;

    CloudMqttStandIn(String name, TestPki pki, LiveTrust trust) throws IOException {
        this.name = name;
        this.trust = trust;
        this.ssl = TestPki.serverContext(pki.issueServer("localhost"), new Gate());
        this.broker = new Broker(new Hooks(), Broker.Settings.defaults());
        this.downlink = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name + "-downlink");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts the listener on 127.0.0.1 and an ephemeral port. */
    protected final void listen() throws IOException {
        server = MqttServer.start(broker, "127.0.0.1", 0, ssl, true);
        port = server.port();
    }

    // ------------------------------------------------------------------ test API: setup

    public final int port() {
        return port;
    }

    /** {@code 127.0.0.1:<port>}. */
    public final String hostPort() {
        return "127.0.0.1:" + port;
    }

    /** The trust set that decides which client certificates are accepted. */
    public final LiveTrust trust() {
        return trust;
    }

    /** true: an untrusted client chain fails the TLS handshake instead of getting CONNACK 5. */
    public final void setRejectUntrustedInTls(boolean on) {
        rejectUntrustedInTls = on;
    }

    /**
     * false: a cloud outage. The listener is closed (connects are refused) and every client is
     * disconnected. true: listens again on the same port.
     */
    public final synchronized void setAvailable(boolean on) {
        if (on == available) return;
        if (!on) {
            available = false;
            MqttServer s = server;
            server = null;
            if (s != null) s.close();
            dropConnections();
        } else {
            try {
                server = MqttServer.start(broker, "127.0.0.1", port, ssl, true);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot listen again on port " + port, e);
            }
            available = true;
        }
    }

    public final boolean isAvailable() {
        return available;
    }

    /** Closes every client connection (the clients must reconnect); returns how many. */
    public final int dropConnections() {
        int n = 0;
        for (String id : broker.connectedClients()) {
            if (broker.disconnect(id)) n++;
        }
        return n;
    }

    /** Client ids of the device's open connections. */
    protected final List<String> connectedClientIds(String deviceId) {
        synchronized (lock) {
            List<String> out = new ArrayList<>();
            for (Conn c : connections.values()) {
                if (c.deviceId.equals(deviceId)) out.add(c.clientId());
            }
            return out;
        }
    }

    /** Closes one client connection (call with no lock held). */
    protected final boolean disconnectClient(String clientId) {
        return broker.disconnect(clientId);
    }

    /** Closes the connection of one device, if connected. */
    public final boolean disconnect(String deviceId) {
        boolean any = false;
        for (String clientId : clientIdsOf(deviceId)) any |= broker.disconnect(clientId);
        return any;
    }

    @Override
    public void close() {
        MqttServer s = server;
        server = null;
        if (s != null) s.close();
        broker.close();
        downlink.shutdownNow();
        try {
            downlink.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ test API: records

    /** Every PUBLISH accepted from the devices, oldest first. */
    public final List<Received> received() {
        synchronized (lock) {
            return List.copyOf(received);
        }
    }

    /** Everything sent (or waiting to be sent) to the devices, oldest first. */
    public final List<Sent> sent() {
        synchronized (lock) {
            return List.copyOf(sent);
        }
    }

    public final List<Subscription> subscriptions() {
        synchronized (lock) {
            return List.copyOf(subscriptions);
        }
    }

    public final List<ConnectAttempt> connectAttempts() {
        synchronized (lock) {
            return List.copyOf(attempts);
        }
    }

    /** Connections the stand-in closed because of what a device sent (oversize, QoS 2, ...). */
    public final List<Closure> closures() {
        synchronized (lock) {
            return List.copyOf(closures);
        }
    }

    /** Successful connects (CONNACK 0) since start. */
    public final int connectCount() {
        synchronized (lock) {
            return connectCount;
        }
    }

    /** Refused connects (CONNACK other than 0, and TLS rejections of untrusted chains). */
    public final int rejectedCount() {
        synchronized (lock) {
            return rejectedCount;
        }
    }

    /** Device ids with an open connection. */
    public final List<String> connectedDevices() {
        synchronized (lock) {
            List<String> out = new ArrayList<>();
            for (Conn c : connections.values()) {
                if (!out.contains(c.deviceId)) out.add(c.deviceId);
            }
            return out;
        }
    }

    /** The first accepted PUBLISH (already received or arriving in time) that matches. */
    public final Received awaitReceived(Predicate<Received> match, Duration timeout) {
        return await("a PUBLISH that matches", timeout, () -> first(received, match), () -> "received: " + received);
    }

    /** Waits until the device is connected. */
    public final void awaitConnected(String deviceId, Duration timeout) {
        await("device '" + deviceId + "' connected", timeout,
                () -> connections.values().stream().anyMatch(c -> c.deviceId.equals(deviceId)) ? Boolean.TRUE : null,
                () -> "connected: " + connectedDevicesLocked() + ", attempts: " + attempts);
    }

    /** Waits until the device has no open connection. */
    public final void awaitDisconnected(String deviceId, Duration timeout) {
        await("device '" + deviceId + "' disconnected", timeout,
                () -> connections.values().stream().noneMatch(c -> c.deviceId.equals(deviceId)) ? Boolean.TRUE : null,
                () -> "connected: " + connectedDevicesLocked());
    }

    /** Waits until at least n connects have succeeded since start. */
    public final void awaitConnectCount(int n, Duration timeout) {
        await(n + " successful connect(s)", timeout, () -> connectCount >= n ? Boolean.TRUE : null,
                () -> connectCount + " connect(s), attempts: " + attempts);
    }

    /** Waits until the device subscribed to exactly this filter (granted). */
    public final Subscription awaitSubscribed(String deviceId, String filter, Duration timeout) {
        return await("device '" + deviceId + "' subscribed to '" + filter + "'", timeout,
                () -> first(subscriptions, s -> s.deviceId().equals(deviceId) && s.filter().equals(filter) && s.granted() != 0x80),
                () -> "subscriptions: " + subscriptions);
    }

    /** Waits for a closure that matches. */
    public final Closure awaitClosure(Predicate<Closure> match, Duration timeout) {
        return await("a connection closed by the stand-in", timeout, () -> first(closures, match), () -> "closures: " + closures);
    }

    /**
     * Waits (bounded) until {@code probe}, run under the record lock, returns non-null, and
     * returns that; else fails with an AssertionError that shows {@code seen}.
     */
    protected final <T> T await(String what, Duration timeout, Supplier<T> probe, Supplier<String> seen) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (true) {
                T t = probe.get();
                if (t != null) return t;
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new AssertionError(name + ": no " + what + " within " + timeout + "; " + seen.get());
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(name + ": interrupted while waiting for " + what);
                }
            }
        }
    }

    protected static <T> T first(List<T> list, Predicate<? super T> match) {
        for (T t : list) {
            if (match.test(t)) return t;
        }
        return null;
    }

    /** Adds to a record list and wakes the waiters. */
    protected final <T> void record(List<T> list, T item) {
        synchronized (lock) {
            list.add(item);
            lock.notifyAll();
        }
    }

    private List<String> connectedDevicesLocked() {
        List<String> out = new ArrayList<>();
        for (Conn c : connections.values()) out.add(c.clientId());
        return out;
    }

    // ------------------------------------------------------------------ sending to devices

    /**
     * Sends to a device on a topic: at once if it is subscribed to a matching filter, else when it
     * is. Returns whether it was handed to the connection now.
     */
    protected final boolean sendToDevice(String deviceId, String topic, byte[] payload, int qos) {
        boolean now;
        synchronized (pendingLock) {
            flushPendingLocked(deviceId);
            Deque<Pending> q = pending.get(deviceId);
            boolean queuedSameTopic = q != null && q.stream().anyMatch(p -> p.topic().equals(topic));
            now = !queuedSameTopic && deliver(deviceId, topic, payload, qos);
            if (!now) pending.computeIfAbsent(deviceId, k -> new ArrayDeque<>()).add(new Pending(topic, payload, qos));
        }
        record(sent, new Sent(deviceId, topic, new String(payload, StandardCharsets.UTF_8), now));
        return now;
    }

    /** Sends to the device only if it is subscribed now (a reply, or a cloud "only while connected" message). */
    protected final boolean sendIfSubscribed(String deviceId, String topic, byte[] payload, int qos) {
        boolean now = deliver(deviceId, topic, payload, qos);
        record(sent, new Sent(deviceId, topic, new String(payload, StandardCharsets.UTF_8), now));
        return now;
    }

    /** Replies to the client of this connection only (dropped when it is not subscribed). */
    protected final boolean reply(Conn conn, String topic, String payload, int qos) {
        boolean now = broker.publishTo(conn.clientId(), topic, payload.getBytes(StandardCharsets.UTF_8), qos);
        record(sent, new Sent(conn.deviceId, topic, payload, now));
        return now;
    }

    private boolean deliver(String deviceId, String topic, byte[] payload, int qos) {
        for (String clientId : clientIdsOf(deviceId)) {
            if (broker.publishTo(clientId, topic, payload, qos)) return true;
        }
        return false;
    }

    /** Client ids of the device's open connections, else the one it last connected with. */
    private List<String> clientIdsOf(String deviceId) {
        List<String> out = new ArrayList<>();
        synchronized (lock) {
            for (Conn c : connections.values()) {
                if (c.deviceId.equals(deviceId) && !out.contains(c.clientId())) out.add(c.clientId());
            }
            for (int i = attempts.size() - 1; i >= 0 && out.isEmpty(); i--) {
                ConnectAttempt a = attempts.get(i);
                if (a.returnCode() == 0 && deviceIdOf(a.clientId()).equals(deviceId)) out.add(a.clientId());
            }
        }
        return out;
    }

    /** The device id part of a client id (for the last-known lookup of a disconnected device). */
    protected abstract String deviceIdOf(String clientId);

    private void flushPending(String deviceId) {
        synchronized (pendingLock) {
            flushPendingLocked(deviceId);
        }
    }

    private void flushPendingLocked(String deviceId) {
        Deque<Pending> q = pending.get(deviceId);
        if (q == null) return;
        List<String> blocked = new ArrayList<>();
        for (Iterator<Pending> it = q.iterator(); it.hasNext();) {
            Pending p = it.next();
            if (blocked.contains(p.topic())) continue;
            if (deliver(deviceId, p.topic(), p.payload(), p.qos())) {
                it.remove();
                record(sent, new Sent(deviceId, p.topic(), new String(p.payload(), StandardCharsets.UTF_8), true));
            } else {
                blocked.add(p.topic());
            }
        }
        if (q.isEmpty()) pending.remove(deviceId);
    }

    private void flushLater(String deviceId) {
        if (!downlink.isShutdown()) {
            try {
                downlink.execute(() -> flushPending(deviceId));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // closing
            }
        }
    }

    // ------------------------------------------------------------------ cloud behaviour

    /** The verdict on a CONNECT; {@code chain} is the client's certificate chain, leaf first (may be empty). */
    protected abstract Decision authorize(Packet.Connect connect, BrokerHooks.Client client, X509Certificate[] chain);

    /** A connection was accepted (before CONNACK). */
    protected void accepted(Conn conn) {
    }

    /**
     * Why this PUBLISH closes the connection (it is then in {@link #closures()}, not in
     * {@link #received()}), or null to accept it. Called after the packet size check.
     */
    protected String refusal(Conn conn, Packet.Publish publish) {
        return null;
    }

    /** Handles an accepted PUBLISH (already in {@link #received()}); runs on the connection's reader thread. */
    protected abstract void onPublish(Conn conn, Packet.Publish publish);

    /** The whole packet size above which a PUBLISH closes the connection. */
    protected int maxPacketSize() {
        return Integer.MAX_VALUE;
    }

    /** Granted QoS for a subscription, or 0x80. */
    protected int grant(Conn conn, String filter, int requestedQos) {
        return requestedQos;
    }

    private CloseConnection closeConnection(Conn conn, String reason, Packet.Publish p) {
        record(closures, new Closure(conn.clientId(), reason, p.topic(), packetSize(p)));
        return new CloseConnection(reason);
    }

    /** Size of the whole PUBLISH packet, fixed header included. */
    protected static int packetSize(Packet.Publish p) {
        int rem = 2 + p.topic().getBytes(StandardCharsets.UTF_8).length + (p.qos() > 0 ? 2 : 0) + p.payload().length;
        int lenBytes = rem < 128 ? 1 : rem < 16_384 ? 2 : rem < 2_097_152 ? 3 : 4;
        return 1 + lenBytes + rem;
    }

    /** The CN of a certificate's subject, or null. */
    protected static String commonName(X509Certificate cert) {
        try {
            LdapName n = new LdapName(cert.getSubjectX500Principal().getName());
            for (Rdn r : n.getRdns()) {
                if (r.getType().equalsIgnoreCase("CN")) return r.getValue().toString();
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }

    private static X509Certificate[] x509(Certificate[] certs) {
        if (certs == null) return new X509Certificate[0];
        List<X509Certificate> out = new ArrayList<>();
        for (Certificate c : certs) {
            if (c instanceof X509Certificate x) out.add(x);
        }
        return out.toArray(new X509Certificate[0]);
    }

    private final class Hooks implements BrokerHooks {
        @Override
        public int authenticate(Packet.Connect c, Client client) {
            X509Certificate[] chain = x509(client.peerCertificates());
            Decision d = available ? authorize(c, client, chain) : Decision.refuse(3, "the stand-in is unavailable");
            String cn = chain.length > 0 ? commonName(chain[0]) : null;
            Conn conn = d.code() == 0 ? new Conn(client, d.deviceId(), c) : null;
            synchronized (lock) {
                attempts.add(new ConnectAttempt(c.clientId(), c.username(), cn, d.code(), d.reason()));
                if (conn != null) connections.put(client, conn);
                else rejectedCount++;
                lock.notifyAll();
            }
            if (conn != null) accepted(conn);
            return d.code();
        }

        @Override
        public void connected(Client client) {
            Conn conn;
            synchronized (lock) {
                conn = connections.get(client);
                connectCount++;
                lock.notifyAll();
            }
            if (!available) {
                broker.disconnect(client.clientId());
                return;
            }
            if (conn != null) flushLater(conn.deviceId);
        }

        @Override
        public void disconnected(Client client, boolean clean) {
            Conn conn;
            synchronized (lock) {
                conn = connections.remove(client);
                lock.notifyAll();
            }
            if (conn == null || clean || conn.connect.willTopic() == null) return;
            Packet.Publish will = new Packet.Publish(conn.connect.willTopic(), conn.connect.willMessage(), conn.connect.willQos(),
                    conn.connect.willRetain(), false, 0);
            record(received, new Received(client.clientId(), will.topic(), will.payload(), will.qos(), will.retain(), false, true));
            onPublish(conn, will);
        }

        @Override
        public boolean publish(Client client, Packet.Publish p) throws Exception {
            Conn conn;
            synchronized (lock) {
                conn = connections.get(client);
            }
            if (conn == null) throw new IOException("publish from a connection the stand-in does not know");
            String refusal = packetSize(p) > maxPacketSize()
                    ? "oversize: a packet of " + packetSize(p) + " bytes exceeds the limit of " + maxPacketSize()
                    : refusal(conn, p);
            if (refusal != null) throw closeConnection(conn, refusal, p);
            record(received, new Received(conn.clientId(), p.topic(), p.payload(), p.qos(), p.retain(), p.dup(), false));
            onPublish(conn, p);
            return false; // never routed to other clients, never retained
        }

        @Override
        public int subscribe(Client client, String filter, int requestedQos) {
            Conn conn;
            synchronized (lock) {
                conn = connections.get(client);
            }
            int granted = conn == null ? 0x80 : grant(conn, filter, requestedQos);
            record(subscriptions, new Subscription(client.clientId(), conn == null ? null : conn.deviceId, filter, requestedQos, granted));
            if (granted != 0x80 && conn != null) flushLater(conn.deviceId);
            return granted;
        }
    }

    /** Whether a client chain is trusted by {@link #trust}; returns the reason when it is not. */
    protected final String untrusted(X509Certificate[] chain) {
        if (chain.length == 0) return "no client certificate";
        try {
            trust.check(chain);
            return null;
        } catch (CertificateException e) {
            return e.getMessage();
        }
    }

    /** The TLS trust decision: any chain, or (strict) only trusted ones. */
    private final class Gate implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) throw new CertificateException("no client certificate");
            if (!rejectUntrustedInTls) return;
            try {
                trust.check(chain);
            } catch (CertificateException e) {
                synchronized (lock) {
                    attempts.add(new ConnectAttempt(null, null, commonName(chain[0]), -1, "TLS: " + e.getMessage()));
                    rejectedCount++;
                    lock.notifyAll();
                }
                throw e;
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a server does not check server certificates");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return rejectUntrustedInTls ? trust.getAcceptedIssuers() : new X509Certificate[0];
        }
    }
}
