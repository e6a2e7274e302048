package io.tedge.config;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import io.tedge.api.ConfigKey;
import io.tedge.config.internal.HeaderParser;

/**
 * The known tedge.toml keys: thin-edge.io's core keys, plus those that bundles declare with
 * {@link ConfigKey} (as {@code tedge.config.key} capabilities). Immutable; {@link #plus} makes a
 * new registry.
 */
public final class ConfigRegistry {

    private static final List<ConfigKeyDef> CORE = List.of(
            core("device.id", "derived", null,
                    "Identifier of the device within the fleet. It must be globally unique and is derived from the device certificate. Example: Raspberrypi-4d18303a-6d3a-11eb-b1a6-175f6bb72665", true),
            core("device.key.path", "path", "${config.dir}/device-certs/tedge-private-key.pem",
                    "Path to the private key file. Example: /home/user/.tedge/tedge-private-key.pem", false),
            core("device.cert.path", "path", "${config.dir}/device-certs/tedge-certificate.pem",
                    "Path to the certificate file. Example: /home/user/.tedge/tedge-certificate.crt", false),
            core("c8y.url", "url", null,
                    "Tenant endpoint URL of Cumulocity tenant. Example: your-tenant.cumulocity.com", false),
            core("c8y.root.cert.path", "path", "/etc/ssl/certs",
                    "Path where Cumulocity root certificate(s) are located. Example: /home/user/.tedge/c8y-trusted-root-certificates.pem", false),
            core("c8y.mqtt", "host_port", "${c8y.url}:8883",
                    "Cumulocity MQTT endpoint as host:port (default: c8y.url on port 8883). Example: your-tenant.cumulocity.com:8883", false),
            core("c8y.http", "host_port", "${c8y.url}:443",
                    "Cumulocity HTTP endpoint as host:port (default: c8y.url on port 443). Example: your-tenant.cumulocity.com:443", false),
            core("az.url", "url", null,
                    "Tenant endpoint URL of Azure IoT tenant. Example:  MyAzure.azure-devices.net", false),
            core("az.root.cert.path", "path", "/etc/ssl/certs",
                    "Path where Azure IoT root certificate(s) are located. Example: /home/user/.tedge/azure-trusted-root-certificates.pem", false),
            core("az.mqtt", "host_port", "${az.url}:8883",
                    "Azure IoT Hub MQTT endpoint as host:port (default: az.url on port 8883). Example: MyAzure.azure-devices.net:8883", false),
            core("az.mapper.timestamp", "flag", "true",
                    "Boolean whether Azure mapper should add timestamp or not. Example: true", false),
            core("mqtt.port", "port", "1883",
                    "Mqtt broker port, which is used by the mqtt clients to publish or subscribe. Example: 1883", false),
            core("mqtt.bind_address", "ip", "127.0.0.1",
                    "The address the embedded MQTT broker listens on. Example: 127.0.0.1", false),
            core("mqtt.client.host", "string", "127.0.0.1",
                    "Host that tedge's own MQTT clients (tedge mqtt, tedge connect, the agent with an external broker) connect to. Example: 127.0.0.1", false),
            core("mqtt.client.port", "port", "${mqtt.port}",
                    "Port that tedge's own MQTT clients connect to (default: mqtt.port). Example: 1883", false),
            core("mqtt.broker", "choice:embedded|external", "embedded",
                    "Which MQTT broker the agent uses: its embedded one, or an external one (e.g. mosquitto) at mqtt.client.host:mqtt.client.port. Example: external", false),
            core("mqtt.journal.max_size", "size", "128M",
                    "Disk space for the journal of QoS 1/2 messages (store-and-forward); when full the oldest are dropped. Example: 512M", false),
            core("mqtt.journal.fsync", "flag", "false",
                    "Whether to fsync the journal before acknowledging a QoS 1/2 publish (survives power loss, costs throughput). Example: true", false),
            core("mqtt.max_connections", "int", "1024",
                    "Most MQTT connections the embedded broker keeps at once; beyond, a new client gets CONNACK 3 (server unavailable). Example: 2048", false),
            core("mqtt.max_queued_messages", "int", "1000",
                    "Messages the embedded broker keeps in memory for one client that does not keep up; beyond, its QoS 0 messages are dropped and its QoS 1/2 ones wait in the journal. Example: 5000", false),
            core("mqtt.max_queued_bytes", "size", "8M",
                    "Bytes the embedded broker keeps in memory for one client (queued and in flight), with the same effect as mqtt.max_queued_messages. Example: 16M", false),
            core("mqtt.max_packet_size", "size", "1M",
                    "Largest MQTT packet the embedded broker accepts; a client sending a larger one is disconnected. Example: 256k", false),
            core("bridge.reconnect.initial_ms", "int", "1000",
                    "First wait before reconnecting a cloud link, in milliseconds; doubled after each failure. Example: 5000", false),
            core("bridge.reconnect.max_ms", "int", "60000",
                    "Longest wait between reconnection attempts of a cloud link, in milliseconds. Example: 600000", false),
            core("bridge.reconnect.jitter_ms", "int", "500",
                    "Random extra wait added to each reconnection delay, up to this many milliseconds. Example: 1000", false),
            core("bridge.inflight", "int", "100",
                    "QoS 1/2 messages a cloud link keeps in flight before it waits for acknowledgements. Example: 20", false),
            core("data.path", "path", "${config.dir}/data",
                    "Directory for the agent's state: framework cache, message journal, cursors. Example: /var/tedge", false),
            core("logs.path", "path", "${config.dir}/logs",
                    "Directory of the agent's log file tedge.log. Example: /var/log/tedge", false),
            core("logs.level", "level", "info",
                    "Log level of the agent: error, warn, info, debug or trace. Example: debug", false));

