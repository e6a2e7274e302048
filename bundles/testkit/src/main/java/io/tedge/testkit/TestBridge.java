package io.tedge.testkit;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import io.tedge.api.BridgeRule;
import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.api.CloudLink;

/**
 * A connector's {@link CloudLink} run between a {@link Bus} of the test (a {@link FakeBus}) and a
 * cloud stand-in, the way the agent's bridge runs it, so that a connector's own tests can check
 * its endpoint, identity, trusted roots, rules and {@code check()} against a real MQTT server in a
 * second, without the agent:
 *
 * <pre>{@code
 * CloudLink link = new AcmeConnector().link(config);   // config: acme.mqtt = standIn.hostPort(), ...
 * FakeBus bus = new FakeBus();
 * try (TestBridge bridge = TestBridge.open(link, bus, Duration.ofSeconds(30))) {
 *     connector.check(bus, config, Duration.ofSeconds(10));   // through the stand-in
 *     bus.publish("acme/telemetry/t", "1".getBytes(UTF_8), 1, false);
 *     standIn.awaitReceived(r -> r.topic().equals("devices/dev-1/telemetry/t"), Duration.ofSeconds(30));
 * }
 * }</pre>
 *
 * <p>What it does as the agent's bridge does: TLS with the link's device key and certificate
 * (PEM files) and its roots (a PEM file, or a folder of them), the server's certificate checked
 * against the host name; CONNECT with the link's client id, user name and keep alive, clean
 * session; a SUBSCRIBE to the remote filter of every inbound rule with the rule's QoS (at most the
 * link's maximum). A message published on the bus that an outbound rule matches goes to the
 * cloud on {@link BridgeRule#toRemote} with the lowest of its QoS, the rule's and the link's
 * maximum, retained only if the link allows it; a payload over the link's maximum is not sent
 * and its topic is added to {@link #refused()}. A message from the cloud is published on the bus
 * on {@link BridgeRule#toLocal} of the first inbound rule that matches, with the lower of its QoS
 * and the rule's, and is not sent back out by an outbound rule that matches it too.
 *
 * <p>What it leaves to the agent: reconnecting, the journal and store-and-forward (a message
 * published while the connection is down is lost here), status, and the error message on
 * {@code tedge/errors}. It is a test fixture built on Eclipse Paho, not the agent's bridge: the
 * end-to-end proof is the agent against the stand-in.
 */
