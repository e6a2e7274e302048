package io.tedge.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * What the TLS MQTT cloud stand-ins share ({@link C8yMqttStandIn}, {@link AzMqttStandIn}, or a
 * vendor's own): Debian's mosquitto, started for the stand-in, speaks MQTT with the devices, and a
 * small responder in the test JVM plays the cloud. Nothing of the project's own MQTT code is
 * involved, so a bug in it cannot hide behind the same bug in the stand-in.
 *
 * <p>The mosquitto ({@link Mosquitto}) has two listeners on 127.0.0.1 and ephemeral ports: the
 * devices' TLS listener ({@link #port()}: the server certificate of a {@link TestPki}, and
 * {@code require_certificate true}: a client must present a chain that the {@link LiveTrust}
 * trusts, else the TLS handshake fails), and a plain one that only the stand-in uses (a random
 * password). The trust set is kept in mosquitto's {@code capath} directory: a certificate added to
 * the {@link LiveTrust} is written there and {@code openssl rehash}ed before
 * {@link LiveTrust#add} returns, and mosquitto 2.0 reads that directory at each handshake, so it
 * is trusted from the next connection on. mosquitto keeps what it loaded, so a certificate
 * removed from the trust set makes the stand-in restart its mosquitto on the same ports (the
 * devices are disconnected and reconnect; persistent sessions are kept).
 *
 * <p>The responder (Eclipse Paho) subscribes to everything ({@code #}, and {@code $x/#} for each
 * {@code $x} that begins a filter of the devices' ACL: {@code $iothub/#}, {@code $aws/#}),
 * QoS 2, so every message arrives with the QoS the device sent it) and publishes the cloud's
 * answers. mosquitto's log tells the stand-in what MQTT does not: which client connected with
 * which client id, user name or certificate CN ({@code use_identity_as_username}), its will,
 * its subscriptions, and which client sent each message the responder receives (the log line of
 * each PUBLISH it routes to the responder is paired with the message by packet id). The cloud's
 * own checks that mosquitto cannot make (a client id that is not the certificate's CN, an IoT
 * Hub user name) are made when the log shows the connection: mosquitto has already answered
 * CONNACK 0 then, so the stand-in records the attempt with the code the cloud would have sent
 * and closes the connection at once (a takeover of its client id over the internal listener);
 * what the client published in between is not recorded.
 *
 * <p>The clouds' downstream topics ({@code s/ds}, {@code $iothub/twin/res/...}) carry no device
 * id, and mosquitto has one topic space: a message for a device goes to every device connected
 * to the same stand-in and subscribed to that topic. Use one stand-in per device where that
 * matters. A message for a device that is not connected, or not yet subscribed to a matching
 * filter, is kept and sent when it is.
 *
 * <p>{@link #setAvailable(boolean) setAvailable(false)} stops the mosquitto (connections are
 * refused, every client is disconnected) and {@code setAvailable(true)} starts it again on the
 * same port with its persisted sessions. {@link #close()} stops it for good; so do a JVM
 * shutdown hook and, if the JVM is killed, a watchdog process.
 */
public abstract class CloudMqttStandIn implements AutoCloseable {

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

    /** One filter of a SUBSCRIBE and the QoS mosquitto granted (0x80: refused). */
    public record Subscription(String clientId, String deviceId, String filter, int requestedQos, int granted) {
    }

    /**
     * One connection attempt on the devices' listener. {@code returnCode}: 0 accepted; -1 the TLS
     * handshake failed (no, or an untrusted, client certificate; not TLS at all); else the
     * CONNACK code the cloud would send, for a connection the stand-in closed right after
     * mosquitto's CONNACK 0. {@code username}: as sent, or null where the listener takes the
     * certificate's CN as user name ({@code certificateCn}, null where mosquitto does not say).
     */
    public record ConnectAttempt(String clientId, String username, String certificateCn, int returnCode, String reason) {
    }

    /**
     * A connection closed because of what the device sent. {@code size}: the size mosquitto
     * reported (the payload of a message over {@code message_size_limit}), or -1.
     */
    public record Closure(String clientId, String reason, String topic, int packetSize) {
    }

    /**
     * A CONNECT as mosquitto's log tells it: {@code protocolLevel} 3 (MQTT 3.1), 4 (3.1.1) or 5;
     * {@code username} as sent or, where the listener uses the certificate's CN as user name,
     * null and the CN in {@code certificateCn}.
     */
    public record ConnectInfo(String clientId, String username, String certificateCn, int protocolLevel, boolean cleanSession,
            int keepAlive) {
    }

    /** The verdict on a CONNECT: a CONNACK code and, when accepted, the device id. */
    protected record Decision(int code, String deviceId, String reason) {
        public static Decision accept(String deviceId) {
            return new Decision(0, deviceId, null);
        }

        public static Decision refuse(int code, String reason) {
            return new Decision(code, null, reason);
        }
    }

    /**
     * One line of the devices' ACL (a mosquitto {@code pattern} line): a topic filter in which
     * {@code %c} stands for the client id and {@code %u} for the user name (or, where the listener
     * uses it as user name, the certificate's CN), readable and/or writable by a device.
     */
    public record Acl(String filter, boolean read, boolean write) {
        /** A device may subscribe to and receive the topics of this filter. */
        public static Acl read(String filter) {
            return new Acl(filter, true, false);
        }

        /** A device may publish on the topics of this filter. */
        public static Acl write(String filter) {
            return new Acl(filter, false, true);
        }

        /** A device may publish, subscribe and receive on the topics of this filter. */
        public static Acl readWrite(String filter) {
            return new Acl(filter, true, true);
        }

        String line() {
            return "pattern " + (read && write ? "readwrite" : read ? "read" : "write") + " " + filter;
        }
    }

    /** One connection on the devices' listener (or, internally, the responder's and takeovers'). */
    protected static final class Conn {
        final ConnectInfo connect;
        final String deviceId;
        final boolean internal;
        final boolean refused;
        private String willTopic;
        private long willLength;
        private int willQos;
        private boolean willRetain;
        private boolean sentDisconnect;

        Conn(ConnectInfo connect, String deviceId, boolean internal, boolean refused) {
            this.connect = connect;
            this.deviceId = deviceId;
            this.internal = internal;
            this.refused = refused;
        }

        public String clientId() {
            return connect.clientId();
        }

        public String deviceId() {
            return deviceId;
        }

        public ConnectInfo connect() {
            return connect;
        }
    }

    /** A message mosquitto routed (to the responder, among others), and who sent it. */
    private record Routed(Conn from, MosquittoLog.Publish publish, boolean own, boolean will) {
    }

    /** The source of one message the responder gets, paired by packet id (QoS 1/2) or order (QoS 0). */
    private record Delivery(Routed routed, MosquittoLog.Publish sent) {
    }

    private record Pending(String topic, byte[] payload, int qos) {
    }

    private static final String INTERNAL_USER = "testkit-internal";
    private static final int MAX_ROUTED = 100_000;
    private static final long POLICY_CLOSE_DELAY_MS = 200;
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final SecureRandom RANDOM = new SecureRandom();

    protected final LiveTrust trust;
    private final String name;
    private final Path dir;
    private final Path trustDir;
    private final String password = HexFormat.of().formatHex(randomBytes(16));
    private final String responderId = "testkit-responder-" + HexFormat.of().formatHex(randomBytes(4));
    private final TestPki.Issued serverIdentity;
    private final Runnable trustListener;

    // lifecycle: guarded by this
    private Mosquitto broker;
    private MqttAsyncClient responder;
    private int port;
    private int internalPort;
    private volatile boolean available;
    private volatile boolean closed;
    private final Set<X509Certificate> trustedInDir = new LinkedHashSet<>();

    /** Guards every record and what the log tells; the log thread holds it for each line. */
    protected final Object lock = new Object();
    private final List<Received> received = new ArrayList<>();
    /**
     * How many of {@link #received} the cloud's own handling ({@link #onPublish}: SmartREST lines,
     * measurements, answers) has finished with. {@link #awaitReceived} returns only those, so a
     * test that waits for a message and then reads what the handling recorded sees it.
     */
    private int handled;
    private final List<Sent> sent = new ArrayList<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private final List<ConnectAttempt> attempts = new ArrayList<>();
    private final List<Closure> closures = new ArrayList<>();
    private int connectCount;
    private int rejectedCount;
    private final Map<Integer, Integer> socketListener = new HashMap<>();
    private final Map<String, Conn> links = new LinkedHashMap<>();
    private final Map<String, Map<String, Integer>> sessionSubs = new HashMap<>();
    private Conn lastConnected;
    private String lastTlsError;
    private final Deque<Routed> routed = new ArrayDeque<>();
    private final List<Routed> wills = new ArrayList<>();
    private final Map<String, Routed> qos2 = new HashMap<>();
    private final Map<Integer, Delivery> byMid = new HashMap<>();
    private final Deque<Delivery> qos0 = new ArrayDeque<>();
    private final Map<String, Conn> lastPublisher = new java.util.concurrent.ConcurrentHashMap<>();
    /** The cloud's registry: device id -> its certificate, or null for one a CA of the trust issued. */
    private final Map<String, X509Certificate> registry = new HashMap<>();
    private final MosquittoLog log;

    /** Guards the messages waiting for their device. */
    private final Object pendingLock = new Object();
    private final Map<String, Deque<Pending>> pending = new HashMap<>();
    private final ThreadPoolExecutor downlink;
    private final ScheduledThreadPoolExecutor control;

    /**
     * A stand-in called {@code name} (in thread names and messages) whose server certificate is
     * issued by {@code pki} and that trusts the client certificates of {@code trust}; call
     * {@link #listen()} to start it.
     */
    protected CloudMqttStandIn(String name, TestPki pki, LiveTrust trust) throws IOException {
        this.name = name;
        this.trust = trust;
        this.serverIdentity = pki.issueServer("localhost");
        this.dir = Files.createTempDirectory("testkit-" + name + "-");
        this.trustDir = Files.createDirectories(dir.resolve("trusted"));
        this.log = new MosquittoLog(new LogEvents());
        this.downlink = executor(name + "-downlink");
        this.control = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name + "-control");
            t.setDaemon(true);
            return t;
        });
        this.trustListener = trust.onChange(t -> trustChanged());
    }

    private static ThreadPoolExecutor executor(String name) {
        ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(100_000), r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        return e;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    // ------------------------------------------------------------------ what a cloud defines

    /** The device id of an accepted connection, or a refusal (see {@link Decision}). Called with {@link #lock} held. */
    protected abstract Decision authorize(ConnectInfo connect);

    /** The device id part of a client id (for the last-known lookup of a disconnected device). */
    protected abstract String deviceIdOf(String clientId);

    /** Handles an accepted PUBLISH (already in {@link #received()}), on the responder's thread. */
    protected abstract void onPublish(Conn conn, Received message, int packetId);

    /** The devices' ACL: what a device may publish and receive. */
    protected abstract List<Acl> deviceAcl();

    /** mosquitto settings for the whole broker ({@code max_packet_size 16184}, ...). */
    protected List<String> brokerSettings() {
        return List.of();
    }

    /** mosquitto settings of the devices' listener ({@code max_qos 1}, ...). */
    protected List<String> listenerSettings() {
        return List.of();
    }

    /** true: the devices' listener uses the certificate's CN as user name ({@code use_identity_as_username}). */
    protected boolean usernameIsCertificateCn() {
        return false;
    }

    /** A connection was accepted. Called with {@link #lock} held: do not block. */
    protected void accepted(Conn conn) {
    }

    /** The ACL refused a PUBLISH of this connection (mosquitto acknowledged it and dropped it). Lock held. */
    protected void denied(Conn conn, String topic, int qos, long length) {
    }

    /** mosquitto dropped a message over {@code message_size_limit}. Lock held. */
    protected void tooLarge(Conn conn, String topic, long length) {
    }

    /** mosquitto closed the connection: a PUBLISH with a QoS over the listener's {@code max_qos}. Lock held. */
    protected void qosTooHigh(Conn conn) {
    }

    // ------------------------------------------------------------------ lifecycle

    /** Starts mosquitto on 127.0.0.1 and ephemeral ports, and the responder. */
    protected final synchronized void listen() throws IOException {
        writeFixedFiles();
        syncTrustDir();
        IOException last = null;
        for (int i = 0; i < 5 && broker == null; i++) {
            port = Mosquitto.freePort();
            internalPort = Mosquitto.freePort();
            if (internalPort == port) continue;
            try {
                startBroker();
            } catch (IOException e) {
                last = e;
            }
        }
        if (broker == null) {
            close();
            throw last != null ? last : new IOException(name + ": no free ports");
        }
        available = true;
    }

    private void writeFixedFiles() throws IOException {
        TestPki.write(dir.resolve("server.pem"), serverIdentity.chainPem());
        TestPki.write(dir.resolve("server.key"), serverIdentity.keyPem());
        TestPki.write(dir.resolve("internal.passwd"), INTERNAL_USER + ":" + passwordHash(password) + "\n");
        StringBuilder internal = new StringBuilder("user " + INTERNAL_USER + "\n");
        for (String f : responderFilters()) internal.append("topic readwrite ").append(f).append('\n');
        TestPki.write(dir.resolve("internal.acl"), internal.toString());
        StringBuilder acl = new StringBuilder();
        for (Acl a : deviceAcl()) acl.append(a.line()).append('\n');
        TestPki.write(dir.resolve("device.acl"), acl.toString());
        Files.createDirectories(dir.resolve("data"));
    }

    private String config() {
        List<String> c = new ArrayList<>();
        c.add("# " + name + ": written by the tedge testkit");
        c.add("user " + System.getProperty("user.name")); // root stays root (mosquitto would switch to 'mosquitto'); others are not switched
        c.add("per_listener_settings true");
        c.add("persistence true");
        c.add("persistence_location " + dir.resolve("data") + "/");
        c.add("log_dest stderr");
        c.add("log_type all");
        c.add("log_timestamp false");
        c.add("connection_messages true");
        c.add("max_inflight_messages 0"); // send at once: the responder sees messages in the order they were routed
        c.add("max_queued_messages " + MAX_ROUTED);
        c.add("queue_qos0_messages true");
        c.addAll(brokerSettings());
        c.add("listener " + port + " 127.0.0.1");
        c.add("protocol mqtt");
        c.add("certfile " + dir.resolve("server.pem"));
        c.add("keyfile " + dir.resolve("server.key"));
        c.add("capath " + trustDir);
        c.add("require_certificate true");
        c.add("allow_anonymous true"); // the client certificate is the credential
        if (usernameIsCertificateCn()) c.add("use_identity_as_username true");
        c.add("acl_file " + dir.resolve("device.acl"));
        c.addAll(listenerSettings());
        c.add("listener " + internalPort + " 127.0.0.1");
        c.add("protocol mqtt");
        c.add("allow_anonymous false");
        c.add("password_file " + dir.resolve("internal.passwd"));
        c.add("acl_file " + dir.resolve("internal.acl"));
        return String.join("\n", c) + "\n";
    }

    private void startBroker() throws IOException {
        Path conf = TestPki.write(dir.resolve("mosquitto.conf"), config());
        synchronized (lock) {
            // what was on its way to the responder of the last broker is gone or comes again (QoS 1/2, with DUP)
            qos0.clear();
            byMid.clear();
        }
        Mosquitto m = Mosquitto.start(name, conf, this::logLine, WAIT);
        try {
            connectResponder();
        } catch (IOException e) {
            m.close();
            throw e;
        }
        broker = m;
    }

    private void connectResponder() throws IOException {
        try {
            if (responder == null) {
                responder = new MqttAsyncClient("tcp://127.0.0.1:" + internalPort, responderId, new MemoryPersistence());
                responder.setCallback(new Responder());
            }
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(false);
            o.setUserName(INTERNAL_USER);
            o.setPassword(password.toCharArray());
            o.setKeepAliveInterval(60);
            o.setMaxInflight(10_000);
            o.setConnectionTimeout((int) WAIT.toSeconds());
            o.setAutomaticReconnect(false);
            IMqttToken t = responder.connect(o);
            t.waitForCompletion(WAIT.toMillis());
            if (!t.getSessionPresent()) {
                List<String> filters = responderFilters();
                int[] qos = new int[filters.size()];
                java.util.Arrays.fill(qos, 2);
                responder.subscribe(filters.toArray(String[]::new), qos).waitForCompletion(WAIT.toMillis());
            }
        } catch (MqttException e) {
            throw new IOException(name + ": the responder cannot connect to its mosquitto: " + e, e);
        }
    }

    /**
     * What the responder subscribes to and may publish on: {@code #}, which matches no topic that
     * begins with {@code $}, and {@code $x/#} for each {@code $x} that begins an ACL filter.
     */
    private List<String> responderFilters() {
        Set<String> out = new LinkedHashSet<>();
        out.add("#");
        for (Acl a : deviceAcl()) {
            String f = a.filter();
            if (f.startsWith("$")) out.add((f.indexOf('/') < 0 ? f : f.substring(0, f.indexOf('/'))) + "/#");
        }
        return List.copyOf(out);
    }

    private void stopBroker() {
        Mosquitto m = broker;
        broker = null;
        if (m == null) return;
        try {
            if (responder != null && responder.isConnected()) responder.disconnect(0).waitForCompletion(5000);
        } catch (MqttException e) {
            // it is going away anyway
        }
        m.close(); // every line it logged has been handled when this returns
        synchronized (lock) {
            for (Conn c : links.values()) {
                if (c.connect.cleanSession()) sessionSubs.remove(c.clientId());
            }
            links.clear();
            socketListener.clear();
            lock.notifyAll();
        }
    }

    /** Stops mosquitto and starts it again on the same ports (a removed certificate is then no longer trusted). */
    private synchronized void restart() {
        if (broker == null || closed) return;
        stopBroker();
        startAgain();
    }

    private void startAgain() {
        IOException last = null;
        for (int i = 0; i < 20; i++) {
            try {
                startBroker();
                return;
            } catch (IOException e) {
                last = e;
                try {
                    Thread.sleep(250); // the port of a stopped broker can take a moment to be free
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new UncheckedIOException(name + ": cannot start mosquitto again on port " + port, last);
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

    /** The folder of this stand-in's mosquitto: its config, certificates, ACLs and persistence. */
    public final Path directory() {
        return dir;
    }

    /** The last lines mosquitto logged (for a failing test's message). */
    public final synchronized List<String> brokerLog(int lines) {
        return broker == null ? List.of() : broker.logTail(lines);
    }

    /**
     * false: a cloud outage. mosquitto stops (connections are refused) and every client is
     * disconnected. true: mosquitto starts again on the same port, with its sessions.
     */
    public final synchronized void setAvailable(boolean on) {
        if (closed || on == available) return;
        if (!on) {
            available = false;
            stopBroker();
        } else {
            startAgain();
            available = true;
        }
    }

    public final boolean isAvailable() {
        return available;
    }

    /** Closes every device connection (the clients must reconnect); returns how many. */
    public final int dropConnections() {
        List<String> ids = new ArrayList<>();
        synchronized (lock) {
            for (Conn c : links.values()) {
                if (!c.internal && !c.refused) ids.add(c.clientId());
            }
        }
        for (String id : ids) kick(id);
        return ids.size();
    }

    /** Client ids of the device's open connections. */
    protected final List<String> connectedClientIds(String deviceId) {
        synchronized (lock) {
            List<String> out = new ArrayList<>();
            for (Conn c : links.values()) {
                if (!c.internal && !c.refused && c.deviceId.equals(deviceId)) out.add(c.clientId());
            }
            return out;
        }
    }

    /** Closes one client connection: a takeover of its client id (its persistent session stays). */
    protected final void disconnectClient(String clientId) {
        kick(clientId);
    }

    /** Closes the connection of one device, if connected; returns whether it was. */
    public final boolean disconnect(String deviceId) {
        List<String> ids = connectedClientIds(deviceId);
        for (String id : ids) kick(id);
        return !ids.isEmpty();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        available = false;
        trustListener.run();
        downlink.shutdownNow();
        control.shutdownNow();
        stopBroker();
        if (responder != null) {
            try {
                responder.close(true);
            } catch (MqttException e) {
                // closing
            }
        }
        deleteTree(dir);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temporary folder
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

    /** Connections closed because of what a device sent (oversize, QoS 2, ...). */
    public final List<Closure> closures() {
        synchronized (lock) {
            return List.copyOf(closures);
        }
    }

    /** Successful connects since start. */
    public final int connectCount() {
        synchronized (lock) {
            return connectCount;
        }
    }

    /** Refused connects: TLS failures and connections closed for a reason of the cloud's. */
    public final int rejectedCount() {
        synchronized (lock) {
            return rejectedCount;
        }
    }

    /** Device ids with an open connection. */
    public final List<String> connectedDevices() {
        synchronized (lock) {
            List<String> out = new ArrayList<>();
            for (Conn c : links.values()) {
                if (!c.internal && !c.refused && !out.contains(c.deviceId)) out.add(c.deviceId);
            }
            return out;
        }
    }

    /** The first accepted PUBLISH (already received or arriving in time) that matches. */
    public final Received awaitReceived(Predicate<Received> match, Duration timeout) {
        return await("PUBLISH that matches", timeout, () -> first(received.subList(0, handled), match), () -> "received: " + received);
    }

    /** The first connection attempt (made or arriving in time) that matches. */
    public final ConnectAttempt awaitConnectAttempt(Predicate<ConnectAttempt> match, Duration timeout) {
        return await("connection attempt that matches", timeout, () -> first(attempts, match), () -> "attempts: " + attempts);
    }

    /** Waits until the device is connected. */
    public final void awaitConnected(String deviceId, Duration timeout) {
        await("device '" + deviceId + "' connected", timeout, () -> isConnected(deviceId) ? Boolean.TRUE : null,
                () -> "connected: " + connectedDevicesLocked() + ", attempts: " + attempts);
    }

    /** Waits until the device has no open connection. */
    public final void awaitDisconnected(String deviceId, Duration timeout) {
        await("device '" + deviceId + "' disconnected", timeout, () -> isConnected(deviceId) ? null : Boolean.TRUE,
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
                () -> first(subscriptions, s -> deviceId.equals(s.deviceId()) && s.filter().equals(filter) && s.granted() != 0x80),
                () -> "subscriptions: " + subscriptions);
    }

    /** Waits for a closure that matches. */
    public final Closure awaitClosure(Predicate<Closure> match, Duration timeout) {
        return await("connection closed by the stand-in", timeout, () -> first(closures, match), () -> "closures: " + closures);
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

    /** Records a connection the stand-in closes because of what the device sent. */
    protected final void recordClosure(Closure c) {
        record(closures, c);
    }

    /**
     * Records a {@link Closure} ({@code topic} and {@code length}: of the message refused, or null
     * and -1) and closes the connection for the cloud's reasons ({@link #closeForCloudReasons(Conn)}).
     */
    protected final void closeForCloudReasons(Conn conn, String reason, String topic, long length) {
        recordClosure(new Closure(conn.clientId(), reason, topic, (int) Math.min(length, Integer.MAX_VALUE)));
        closeForCloudReasons(conn);
    }

    /** Adds to a record list and wakes the waiters. */
    protected final <T> void record(List<T> list, T item) {
        synchronized (lock) {
            list.add(item);
            lock.notifyAll();
        }
    }

    private boolean isConnected(String deviceId) {
        for (Conn c : links.values()) {
            if (!c.internal && !c.refused && c.deviceId.equals(deviceId)) return true;
        }
        return false;
    }

    private List<String> connectedDevicesLocked() {
        List<String> out = new ArrayList<>();
        for (Conn c : links.values()) {
            if (!c.internal && !c.refused) out.add(c.clientId());
        }
        return out;
    }

    // ------------------------------------------------------------------ sending to devices

    /**
     * Sends to a device on a topic: now if it is connected and subscribed to a matching filter
     * it may read, else when it is. Returns whether it went out now.
     */
    protected final boolean sendToDevice(String deviceId, String topic, byte[] payload, int qos) {
        boolean now;
        synchronized (pendingLock) {
            Deque<Pending> q = pending.get(deviceId);
            boolean queuedSameTopic = q != null && q.stream().anyMatch(p -> p.topic().equals(topic));
            now = !queuedSameTopic && deliverable(deviceId, topic);
            if (now) publish(topic, payload, qos, false, deviceId);
            else pending.computeIfAbsent(deviceId, k -> new ArrayDeque<>()).add(new Pending(topic, payload, qos));
        }
        record(sent, new Sent(deviceId, topic, new String(payload, StandardCharsets.UTF_8), now));
        if (!now) flushLater(deviceId);
        return now;
    }

    /** Sends to the device only if it is subscribed now (a reply, or a cloud "only while connected" message). */
    protected final boolean sendIfSubscribed(String deviceId, String topic, byte[] payload, int qos) {
        boolean now = deliverable(deviceId, topic);
        if (now) publish(topic, payload, qos, false, null);
        record(sent, new Sent(deviceId, topic, new String(payload, StandardCharsets.UTF_8), now));
        return now;
    }

    /** Replies to the device of this connection (dropped when it is not subscribed). */
    protected final boolean reply(Conn conn, String topic, String payload, int qos) {
        return sendIfSubscribed(conn.deviceId, topic, payload.getBytes(StandardCharsets.UTF_8), qos);
    }

    /** Whether a connection of the device has a subscription that matches the topic, and may read it. */
    private boolean deliverable(String deviceId, String topic) {
        synchronized (lock) {
            for (Conn c : links.values()) {
                if (c.internal || c.refused || !c.deviceId.equals(deviceId) || !readable(c, topic)) continue;
                for (Map.Entry<String, Integer> s : sessionSubs.getOrDefault(c.clientId(), Map.of()).entrySet()) {
                    if (matches(s.getKey(), topic)) return true;
                }
            }
            return false;
        }
    }

    private boolean readable(Conn c, String topic) {
        for (Acl a : deviceAcl()) {
            if (!a.read()) continue;
            String f = a.filter().replace("%c", c.clientId());
            if (c.connect.username() != null) f = f.replace("%u", c.connect.username());
            else if (c.connect.certificateCn() != null) f = f.replace("%u", c.connect.certificateCn());
            if (matches(f, topic)) return true;
        }
        return false;
    }

    /** MQTT 3.1.1 topic filter matching (a {@code $} topic only matches a filter that starts with {@code $}). */
    static boolean matches(String filter, String topic) {
        if (topic.startsWith("$") != filter.startsWith("$")) return false;
        String[] f = filter.split("/", -1);
        String[] t = topic.split("/", -1);
        for (int i = 0; i < f.length; i++) {
            if (f[i].equals("#")) return true;
            if (i >= t.length) return false;
            if (!f[i].equals("+") && !f[i].equals(t[i])) return false;
        }
        return f.length == t.length;
    }

    /** Publishes through the responder, in order, on the downlink thread; a failure puts a device's message back. */
    private void publish(String topic, byte[] payload, int qos, boolean retain, String pendingFor) {
        submit(downlink, () -> {
            try {
                MqttAsyncClient r = responder;
                IMqttDeliveryToken t = r.publish(topic, payload, qos, retain);
                t.waitForCompletion(WAIT.toMillis());
            } catch (MqttException | RuntimeException e) {
                if (pendingFor != null) {
                    synchronized (pendingLock) {
                        pending.computeIfAbsent(pendingFor, k -> new ArrayDeque<>()).addFirst(new Pending(topic, payload, qos));
                    }
                } else if (!closed) {
                    System.err.println(name + ": could not publish on " + topic + ": " + e);
                }
            }
        });
    }

    private void flushLater(String deviceId) {
        submit(downlink, () -> flushPending(deviceId));
    }

    private void flushPending(String deviceId) {
        synchronized (pendingLock) {
            Deque<Pending> q = pending.get(deviceId);
            if (q == null) return;
            List<String> blocked = new ArrayList<>();
            for (Iterator<Pending> it = q.iterator(); it.hasNext();) {
                Pending p = it.next();
                if (blocked.contains(p.topic())) continue;
                if (deliverable(deviceId, p.topic())) {
                    it.remove();
                    publish(p.topic(), p.payload(), p.qos(), false, deviceId);
                    record(sent, new Sent(deviceId, p.topic(), new String(p.payload(), StandardCharsets.UTF_8), true));
                } else {
                    blocked.add(p.topic());
                }
            }
            if (q.isEmpty()) pending.remove(deviceId);
        }
    }

    private void submit(ThreadPoolExecutor e, Runnable r) {
        if (e.isShutdown()) return;
        try {
            e.execute(r);
        } catch (RejectedExecutionException ex) {
            if (!e.isShutdown()) System.err.println(name + ": dropped a task: " + ex);
        }
    }

    // ------------------------------------------------------------------ closing connections

    /**
     * Closes the connection of a client id: a CONNECT with the same id (clean session 0, so that
     * a persistent session and its queued messages stay) over the internal listener makes
     * mosquitto close the old one; then DISCONNECT. Runs on the control thread.
     */
    private void kick(String clientId) {
        kick(clientId, 0);
    }

    /**
     * Closes a connection for the cloud's reasons, a moment after mosquitto answered its last
     * packet: mosquitto queues that answer (a CONNACK, a PUBACK) for its next loop, and a
     * takeover in between would close the connection before the client has it.
     */
    protected final void closeForCloudReasons(Conn conn) {
        if (control.isShutdown()) return;
        try {
            control.schedule(() -> {
                synchronized (lock) {
                    if (links.get(conn.clientId()) != conn) return; // gone already, or another connection now
                }
                takeOver(conn.clientId());
            }, POLICY_CLOSE_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void kick(String clientId, long delayMs) {
        if (control.isShutdown()) return;
        try {
            control.schedule(() -> takeOver(clientId), delayMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void takeOver(String clientId) {
        {
            int p = internalPort;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 5000);
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                out.write(connectPacket(clientId, INTERNAL_USER, password));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] connack = in.readNBytes(4);
                if (connack.length == 4 && connack[0] == 0x20 && connack[3] != 0) {
                    System.err.println(name + ": the takeover of '" + clientId + "' was refused: CONNACK " + connack[3]);
                }
                out.write(new byte[] {(byte) 0xE0, 0}); // DISCONNECT
                out.flush();
                s.shutdownOutput();
                in.skip(Long.MAX_VALUE); // until mosquitto closes (unread PUBLISHes stay queued for the device)
            } catch (IOException e) {
                if (!closed && available) System.err.println(name + ": could not close the connection of '" + clientId + "': " + e);
            }
        }
    }

    /** An MQTT 3.1.1 CONNECT packet: clean session 0, keep-alive 10 s, user name and password. */
    static byte[] connectPacket(String clientId, String user, String password) {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        writeString(body, "MQTT");
        body.write(4); // protocol level 3.1.1
        body.write(0xC0); // user name, password; clean session 0
        body.write(0);
        body.write(10);
        writeString(body, clientId);
        writeString(body, user);
        writeString(body, password);
        java.io.ByteArrayOutputStream packet = new java.io.ByteArrayOutputStream();
        packet.write(0x10);
        int len = body.size();
        do {
            int b = len % 128;
            len /= 128;
            packet.write(len > 0 ? b | 0x80 : b);
        } while (len > 0);
        packet.writeBytes(body.toByteArray());
        return packet.toByteArray();
    }

    private static void writeString(java.io.ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length >> 8);
        out.write(b.length & 0xFF);
        out.writeBytes(b);
    }

    /** mosquitto 2.0's password hash ({@code $7$}: PBKDF2-HMAC-SHA512, 101 rounds, 12 bytes of salt). */
    static String passwordHash(String password) {
        byte[] salt = randomBytes(12);
        try {
            byte[] hash = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA512")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, 101, 512)).getEncoded();
            return "$7$101$" + Base64.getEncoder().encodeToString(salt) + "$" + Base64.getEncoder().encodeToString(hash);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ trust

    private void trustChanged() {
        boolean removed;
        synchronized (this) {
            if (closed) return;
            try {
                removed = syncTrustDir();
            } catch (IOException e) {
                throw new UncheckedIOException(name + ": cannot write the trusted certificates for mosquitto", e);
            }
        }
        if (removed) restart();
    }

    /**
     * Registers a device (a thing, ...) in the cloud's registry: with its certificate, which is
     * trusted from the next TLS handshake on besides the {@link #trust()}, or with null for one
     * whose certificate a CA of the {@link LiveTrust} issued.
     */
    protected final void register(String deviceId, X509Certificate certificate) {
        synchronized (lock) {
            registry.put(deviceId, certificate);
        }
        if (certificate != null) trustChanged();
    }

    /**
     * Removes a device from the registry. A certificate no longer trusted makes mosquitto restart
     * (every device reconnects).
     */
    protected final void unregister(String deviceId) {
        boolean hadCert;
        synchronized (lock) {
            hadCert = registry.remove(deviceId) != null;
        }
        if (hadCert) trustChanged();
    }

    /** Whether the device is in the registry. */
    protected final boolean isRegistered(String deviceId) {
        synchronized (lock) {
            return registry.containsKey(deviceId);
        }
    }

    /** The certificate the device was registered with; null for none, or for one a CA issued. */
    protected final X509Certificate registeredCertificate(String deviceId) {
        synchronized (lock) {
            return registry.get(deviceId);
        }
    }

    /** Writes the trusted certificates into mosquitto's capath and rehashes it; true if one was removed. */
    private synchronized boolean syncTrustDir() throws IOException {
        Set<X509Certificate> want = new LinkedHashSet<>(trust.trusted());
        synchronized (lock) {
            for (X509Certificate c : registry.values()) {
                if (c != null) want.add(c);
            }
        }
        boolean removed = false;
        for (Iterator<X509Certificate> it = trustedInDir.iterator(); it.hasNext();) {
            X509Certificate c = it.next();
            if (!want.contains(c)) {
                Files.deleteIfExists(trustDir.resolve(fingerprint(c) + ".pem"));
                it.remove();
                removed = true;
            }
        }
        boolean added = false;
        for (X509Certificate c : want) {
            if (trustedInDir.add(c)) {
                Path tmp = TestPki.write(trustDir.resolve(fingerprint(c) + ".tmp"), TestPki.pem(c));
                Files.move(tmp, trustDir.resolve(fingerprint(c) + ".pem"), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                added = true;
            }
        }
        if (added || removed) rehash();
        return removed;
    }

    private void rehash() throws IOException {
        Process p = new ProcessBuilder(Mosquitto.openssl().toString(), "rehash", trustDir.toString()).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("openssl rehash " + trustDir + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static String fingerprint(X509Certificate c) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
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

    // ------------------------------------------------------------------ what mosquitto's log tells

    private void logLine(String line) {
        log.line(line); // on the log thread; the events take the lock where they touch what other threads read
    }

    /**
     * Runs on mosquitto's log thread, the only writer of what the log tells; the events that
     * change what other threads read (or call the hooks) hold {@link #lock}. Must not block.
     */
    private final class LogEvents implements MosquittoLog.Events {
        /** A will is sent (if at all) at once, so a will not paired by the next line was not sent. */
        private void expireWills() {
            wills.clear();
        }

        @Override
        public void socket(int remotePort, int listenerPort) {
            expireWills();
            if (socketListener.size() > 10_000) socketListener.clear();
            socketListener.put(remotePort, listenerPort);
        }

        @Override
        public void connected(int remotePort, String clientId, int protocol, boolean clean, int keepAlive, String username) {
            synchronized (lock) {
                expireWills();
                lastTlsError = null;
                Integer listener = socketListener.remove(remotePort);
                boolean internal = listener != null ? listener == internalPort : INTERNAL_USER.equals(username);
                int level = protocol == 1 ? 3 : protocol == 2 ? 4 : protocol;
                ConnectInfo ci = usernameIsCertificateCn() && !internal ? new ConnectInfo(clientId, null, username, level, clean, keepAlive)
                        : new ConnectInfo(clientId, username, null, level, clean, keepAlive);
                if (clean) sessionSubs.remove(clientId);
                Conn c;
                if (internal) {
                    c = new Conn(ci, null, true, false);
                } else {
                    Decision d = authorize(ci);
                    c = new Conn(ci, d.deviceId(), false, d.code() != 0);
                    attempts.add(new ConnectAttempt(clientId, ci.username(), ci.certificateCn(), d.code(), d.reason()));
                    if (d.code() == 0) connectCount++;
                    else rejectedCount++;
                }
                links.put(clientId, c);
                lastConnected = c;
                lock.notifyAll();
                if (internal) return;
                if (c.refused) {
                    closeForCloudReasons(c);
                } else {
                    accepted(c);
                    flushLater(c.deviceId);
                }
            }
        }

        @Override
        public void will(String topic, long length, int qos, boolean retain) {
            Conn c = lastConnected;
            if (c == null) return;
            c.willTopic = topic;
            c.willLength = length;
            c.willQos = qos;
            c.willRetain = retain;
        }

        @Override
        public void takenOver(String clientId) {
            synchronized (lock) {
                expireWills();
                end(links.remove(clientId));
            }
        }

        @Override
        public void disconnectPacket(String clientId) {
            expireWills();
            Conn c = links.get(clientId);
            if (c != null) c.sentDisconnect = true;
        }

        @Override
        public void closed(String clientId, boolean graceful, String why) {
            synchronized (lock) {
                expireWills();
                if (clientId == null) {
                    if (lastTlsError != null) {
                        attempts.add(new ConnectAttempt(null, null, null, -1, "TLS: " + lastTlsError));
                        rejectedCount++;
                        lastTlsError = null;
                        lock.notifyAll();
                    }
                    return;
                }
                lastTlsError = null;
                Conn c = links.remove(clientId);
                if (c == null) return;
                if (!c.internal && !c.refused && why.startsWith("disconnected due to oversize packet")) {
                    closures.add(new Closure(clientId, "oversize: a packet over the limit of mosquitto's max_packet_size", null, -1));
                }
                end(c);
            }
        }

        /** A connection ended: its will may follow at once; a clean session ends with it. */
        private void end(Conn c) {
            if (c == null) return;
            if (c.connect.cleanSession()) sessionSubs.remove(c.clientId());
            if (c.willTopic != null && !c.sentDisconnect) {
                wills.add(new Routed(c, new MosquittoLog.Publish(false, c.willQos, c.willRetain, 0, c.willTopic, c.willLength), false, true));
            }
            lock.notifyAll();
        }

        @Override
        public void tlsError(String text) {
            expireWills();
            if (lastTlsError == null) lastTlsError = text;
        }

        @Override
        public void subscribed(String clientId, String filter, int granted) {
            synchronized (lock) {
                expireWills();
                Conn c = links.get(clientId);
                if (c == null || c.internal || c.refused) return;
                subscriptions.add(new Subscription(clientId, c.deviceId, filter, granted == 0x80 ? -1 : granted, granted));
                if (granted != 0x80) sessionSubs.computeIfAbsent(clientId, k -> new LinkedHashMap<>()).put(filter, granted);
                lock.notifyAll();
                flushLater(c.deviceId);
            }
        }

        @Override
        public void unsubscribed(String clientId, String filter) {
            synchronized (lock) {
                expireWills();
                Map<String, Integer> subs = sessionSubs.get(clientId);
                if (subs != null) subs.remove(filter);
            }
        }

        @Override
        public void received(String clientId, MosquittoLog.Publish p) {
            expireWills();
            boolean own = clientId.equals(responderId);
            Routed r = new Routed(own ? null : links.get(clientId), p, own, false);
            if (p.qos() == 2) {
                if (qos2.size() > MAX_ROUTED) qos2.clear();
                qos2.put(clientId + " " + p.mid(), r);
            } else {
                route(r);
            }
        }

        @Override
        public void pubrel(String clientId, int mid) {
            expireWills();
            Routed r = qos2.remove(clientId + " " + mid);
            if (r != null) route(r);
        }

        private void route(Routed r) {
            routed.addLast(r);
            if (routed.size() > MAX_ROUTED) routed.removeFirst();
        }

        @Override
        public void denied(String clientId, MosquittoLog.Publish p) {
            synchronized (lock) {
                expireWills();
                Conn c = links.get(clientId);
                if (c != null && !c.internal && !c.refused) CloudMqttStandIn.this.denied(c, p.topic(), p.qos(), p.length());
            }
        }

        @Override
        public void tooLarge(String clientId, MosquittoLog.Publish p) {
            synchronized (lock) {
                expireWills();
                Conn c = links.get(clientId);
                if (c != null && !c.internal && !c.refused) CloudMqttStandIn.this.tooLarge(c, p.topic(), p.length());
            }
        }

        @Override
        public void qosTooHigh(String clientId) {
            synchronized (lock) {
                expireWills();
                Conn c = links.get(clientId);
                if (c != null && !c.internal && !c.refused) CloudMqttStandIn.this.qosTooHigh(c);
            }
        }

        @Override
        public void sent(String clientId, MosquittoLog.Publish p) {
            if (!clientId.equals(responderId)) return;
            Routed source = p.dup() ? null : takeRouted(p);
            if (source == null) source = takeWill(p);
            if (source == null) {
                // a resend after the responder reconnected, or a message the log did not show: its last publisher
                source = new Routed(lastPublisher.get(p.topic()), p, false, false);
            }
            Delivery d = new Delivery(source, p);
            synchronized (lock) {
                if (p.qos() > 0) {
                    byMid.put(p.mid(), d);
                } else {
                    qos0.addLast(d);
                    if (qos0.size() > MAX_ROUTED) qos0.removeFirst();
                }
                lock.notifyAll();
            }
        }

        /** The oldest routed message with this topic and length; older ones were not for the responder. */
        private Routed takeRouted(MosquittoLog.Publish p) {
            Iterator<Routed> it = routed.iterator();
            int skipped = 0;
            while (it.hasNext()) {
                Routed r = it.next();
                if (r.publish().topic().equals(p.topic()) && r.publish().length() == p.length()) {
                    for (int i = 0; i <= skipped; i++) routed.removeFirst();
                    return r;
                }
                skipped++;
            }
            return null;
        }

        private Routed takeWill(MosquittoLog.Publish p) {
            for (Iterator<Routed> it = wills.iterator(); it.hasNext();) {
                Routed r = it.next();
                if (r.publish().topic().equals(p.topic()) && r.publish().length() == p.length()) {
                    it.remove();
                    return r;
                }
            }
            return null;
        }

        @Override
        public void other(String line) {
            expireWills();
        }
    }

    // ------------------------------------------------------------------ what the responder receives

    /** Waits for the log line of a message the responder received: the same packet id (QoS 1, 2) or the next QoS 0 one. */
    private Delivery delivery(MqttMessage m) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        synchronized (lock) {
            while (true) {
                Delivery d = m.getQos() > 0 ? byMid.remove(m.getId()) : qos0.pollFirst();
                if (d != null) return d;
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) return null;
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
        }
    }

    private final class Responder implements MqttCallback {
        @Override
        public void connectionLost(Throwable cause) {
            // a stop or restart of mosquitto: the stand-in reconnects when it starts it again
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }

        @Override
        public void messageArrived(String topic, MqttMessage m) {
            Delivery d = delivery(m);
            if (d == null) {
                if (!closed) System.err.println(name + ": mosquitto's log did not show the message on " + topic + " (packet id " + m.getId() + ")");
                return;
            }
            Routed r = d.routed();
            if (r.own()) return;
            if (!d.sent().topic().equals(topic) || d.sent().length() != m.getPayload().length) {
                System.err.println(name + ": the log and the message disagree: " + d.sent() + " vs '" + topic + "' of " + m.getPayload().length
                        + " bytes");
            }
            Conn from = r.from();
            if (from != null && (from.internal || from.refused)) return; // not a device the cloud accepted
            boolean retain = r.publish().retain();
            Received rec = new Received(from == null ? null : from.clientId(), topic, m.getPayload(), m.getQos(), retain,
                    r.publish().dup() || d.sent().dup(), r.will());
            synchronized (lock) {
                received.add(rec);
                if (from != null) lastPublisher.put(topic, from);
            }
            try {
                if (retain) publish(topic, new byte[0], 0, true, null); // the clouds keep nothing: clear it in mosquitto
                if (from == null) {
                    System.err.println(name + ": no device known for " + rec);
                    return;
                }
                onPublish(from, rec, r.publish().mid());
            } catch (RuntimeException e) {
                System.err.println(name + ": handling " + rec + " failed: " + e);
                e.printStackTrace();
            } finally {
                synchronized (lock) {
                    handled++; // messages arrive one at a time, in order, on Paho's callback thread
                    lock.notifyAll();
                }
            }
        }
    }
}
