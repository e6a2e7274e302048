package io.tedge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigRegistryTest {

    private static final String ACME_HEADER = "osgi.service;objectClass:List<String>=\"io.acme.Thing\";uses:=\"io.acme\","
            + "tedge.config.key;tedge.config.key=\"acme.url\";type=\"url\";doc=\"Host name of the ACME cloud, without scheme; eg: \\\"acme.example.com\\\"\","
            + "tedge.config.key;tedge.config.key=\"acme.port\";type=\"port\";default=\"8883\";doc=\"MQTT port of the ACME cloud.\","
            + "tedge.config.key;tedge.config.key=acme.mqtt;type=host_port;default=\"${acme.url}:${acme.port}\";doc=\"endpoint\","
            + "tedge.config.key;tedge.config.key=\"Bad Key\";doc=\"skipped: not a valid key name\","
            + "tedge.config.key;doc=\"skipped: no key\","
            + "osgi.extender;osgi.extender=\"osgi.component\";version:Version=\"1.5.0\"";

    // ------------------------------------------------------------------ core

    @Test
    void coreKeysInThinEdgeOrder() {
        assertThat(ConfigRegistry.core().all()).extracting(ConfigKeyDef::key).containsExactly(
                "device.id", "device.key.path", "device.cert.path",
                "c8y.url", "c8y.root.cert.path", "c8y.mqtt", "c8y.http",
                "az.url", "az.root.cert.path", "az.mqtt", "az.mapper.timestamp",
                "mqtt.port", "mqtt.bind_address", "mqtt.client.host", "mqtt.client.port", "mqtt.broker",
                "mqtt.journal.max_size", "mqtt.journal.fsync", "mqtt.max_connections", "mqtt.max_queued_messages",
                "mqtt.max_queued_bytes", "mqtt.max_packet_size", "bridge.reconnect.initial_ms", "bridge.reconnect.max_ms",
                "bridge.reconnect.jitter_ms", "bridge.inflight", "data.path", "logs.path", "logs.level");
        assertThat(ConfigRegistry.core().all()).allSatisfy(d -> {
            assertThat(d.origin()).isEqualTo("core");
            assertThat(d.doc()).isNotBlank();
        });
        assertThat(ConfigRegistry.core().all()).filteredOn(ConfigKeyDef::readOnly).extracting(ConfigKeyDef::key)
                .containsExactly("device.id");
        assertThat(ConfigRegistry.core()).isSameAs(ConfigRegistry.core());
    }

    @Test
    void coreTypesAndDefaults() {
        ConfigRegistry r = ConfigRegistry.core();
        assertThat(r.find("mqtt.port").type()).isEqualTo("port");
        assertThat(r.find("mqtt.port").defaultValue()).isEqualTo("1883");
        assertThat(r.find("c8y.url").type()).isEqualTo("url");
        assertThat(r.find("c8y.url").defaultValue()).isNull();
        assertThat(r.find("az.mapper.timestamp").type()).isEqualTo("flag");
        assertThat(r.find("c8y.mqtt").defaultValue()).isEqualTo("${c8y.url}:8883");
        assertThat(r.find("c8y.http").defaultValue()).isEqualTo("${c8y.url}:443");
        assertThat(r.find("mqtt.client.port").defaultValue()).isEqualTo("${mqtt.port}");
        assertThat(r.find("device.key.path").defaultValue()).isEqualTo("${config.dir}/device-certs/tedge-private-key.pem");
        assertThat(r.find("mqtt.broker").choices()).containsExactly("embedded", "external");
        assertThat(r.find("mqtt.port").choices()).isEmpty();
        assertThat(r.find("nope.key")).isNull();
    }

    @Test
    void tablesAndTomlPaths() {
        ConfigRegistry r = ConfigRegistry.core();
        assertThat(r.hasTable("c8y")).isTrue();
        assertThat(r.hasTable("acme")).isFalse();
        assertThat(r.byTomlPath("c8y", "root_cert_path").key()).isEqualTo("c8y.root.cert.path");
        assertThat(r.byTomlPath("mqtt", "client_port").key()).isEqualTo("mqtt.client.port");
        assertThat(r.byTomlPath("az", "mapper_timestamp").key()).isEqualTo("az.mapper.timestamp");
        assertThat(r.byTomlPath("c8y", "connect")).isNull();
    }

    // ------------------------------------------------------------------ ConfigKeyDef

    @Test
    void keyDefTableFieldPid() {
        ConfigKeyDef d = new ConfigKeyDef("c8y.root.cert.path", "path", "", null, false, "core");
        assertThat(d.table()).isEqualTo("c8y");
        assertThat(d.field()).isEqualTo("root_cert_path");
        assertThat(d.pid()).isEqualTo("tedge.c8y");
        assertThat(d.defaultValue()).isNull();
        assertThat(d.doc()).isEmpty();
        assertThat(new ConfigKeyDef("mqtt.bind_address", "ip", null, "", false, "core").field()).isEqualTo("bind_address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"nodot", "Upper.case", "c8y..url", ".c8y", "c8y.", "c8y.url-x", "with space.x", ""})
    void keyDefRejectsBadNames(String key) {
        assertThatThrownBy(() -> new ConfigKeyDef(key, "string", null, "", false, "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid config key name '" + key + "': use lower case words separated by dots");
    }

    @Test
    void keyDefRequiresKeyAndType() {
        assertThatThrownBy(() -> new ConfigKeyDef(null, "string", null, "", false, "x")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new ConfigKeyDef("a.b", null, null, "", false, "x")).isInstanceOf(NullPointerException.class);
    }

    // ------------------------------------------------------------------ plus

    @Test
    void plusAddsKeysButCannotRedefineCoreKeys() {
        ConfigKeyDef acme = new ConfigKeyDef("acme.url", "url", null, "ACME", false, "acme");
        ConfigKeyDef fake = new ConfigKeyDef("mqtt.port", "string", "1", "hijack", false, "evil");
        ConfigRegistry r = ConfigRegistry.core().plus(List.of(acme, fake));
        assertThat(r.find("acme.url")).isEqualTo(acme);
        assertThat(r.find("mqtt.port").origin()).isEqualTo("core");
        assertThat(r.find("mqtt.port").type()).isEqualTo("port");
        assertThat(r.all()).hasSize(ConfigRegistry.core().all().size() + 1);
        assertThat(r.all()).last().isEqualTo(acme);
        assertThat(r.hasTable("acme")).isTrue();
        assertThat(ConfigRegistry.core().find("acme.url")).isNull();
        assertThat(r.all()).isUnmodifiable();
    }

    // ------------------------------------------------------------------ capabilities and manifests

    @Test
    void fromCapabilityWithAndWithoutOptionalAttributes() {
        ConfigKeyDef d = ConfigRegistry.fromCapability(Map.of("tedge.config.key", "acme.port", "type", "port",
                "default", "8883", "doc", "the port"), "acme.bundle");
        assertThat(d).isEqualTo(new ConfigKeyDef("acme.port", "port", "8883", "the port", false, "acme.bundle"));
        ConfigKeyDef plain = ConfigRegistry.fromCapability(Map.of("tedge.config.key", "acme.name"), "b");
        assertThat(plain).isEqualTo(new ConfigKeyDef("acme.name", "string", null, "", false, "b"));
        assertThatThrownBy(() -> ConfigRegistry.fromCapability(Map.of("doc", "x"), "b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capability tedge.config.key without a key");
    }

    private static Manifest manifest(String bsn, String provide) {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (bsn != null) a.putValue("Bundle-SymbolicName", bsn);
        if (provide != null) a.putValue("Provide-Capability", provide);
        return mf;
    }

    @Test
    void fromManifestReadsEveryConfigKeyClauseAndIgnoresOtherNamespaces() {
        List<ConfigKeyDef> defs = ConfigRegistry.fromManifest(manifest("io.acme.connector;singleton:=true", ACME_HEADER));
        assertThat(defs).containsExactly(
                new ConfigKeyDef("acme.url", "url", null, "Host name of the ACME cloud, without scheme; eg: \"acme.example.com\"", false, "io.acme.connector"),
                new ConfigKeyDef("acme.port", "port", "8883", "MQTT port of the ACME cloud.", false, "io.acme.connector"),
                new ConfigKeyDef("acme.mqtt", "host_port", "${acme.url}:${acme.port}", "endpoint", false, "io.acme.connector"));
    }

    @Test
    void fromManifestWithoutTheHeaderOrBsn() {
        assertThat(ConfigRegistry.fromManifest(null)).isEmpty();
        assertThat(ConfigRegistry.fromManifest(manifest("x", null))).isEmpty();
        assertThat(ConfigRegistry.fromManifest(manifest("x", "osgi.service;objectClass=\"a.B\""))).isEmpty();
        assertThat(ConfigRegistry.fromManifest(manifest(null, "tedge.config.key;tedge.config.key=\"a.b\";doc=d")))
                .containsExactly(new ConfigKeyDef("a.b", "string", null, "d", false, "?"));
    }

    // ------------------------------------------------------------------ withJarsIn

    private static void jar(Path file, Manifest mf) throws Exception {
        try (OutputStream os = Files.newOutputStream(file);
             JarOutputStream jos = mf == null ? new JarOutputStream(os) : new JarOutputStream(os, mf)) {
            jos.putNextEntry(new JarEntry("io/acme/readme.txt"));
            jos.write("hello".getBytes());
            jos.closeEntry();
        }
    }

    @Test
    void withJarsInReadsTheManifestsOfTheJarsInEachFolder(@TempDir Path home) throws Exception {
        Path bundle = Files.createDirectories(home.resolve("bundle"));
        Path deploy = Files.createDirectories(home.resolve("deploy"));
        jar(bundle.resolve("acme.jar"), manifest("io.acme.connector", ACME_HEADER));
        jar(deploy.resolve("other.jar"), manifest("io.other", "tedge.config.key;tedge.config.key=\"other.level\";type=level;default=warn;doc=\"Level\""));
        jar(deploy.resolve("plain.jar"), manifest("io.plain", null));
        jar(deploy.resolve("no-manifest.jar"), null);
        Files.write(deploy.resolve("broken.jar"), new byte[] {'P', 'K', 3, 4, 1, 2, 3});
        Files.writeString(deploy.resolve("empty.jar"), "");
        jar(deploy.resolve("not-a-jar.zip"), manifest("io.zip", "tedge.config.key;tedge.config.key=\"zip.key\";doc=x"));

        ConfigRegistry r = ConfigRegistry.withJarsIn(bundle, deploy, home.resolve("missing"), null);
        assertThat(r.find("acme.url")).isNotNull();
        assertThat(r.find("acme.port").defaultValue()).isEqualTo("8883");
        assertThat(r.find("acme.mqtt").origin()).isEqualTo("io.acme.connector");
        assertThat(r.find("other.level")).isEqualTo(new ConfigKeyDef("other.level", "level", "warn", "Level", false, "io.other"));
        assertThat(r.find("zip.key")).isNull();
        assertThat(r.all()).hasSize(ConfigRegistry.core().all().size() + 4);
        assertThat(r.all()).extracting(ConfigKeyDef::key).startsWith("device.id");
    }

    @Test
    void withJarsInWithoutContributionsIsTheCoreRegistry(@TempDir Path home) throws Exception {
        Path deploy = Files.createDirectories(home.resolve("deploy"));
        Files.write(deploy.resolve("broken.jar"), new byte[] {1, 2, 3});
        assertThat(ConfigRegistry.withJarsIn(deploy, home.resolve("nothing-here"))).isSameAs(ConfigRegistry.core());
        assertThat(ConfigRegistry.withJarsIn()).isSameAs(ConfigRegistry.core());
        assertThat(ConfigRegistry.withJarsIn(home.resolve("a-file-not-a-dir"))).isSameAs(ConfigRegistry.core());
    }

    @Test
    void keysFromJarsAreUsableForSetAndGet(@TempDir Path home) throws Exception {
        Path bundle = Files.createDirectories(home.resolve("bundle"));
        jar(bundle.resolve("acme.jar"), manifest("io.acme.connector", ACME_HEADER));
        ConfigRegistry r = ConfigRegistry.withJarsIn(bundle);
        Path cfg = home.resolve("etc");
        TedgeConfig.set(cfg, r, "acme.url", "acme.example.com");
        assertThatThrownBy(() -> TedgeConfig.set(cfg, r, "acme.port", "70000")).hasMessageContaining("Invalid port number: '70000'.");
        TedgeConfig c = TedgeConfig.load(cfg, r);
        assertThat(c.get("acme.mqtt")).contains("acme.example.com:8883");
        assertThat(c.byPid().get("tedge.acme")).containsOnlyKeys("acme.url", "acme.port", "acme.mqtt");
        assertThat(Files.readString(cfg.resolve("tedge.toml"))).isEqualTo("[acme]\nurl = \"acme.example.com\"\n");
    }
}
