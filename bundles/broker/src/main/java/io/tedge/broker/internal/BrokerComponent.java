package io.tedge.broker.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.tedge.api.Bus;
import io.tedge.broker.journal.Journal;
import io.tedge.broker.mqtt.Broker;
import io.tedge.broker.mqtt.MqttServer;

/**
 * Runs the local bus from the {@code mqtt.*} and {@code data.path} keys of tedge.toml (pushed by
 * the config bundle as PIDs {@code tedge.mqtt} and {@code tedge.data}): the journal, then either
 * the embedded broker on {@code mqtt.bind_address:mqtt.port} or a persistent session on an
 * external broker; and registers the {@link Bus} service once it is ready. A change of any of
 * these keys restarts this component only.
 */
@Component(configurationPid = {"tedge.mqtt", "tedge.data"}, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
public class BrokerComponent {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerComponent.class);

    private final Journal journal;
    private final Broker broker;
    private final MqttServer server;
    private final ExternalBus external;
    private final ServiceRegistration<Bus> registration;

    @Activate
    public BrokerComponent(BundleContext ctx, Map<String, Object> props) throws Exception {
        Path data = Path.of(str(props, "data.path", System.getProperty("user.dir") + "/data"));
        long maxSize = Long.parseLong(str(props, "mqtt.journal.max_size", String.valueOf(128L * 1024 * 1024)));
        boolean fsync = Boolean.parseBoolean(str(props, "mqtt.journal.fsync", "false"));
        String mode = str(props, "mqtt.broker", "embedded");
        Broker.Settings d = Broker.Settings.defaults();
        Broker.Settings settings = new Broker.Settings(
                (int) number(props, "mqtt.max_connections", d.maxConnections(), 1, 1_000_000),
                (int) number(props, "mqtt.max_queued_messages", d.maxQueuedMessages(), 1, 10_000_000),
                number(props, "mqtt.max_queued_bytes", d.maxQueuedBytes(), 1024, Long.MAX_VALUE),
                (int) number(props, "mqtt.max_packet_size", d.maxPacketSize(), 64, 256L << 20),
                d.maxInflight(), d.ioThreads());
        long t0 = System.nanoTime();
        Journal j = Journal.open(data.resolve("journal"), maxSize, fsync);
        Broker b = null;
        MqttServer s = null;
        ExternalBus x = null;
        try {
            Bus bus;
            Hashtable<String, Object> sp = new Hashtable<>();
            if (mode.equals("external")) {
                String host = str(props, "mqtt.client.host", "127.0.0.1");
                int port = Integer.parseInt(str(props, "mqtt.client.port", str(props, "mqtt.port", "1883")));
                b = new Broker(j, data.resolve("broker-external"), settings);
                x = new ExternalBus(j, b, host, port, "tedge-agent");
                x.start();
                bus = x;
                sp.put("tedge.mqtt.uri", "tcp://" + host + ":" + port);
                sp.put("tedge.broker", "external");
            } else {
                String bind = str(props, "mqtt.bind_address", "127.0.0.1");
                int port = Integer.parseInt(str(props, "mqtt.port", "1883"));
                b = new Broker(j, data.resolve("broker"), settings);
                s = MqttServer.start(b, bind, port);
                bus = new EmbeddedBus(b, j);
                String host = bind.equals("0.0.0.0") || bind.equals("::") ? "127.0.0.1" : bind;
                sp.put("tedge.mqtt.uri", "tcp://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + s.port());
                sp.put("tedge.broker", "embedded");
            }
            journal = j;
            broker = b;
            server = s;
            external = x;
            registration = ctx.registerService(Bus.class, bus, sp);
            LOG.info("Bus ready ({} broker, {}) in {} ms", mode, sp.get("tedge.mqtt.uri"), (System.nanoTime() - t0) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            if (x != null) x.close();
            if (s != null) s.close();
            if (b != null) b.close();
            j.close();
            LOG.error("The MQTT broker could not start: {}", e.getMessage());
            throw e;
        }
    }

    /** A numeric key; a value the config bundle let through but out of range falls back to the default, with a warning. */
    private static long number(Map<String, Object> props, String key, long dflt, long min, long max) {
        Object v = props.get(key);
        if (v == null) return dflt;
        try {
            long n = Long.parseLong(v.toString().trim());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException e) {
            // below
        }
        LOG.warn("{} = '{}' is not a number between {} and {}: using the default, {}", key, v, min, max, dflt);
        return dflt;
    }

    private static String str(Map<String, Object> props, String key, String dflt) {
        Object v = props.get(key);
        return v == null ? dflt : v.toString();
    }

    @Deactivate
    void deactivate() {
        registration.unregister();
        if (external != null) external.close();
        if (server != null) server.close();
        broker.close();
        journal.close();
        LOG.info("Bus stopped");
    }
}