    private static final ConfigRegistry CORE_REGISTRY = new ConfigRegistry(CORE);

    private final Map<String, ConfigKeyDef> keys = new LinkedHashMap<>();

    private ConfigRegistry(Collection<ConfigKeyDef> defs) {
        for (ConfigKeyDef d : defs) keys.putIfAbsent(d.key(), d);
    }

    private static ConfigKeyDef core(String key, String type, String def, String doc, boolean readOnly) {
        return new ConfigKeyDef(key, type, def, doc, readOnly, "core");
    }

    /** The built-in keys only. */
    public static ConfigRegistry core() {
        return CORE_REGISTRY;
    }

    /** A registry with these keys added; a core key cannot be redefined by a bundle. */
    public ConfigRegistry plus(Collection<ConfigKeyDef> more) {
        List<ConfigKeyDef> all = new ArrayList<>(keys.values());
        all.addAll(more);
        return new ConfigRegistry(all);
    }

    public ConfigKeyDef find(String key) {
        return keys.get(key);
    }

    public Collection<ConfigKeyDef> all() {
        return Collections.unmodifiableCollection(keys.values());
    }

    /** Whether some key lives in this table (tedge.toml section). */
    public boolean hasTable(String table) {
        return keys.values().stream().anyMatch(k -> k.table().equals(table));
    }

    /** The definition whose toml table and field are these, or null. */
    public ConfigKeyDef byTomlPath(String table, String field) {
        for (ConfigKeyDef d : keys.values()) {
            if (d.table().equals(table) && d.field().equals(field)) return d;
        }
        return null;
    }

    // ------------------------------------------------------------------ contributions

    /** A key definition from the attributes of one {@code tedge.config.key} capability. */
    public static ConfigKeyDef fromCapability(Map<String, Object> attrs, String origin) {
        Object key = attrs.get(ConfigKey.NAMESPACE);
        if (key == null) throw new IllegalArgumentException("capability " + ConfigKey.NAMESPACE + " without a key");
        return new ConfigKeyDef(key.toString(), str(attrs.get("type"), "string"), str(attrs.get("default"), null),
                str(attrs.get("doc"), ""), false, origin);
    }

    private static String str(Object o, String dflt) {
        return o == null ? dflt : o.toString();
    }

    /** The keys declared in a jar's manifest (its {@code Provide-Capability} header). */
    public static List<ConfigKeyDef> fromManifest(Manifest mf) {
        List<ConfigKeyDef> out = new ArrayList<>();
        if (mf == null) return out;
        String header = mf.getMainAttributes().getValue("Provide-Capability");
        if (header == null || !header.contains(ConfigKey.NAMESPACE)) return out;
        String bsn = mf.getMainAttributes().getValue("Bundle-SymbolicName");
        String origin = bsn == null ? "?" : bsn.split(";")[0].trim();
        for (HeaderParser.Clause c : HeaderParser.parse(header)) {
            if (c.name().equals(ConfigKey.NAMESPACE)) {
                try {
                    out.add(fromCapability(c.attributes(), origin));
                } catch (IllegalArgumentException e) {
                    // a broken declaration in a vendor jar must not break the CLI; skip it
                }
            }
        }
        return out;
    }

    /** The core keys plus those declared by the jars in these folders (bundle/ and deploy/). */
    public static ConfigRegistry withJarsIn(Path... dirs) {
        List<ConfigKeyDef> more = new ArrayList<>();
        for (Path dir : dirs) {
            if (dir == null || !Files.isDirectory(dir)) continue;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.jar")) {
                for (Path jar : ds) {
                    try (JarFile jf = new JarFile(jar.toFile(), false)) {
                        more.addAll(fromManifest(jf.getManifest()));
                    } catch (IOException e) {
                        // a jar being copied or a broken jar: FileInstall will complain, we skip it
                    }
                }
            } catch (IOException e) {
                // unreadable folder: only the core keys
            }
        }
        return more.isEmpty() ? core() : core().plus(more);
    }
}