public final class TestBridge implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final CloudLink link;
    private final Bus bus;
    private final MqttAsyncClient client;
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    /** Messages this bridge brought in that an outbound rule matches, by topic and payload: not sent back. */
    private final Map<String, Integer> echoes = new LinkedHashMap<>();
    private final Bus.Subscription outbound;
    private volatile Throwable lost;

    private TestBridge(CloudLink link, Bus bus, MqttAsyncClient client) {
        this.link = link;
        this.bus = bus;
        this.client = client;
        List<String> filters = new ArrayList<>();
        for (BridgeRule r : link.rules()) {
            if (r.outbound()) filters.add(r.localFilter());
        }
        this.outbound = filters.isEmpty() ? () -> {
        } : bus.subscribe(filters, this::toCloud);
    }

    /**
     * Connects to the link's endpoint and subscribes, within {@code timeout}; throws IOException
     * saying why the link did not come up (TLS, refused, unreachable, bad key or certificate files).
     */
    public static TestBridge open(CloudLink link, Bus bus, Duration timeout) throws IOException {
        SSLContext tls = tls(link);
        MqttAsyncClient c;
        try {
            c = new MqttAsyncClient("ssl://" + link.host() + ":" + link.port(), link.clientId(), new MemoryPersistence());
        } catch (MqttException e) {
            throw new IOException("cannot create an MQTT client for " + link.host() + ":" + link.port() + ": " + e, e);
        }
        TestBridge b = null;
        try {
            MqttConnectOptions o = new MqttConnectOptions();
            o.setMqttVersion(MqttConnectOptions.MQTT_VERSION_3_1_1);
            o.setCleanSession(true);
            o.setKeepAliveInterval(link.keepAliveSeconds());
            o.setConnectionTimeout((int) Math.max(1, timeout.toSeconds()));
            o.setAutomaticReconnect(false);
            o.setMaxInflight(10_000);
            o.setSocketFactory(tls.getSocketFactory());
            o.setHttpsHostnameVerificationEnabled(true);
            if (link.username() != null) o.setUserName(link.username());
            TestBridge bridge = new TestBridge(link, bus, c);
            b = bridge;
            c.setCallback(bridge.new Callback());
            c.connect(o).waitForCompletion(timeout.toMillis());
            List<String> filters = new ArrayList<>();
            List<Integer> qos = new ArrayList<>();
            for (BridgeRule r : link.rules()) {
                if (r.inbound()) {
                    filters.add(r.remoteFilter());
                    qos.add(Math.min(r.qos(), link.maxQos()));
                }
            }
            if (!filters.isEmpty()) {
                IMqttToken t = c.subscribe(filters.toArray(String[]::new), qos.stream().mapToInt(Integer::intValue).toArray());
                t.waitForCompletion(timeout.toMillis());
                int[] granted = t.getGrantedQos();
                for (int i = 0; i < granted.length; i++) {
                    if (granted[i] == 0x80) throw new IOException("the cloud refused the subscription to " + filters.get(i));
                }
            }
            return bridge;
        } catch (MqttException e) {
            if (b != null) b.close();
            else closeQuietly(c);
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException("the link to " + link.host() + ":" + link.port() + " did not come up: " + cause, e);
        } catch (IOException | RuntimeException e) {
            if (b != null) b.close();
            else closeQuietly(c);
            throw e;
        }
    }

    /** Local topics of the messages not sent because their payload was over the link's maximum, oldest first. */
    public List<String> refused() {
        return List.copyOf(refused);
    }

    /** Whether the connection to the cloud is open. */
    public boolean isConnected() {
        return client.isConnected();
    }

    /** Why the cloud closed the connection, or null while it is open (or was closed by {@link #close()}). */
    public Throwable lostBecause() {
        return lost;
    }

    /** Failures to publish to the cloud or on the bus, oldest first. */
    public List<Throwable> errors() {
        return List.copyOf(errors);
    }

    @Override
    public void close() {
        outbound.close();
        closeQuietly(client);
    }

    private static void closeQuietly(MqttAsyncClient c) {
        try {
            if (c.isConnected()) c.disconnectForcibly(100, 1000);
            c.close(true);
        } catch (MqttException e) {
            // closing
        }
    }

    // ------------------------------------------------------------------ the two directions

    private BridgeRule outboundRule(String localTopic) {
        for (BridgeRule r : link.rules()) {
            if (r.toRemote(localTopic) != null) return r;
        }
        return null;
    }

    private static String echoKey(String topic, byte[] payload) {
        return topic + '\u0000' + payload.length + ':' + Arrays.hashCode(payload);
    }

    private boolean isEcho(BusMessage m) {
        String k = echoKey(m.topic(), m.payload());
        synchronized (echoes) {
            Integer n = echoes.get(k);
            if (n == null) return false;
            if (n <= 1) echoes.remove(k);
            else echoes.put(k, n - 1);
            return true;
        }
    }

    private void toCloud(BusMessage m) {
        BridgeRule r = outboundRule(m.topic());
        if (r == null || isEcho(m)) return;
        if (m.payload().length > link.maxPayload()) {
            refused.add(m.topic());
            return;
        }
        int qos = Math.min(Math.min(m.qos(), r.qos()), link.maxQos());
        try {
            client.publish(r.toRemote(m.topic()), m.payload(), qos, m.retained() && link.retainAllowed());
        } catch (MqttException e) {
            errors.add(new IOException("not sent to the cloud: " + m + ": " + e, e));
        }
    }

    private final class Callback implements MqttCallback {
        @Override
        public void connectionLost(Throwable cause) {
            lost = cause == null ? new IOException("connection lost") : cause;
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            byte[] payload = message.getPayload();
            for (BridgeRule r : link.rules()) {
                String local = r.toLocal(topic);
                if (local == null) continue;
                if (outboundRule(local) != null) {
                    synchronized (echoes) {
                        echoes.merge(echoKey(local, payload), 1, Integer::sum);
                        if (echoes.size() > 10_000) echoes.remove(echoes.keySet().iterator().next());
                    }
                }
                try {
                    bus.publish(local, payload, Math.min(message.getQos(), r.qos()), false);
                } catch (Bus.BusException | RuntimeException e) {
                    errors.add(e);
                }
                return;
            }
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }
    }

    // ------------------------------------------------------------------ TLS from the link's files

    private static SSLContext tls(CloudLink link) throws IOException {
        PrivateKey key = readKey(link.keyPath());
        List<X509Certificate> chain = TestPki.readCertificates(link.certPath());
        if (chain.isEmpty()) throw new IOException("no certificate in " + link.certPath());
        Set<X509Certificate> roots = new LinkedHashSet<>();
        Path r = link.rootCertPath();
        if (r == null) throw new IOException("the link has no root certificate path");
        if (Files.isDirectory(r)) {
            try (Stream<Path> files = Files.list(r)) {
                for (Path f : files.sorted().toList()) {
                    if (!Files.isRegularFile(f)) continue;
                    try {
                        roots.addAll(TestPki.readCertificates(f));
                    } catch (IOException e) {
                        // not a certificate file
                    }
                }
            }
        } else {
            roots.addAll(TestPki.readCertificates(r));
        }
        if (roots.isEmpty()) throw new IOException("no root certificate in " + r);
        try {
            char[] pw = "testkit".toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("device", key, pw, chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            int i = 0;
            for (X509Certificate c : roots) ts.setCertificateEntry("root-" + i++, c);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), RANDOM);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot make a TLS context of " + link.keyPath() + " and " + link.certPath() + ": " + e, e);
        }
    }

    /** The private key of a PEM file: PKCS#8 ({@code PRIVATE KEY}) or traditional ({@code EC}/{@code RSA PRIVATE KEY}). */
    static PrivateKey readKey(Path file) throws IOException {
        if (file == null) throw new IOException("the link has no device key path");
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(in)) {
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            for (Object o = p.readObject(); o != null; o = p.readObject()) {
                if (o instanceof PEMKeyPair kp) return conv.getKeyPair(kp).getPrivate();
                if (o instanceof PrivateKeyInfo info) return conv.getPrivateKey(info);
            }
        }
        throw new IOException("no unencrypted private key in " + file);
    }
}
