package io.tedge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading tedge.toml: defaults, derived values, thin-edge.io's own files (config-010..018). */
class TedgeConfigTest {

    @TempDir
    Path dir;

    private TedgeConfig load(String toml) throws Exception {
        Files.writeString(dir.resolve("tedge.toml"), toml, StandardCharsets.UTF_8);
        return TedgeConfig.load(dir, ConfigRegistry.core());
    }

    private static String value(TedgeConfig c, String key) throws ConfigException {
        return c.get(key).orElse(null);
    }

    private Map<String, String> defaults() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("device.key.path", dir + "/device-certs/tedge-private-key.pem");
        m.put("device.cert.path", dir + "/device-certs/tedge-certificate.pem");
        m.put("c8y.root.cert.path", "/etc/ssl/certs");
        m.put("az.root.cert.path", "/etc/ssl/certs");
        m.put("az.mapper.timestamp", "true");
        m.put("mqtt.port", "1883");
        m.put("mqtt.bind_address", "127.0.0.1");
        m.put("mqtt.client.host", "127.0.0.1");
        m.put("mqtt.client.port", "1883");
        m.put("mqtt.broker", "embedded");
        m.put("mqtt.journal.max_size", "128M"); // as written in the registry and the README (issue 13, item 9)
        m.put("mqtt.journal.fsync", "false");
        m.put("mqtt.max_connections", "1024");
        m.put("mqtt.max_queued_messages", "1000");
        m.put("mqtt.max_queued_bytes", "8M");
        m.put("mqtt.max_packet_size", "1M");
        m.put("bridge.reconnect.initial_ms", "1000");
        m.put("bridge.reconnect.max_ms", "60000");
        m.put("bridge.reconnect.jitter_ms", "500");
        m.put("bridge.inflight", "100");
        m.put("data.path", dir + "/data");
        m.put("logs.path", dir + "/logs");
        m.put("logs.level", "info");
        return m;
    }

    private static final List<String> UNSET_BY_DEFAULT = List.of("device.id", "c8y.url", "c8y.mqtt", "c8y.http", "az.url", "az.mqtt");

    @Test
    void missingFileGivesTheDefaults() throws Exception {
        TedgeConfig c = TedgeConfig.load(dir, ConfigRegistry.core());
        assertThat(c.dir()).isEqualTo(dir);
        assertThat(c.file()).isEqualTo(dir.resolve("tedge.toml"));
        for (Map.Entry<String, String> e : defaults().entrySet()) {
            assertThat(c.get(e.getKey())).as(e.getKey()).contains(e.getValue());
        }
        for (String k : UNSET_BY_DEFAULT) assertThat(c.get(k)).as(k).isEmpty();
        assertThat(c.problems()).isEmpty();
        assertThat(Files.exists(dir.resolve("tedge.toml"))).isFalse();
    }

    @Test
    void config011EmptyFileGivesTheDefaults() throws Exception {
        TedgeConfig c = load("");
        assertThat(value(c, "device.id")).isNull();
        assertThat(value(c, "device.cert.path")).isEqualTo(dir.resolve("device-certs/tedge-certificate.pem").toString());
        assertThat(value(c, "device.key.path")).isEqualTo(dir.resolve("device-certs/tedge-private-key.pem").toString());
        assertThat(value(c, "c8y.url")).isNull();
        assertThat(value(c, "c8y.root.cert.path")).isEqualTo("/etc/ssl/certs");
        assertThat(value(c, "az.url")).isNull();
        assertThat(value(c, "az.root.cert.path")).isEqualTo("/etc/ssl/certs");
        assertThat(value(c, "mqtt.port")).isEqualTo("1883");
    }

    @Test
    void config010ThinEdgesOwnFileWithConnectStrings() throws Exception {
        TedgeConfig c = load("\n[device]\nkey_path = \"/path/to/key\"\ncert_path = \"/path/to/cert\"\n\n[c8y]\n"
                + "url = \"your-tenant.cumulocity.com\"\nroot_cert_path = \"/path/to/c8y/root/cert\"\nconnect = \"true\"\n\n"
                + "[az]\nurl = \"MyAzure.azure-devices.net\"\nroot_cert_path = \"/path/to/azure/root/cert\"\nconnect = \"false\"\n\n"
                + "[mqtt]\nport = 1234\n");
        assertThat(value(c, "device.key.path")).isEqualTo("/path/to/key");
        assertThat(value(c, "device.cert.path")).isEqualTo("/path/to/cert");
        assertThat(value(c, "c8y.url")).isEqualTo("your-tenant.cumulocity.com");
        assertThat(value(c, "c8y.root.cert.path")).isEqualTo("/path/to/c8y/root/cert");
        assertThat(value(c, "az.url")).isEqualTo("MyAzure.azure-devices.net");
        assertThat(value(c, "az.root.cert.path")).isEqualTo("/path/to/azure/root/cert");
        assertThat(value(c, "mqtt.port")).isEqualTo("1234");
        // derived defaults
        assertThat(value(c, "c8y.mqtt")).isEqualTo("your-tenant.cumulocity.com:8883");
        assertThat(value(c, "c8y.http")).isEqualTo("your-tenant.cumulocity.com:443");
        assertThat(value(c, "az.mqtt")).isEqualTo("MyAzure.azure-devices.net:8883");
        assertThat(value(c, "mqtt.client.port")).isEqualTo("1234");
        // /path/to/cert does not exist: no device id, and no error
        assertThat(value(c, "device.id")).isNull();
        assertThat(c.problems()).isEmpty();
        // `connect` is not a key of this registry: kept in the file, not an error
        assertThat(c.explicit("c8y.url")).isEqualTo("your-tenant.cumulocity.com");
    }

    @Test
    void config012UnknownKeysAreIgnoredNotRejected() throws Exception {
        // thin-edge.io 0.2 rejects them (deny_unknown_fields); here they are kept for other versions and bundles
        TedgeConfig c = load("\nhey=\"tedge\"\n[c8y]\nhello=\"tedge\"\n");
        assertThat(c.problems()).isEmpty();
        assertThat(c.list(false)).extracting(Map.Entry::getKey).doesNotContain("hey", "c8y.hello");
    }

    @Test
    void config013StringPortIsAcceptedLeniently() throws Exception {
        // thin-edge.io 0.2: invalid type: string "1883", expected u16; tedge-osgi reads the text
        assertThat(value(load("\n[mqtt]\nport = \"1883\"\n"), "mqtt.port")).isEqualTo("1883");
    }

    @Test
    void config014InvalidTomlFailsWithFileAndLine() {
        assertThatThrownBy(() -> load("\n        <abcde>\n        "))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Failed to parse " + dir.resolve("tedge.toml") + ": invalid key character '<' at line 2 column 9"
                        + "\nFix the file by hand (it is TOML; `tedge config` cannot read it either until then).");
    }

    @Test
    void invalidTomlNamesALineBreakRatherThanPrintingIt() {
        assertThatThrownBy(() -> load("[c8y\nurl = \"x\"\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected ']', found a line break at line 1 column 5")
                .hasMessageNotContaining("'\n'");
    }

    @Test
    void config015AzureTableIsAnAliasOfAz() throws Exception {
        TedgeConfig c = load("\n[azure]\nurl = \"MyAzure.azure-devices.net\"\nroot_cert_path = \"/path/to/azure/root/cert\"\n"
                + "mapper_timestamp = true\n");
        assertThat(value(c, "az.url")).isEqualTo("MyAzure.azure-devices.net");
        assertThat(value(c, "az.root.cert.path")).isEqualTo("/path/to/azure/root/cert");
        assertThat(value(c, "az.mapper.timestamp")).isEqualTo("true");
        assertThat(value(c, "az.mqtt")).isEqualTo("MyAzure.azure-devices.net:8883");
    }

    @Test
    void azTableWinsOverAzureAlias() throws Exception {
        TedgeConfig c = load("[az]\nurl = \"new.azure-devices.net\"\n[azure]\nurl = \"old.azure-devices.net\"\nmapper_timestamp = false\n");
        assertThat(value(c, "az.url")).isEqualTo("new.azure-devices.net");
        assertThat(value(c, "az.mapper.timestamp")).isEqualTo("false");
    }

    @Test
    void config016DeviceIdInTheFileIsIgnored() throws Exception {
        TedgeConfig c = load("\n[device]\nid = \"ABCD1234\"              # ignored for backward compatibility\ncert_path = \"/path/to/cert\"\n");
        assertThat(value(c, "device.id")).isNull();
        assertThat(value(c, "device.cert.path")).isEqualTo("/path/to/cert");
    }

    @Test
    void config017NonPemCertificateGivesTheDerivationError() throws Exception {
        Path cert = dir.resolve("not-a-cert.pem");
        Files.writeString(cert, "this is not a certificate\n");
        TedgeConfig c = load("\n[device]\ncert_path = \"" + cert + "\"\n");
        assertThatThrownBy(() -> c.get("device.id"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Derivation for `device.id` failed: PEM file format error")
                .hasMessageContaining(cert.toString());
        assertThat(c.problems()).singleElement().asString().startsWith("Derivation for `device.id` failed: PEM file format error");
        assertThat(c.byPid().get("tedge.device")).doesNotContainKey("device.id").containsKey("device.cert.path");
        assertThatThrownBy(() -> c.list(false)).hasMessageContaining("PEM file format error");
    }

    @Test
    void emptyCertificateFileAndCertificateWithoutCnFailToo() throws Exception {
        Path empty = dir.resolve("empty.pem");
        Files.createFile(empty);
        assertThatThrownBy(() -> load("[device]\ncert_path = \"" + empty + "\"\n").get("device.id"))
                .hasMessageContaining("PEM file format error");
        Path noCn = dir.resolve("no-cn.pem");
        Files.writeString(noCn, TestCerts.selfSignedPem(null));
        assertThatThrownBy(() -> load("[device]\ncert_path = \"" + noCn + "\"\n").get("device.id"))
                .hasMessageContaining("PEM file format error");
    }

    @Test
    void config018DeviceIdIsTheCommonNameOfTheCertificate() throws Exception {
        Path cert = dir.resolve("device-certs/tedge-certificate.pem");
        Files.createDirectories(cert.getParent());
        Files.writeString(cert, TestCerts.selfSignedPem("device-serial-number"));
        // at the default path
        assertThat(value(TedgeConfig.load(dir, ConfigRegistry.core()), "device.id")).isEqualTo("device-serial-number");
        // and at a configured one
        Path other = dir.resolve("elsewhere.crt");
        Files.move(cert, other);
        TedgeConfig c = load("\n[device]\ncert_path = \"" + other + "\"\n");
        assertThat(value(c, "device.id")).isEqualTo("device-serial-number");
        assertThat(c.byPid().get("tedge.device")).containsEntry("device.id", "device-serial-number");
        assertThat(c.list(false).get(0)).isEqualTo(Map.entry("device.id", "device-serial-number"));
    }

    @Test
    void commonNameOfDerAndPem() throws Exception {
        byte[] der = TestCerts.selfSignedDer("Raspberrypi-4d18303a");
        assertThat(TedgeConfig.commonName(der)).isEqualTo("Raspberrypi-4d18303a");
        assertThat(TedgeConfig.commonName(TestCerts.pem(der).getBytes(StandardCharsets.US_ASCII))).isEqualTo("Raspberrypi-4d18303a");
    }

    @Test
    void c8yEndpointsDefaultFromTheUrlAndCanBeSetExplicitly() throws Exception {
        TedgeConfig c = load("[c8y]\nurl = \"tenant.example.com\"\nhttp = \"proxy.example.com:8443\"\n");
        assertThat(value(c, "c8y.mqtt")).isEqualTo("tenant.example.com:8883");
        assertThat(value(c, "c8y.http")).isEqualTo("proxy.example.com:8443");
        TedgeConfig noPort = load("[c8y]\nurl = \"tenant.example.com\"\nmqtt = \"mqtt.example.com\"\n");
        assertThat(value(noPort, "c8y.mqtt")).isEqualTo("mqtt.example.com:8883");
    }

    @Test
    void invalidUrlGivesNoDerivedEndpointButAnErrorOnTheUrl() throws Exception {
        TedgeConfig c = load("[c8y]\nurl = \"https://tenant.example.com\"\n");
        assertThat(c.get("c8y.mqtt")).isEmpty();
        assertThat(c.get("c8y.http")).isEmpty();
        assertThatThrownBy(() -> c.get("c8y.url"))
                .hasMessage("Invalid value for `c8y.url` in " + dir.resolve("tedge.toml") + " at line 2: "
                        + "Provided URL: 'https://tenant.example.com' contains scheme or port.\n"
                        + "         Provided URL should contain only domain, eg: 'subdomain.cumulocity.com'.\n"
                        + "Fix it with `tedge config set c8y.url <value>` or `tedge config unset c8y.url`.");
    }

    @ParameterizedTest
    @CsvSource({
            "'', 1883, 1883",
            "'[mqtt]\\nport = 1234\\n', 1234, 1234",
            "'[mqtt]\\nport = 1234\\n[mqtt.client]\\n', 1234, 1234",
            "'[mqtt]\\nport = 1234\\nclient_port = 2000\\n', 1234, 2000",
            "'[mqtt]\\nclient_port = 2000\\n', 1883, 2000",
    })
    void mqttClientPortFollowsMqttPort(String toml, String port, String clientPort) throws Exception {
        TedgeConfig c = load(toml.replace("\\n", "\n"));
        assertThat(value(c, "mqtt.port")).isEqualTo(port);
        assertThat(value(c, "mqtt.client.port")).isEqualTo(clientPort);
    }

    @Test
    void badValueInTheFileIsAnErrorWithItsLine() throws Exception {
        TedgeConfig c = load("[mqtt]\n\nport = 66000\n[az]\nmapper_timestamp = \"yes\"\n");
        assertThatThrownBy(() -> c.get("mqtt.port"))
                .hasMessage("Invalid value for `mqtt.port` in " + dir.resolve("tedge.toml") + " at line 3: Invalid port number: '66000'.\n"
                        + "Fix it with `tedge config set mqtt.port <value>` or `tedge config unset mqtt.port`.");
        // a default that refers to a bad value is no default
        assertThat(c.get("mqtt.client.port")).isEmpty();
        assertThat(c.problems()).hasSize(2);
        assertThat(c.problems().get(0)).contains("az.mapper.timestamp", "line 5", "Failed to parse flag: yes. Supported values are: true, false");
        assertThat(c.byPid().get("tedge.mqtt")).doesNotContainKeys("mqtt.port", "mqtt.client.port").containsKey("mqtt.bind_address");
    }

    @Test
    void unknownKeyError() throws Exception {
        TedgeConfig c = load("");
        String msg = "Invalid key `c8y.nope'. See `tedge config list --doc` for a list of valid keys.";
        assertThatThrownBy(() -> c.get("c8y.nope")).isInstanceOf(ConfigException.class).hasMessage(msg);
        assertThatThrownBy(() -> c.def("c8y.nope")).hasMessage(msg);
        assertThatThrownBy(() -> c.explicit("c8y.nope")).hasMessage(msg);
    }

    @Test
    void requireAndExplicit() throws Exception {
        TedgeConfig c = load("[mqtt]\nport = 1234\n");
        assertThat(c.require("mqtt.port")).isEqualTo("1234");
        assertThat(c.explicit("mqtt.port")).isEqualTo("1234");
        assertThat(c.explicit("mqtt.client.port")).isNull();
        assertThat(c.require("logs.level")).isEqualTo("info");
        assertThatThrownBy(() -> c.require("c8y.url"))
                .hasMessage("The configuration key `c8y.url` is not set. Set it with `tedge config set c8y.url <value>`.");
    }

    @Test
    void listInRegistryOrderAndAllAppendsUnsetKeys() throws Exception {
        TedgeConfig c = load("[c8y]\nurl = \"t.example.com\"\n[mqtt]\nport = 1234\n");
        List<Map.Entry<String, String>> set = c.list(false);
        assertThat(set).extracting(Map.Entry::getKey).containsExactly("device.key.path", "device.cert.path", "c8y.url",
                "c8y.root.cert.path", "c8y.mqtt", "c8y.http", "az.root.cert.path", "az.mapper.timestamp", "mqtt.port",
                "mqtt.bind_address", "mqtt.client.host", "mqtt.client.port", "mqtt.broker", "mqtt.journal.max_size",
                "mqtt.journal.fsync", "mqtt.max_connections", "mqtt.max_queued_messages", "mqtt.max_queued_bytes", "mqtt.max_packet_size",
                "bridge.reconnect.initial_ms", "bridge.reconnect.max_ms", "bridge.reconnect.jitter_ms",
                "bridge.inflight", "data.path", "logs.path", "logs.level");
        assertThat(set).contains(Map.entry("c8y.mqtt", "t.example.com:8883"), Map.entry("mqtt.client.port", "1234"));
        List<Map.Entry<String, String>> all = c.list(true);
        assertThat(all.subList(0, set.size())).isEqualTo(set);
        assertThat(all.subList(set.size(), all.size())).containsExactly(
                Map.entry("device.id", ""), Map.entry("az.url", ""), Map.entry("az.mqtt", ""));
    }

    @Test
    void sizesArePrintedAsWrittenAndPushedInBytes() throws Exception {
        TedgeConfig c = load("[mqtt]\njournal_max_size = \"512k\"\n");
        assertThat(c.get("mqtt.journal.max_size")).contains("512k");
        assertThat(c.list(false)).contains(Map.entry("mqtt.journal.max_size", "512k"));
        assertThat(c.byPid().get("tedge.mqtt")).containsEntry("mqtt.journal.max_size", "524288");
        assertThat(load("[mqtt]\njournal_max_size = 1048576\n").get("mqtt.journal.max_size")).contains("1048576");
    }

    @Test
    void byPidGroupsByTable() throws Exception {
        TedgeConfig c = load("[c8y]\nurl = \"t.example.com\"\n[mqtt]\nport = 1234\n");
        Map<String, Map<String, String>> p = c.byPid();
        assertThat(p.keySet()).containsExactly("tedge.device", "tedge.c8y", "tedge.az", "tedge.mqtt", "tedge.bridge", "tedge.data", "tedge.logs");
        assertThat(p.get("tedge.c8y")).containsExactly(
                Map.entry("c8y.url", "t.example.com"),
                Map.entry("c8y.root.cert.path", "/etc/ssl/certs"),
                Map.entry("c8y.mqtt", "t.example.com:8883"),
                Map.entry("c8y.http", "t.example.com:443"));
        assertThat(p.get("tedge.az")).containsExactly(
                Map.entry("az.root.cert.path", "/etc/ssl/certs"),
                Map.entry("az.mapper.timestamp", "true"));
        assertThat(p.get("tedge.mqtt")).containsEntry("mqtt.port", "1234").containsEntry("mqtt.client.port", "1234").hasSize(11)
                .containsEntry("mqtt.journal.max_size", "134217728") // components get bytes
                .containsEntry("mqtt.max_queued_bytes", "8388608").containsEntry("mqtt.max_packet_size", "1048576");
        assertThat(p.get("tedge.data")).containsExactly(Map.entry("data.path", dir + "/data"));
        assertThat(p.get("tedge.device")).doesNotContainKey("device.id");
    }

    @Test
    void contributedKeysWithDefaultsReferringToOtherKeysAndTheConfigDir() throws Exception {
        ConfigRegistry reg = ConfigRegistry.core().plus(List.of(
                new ConfigKeyDef("acme.url", "url", null, "ACME host", false, "acme.bundle"),
                new ConfigKeyDef("acme.mqtt", "host_port", "${acme.url}:8884", "ACME MQTT", false, "acme.bundle"),
                new ConfigKeyDef("acme.port", "port", "${mqtt.port}", "port", false, "acme.bundle"),
                new ConfigKeyDef("acme.cache.path", "path", "${config.dir}/acme", "cache", false, "acme.bundle"),
                new ConfigKeyDef("acme.ghost", "string", "${no.such.key}", "refers to an unknown key", false, "acme.bundle"),
                new ConfigKeyDef("acme.loop_a", "string", "${acme.loop_b}", "cycle", false, "acme.bundle"),
                new ConfigKeyDef("acme.loop_b", "string", "${acme.loop_a}", "cycle", false, "acme.bundle")));
        Files.writeString(dir.resolve("tedge.toml"), "[acme]\nurl = \"acme.example.com\"\n[mqtt]\nport = 1999\n");
        TedgeConfig c = TedgeConfig.load(dir, reg);
        assertThat(value(c, "acme.mqtt")).isEqualTo("acme.example.com:8884");
        assertThat(value(c, "acme.port")).isEqualTo("1999");
        assertThat(value(c, "acme.cache.path")).isEqualTo(dir + "/acme");
        assertThat(value(c, "acme.ghost")).isNull();
        assertThat(value(c, "acme.loop_a")).isNull();
        assertThat(c.byPid()).containsKey("tedge.acme");
        assertThat(c.byPid().get("tedge.acme")).containsOnlyKeys("acme.url", "acme.mqtt", "acme.port", "acme.cache.path");
        assertThat(c.registry()).isSameAs(reg);
    }

    @Test
    void configDirWithRegexSpecialCharactersInDefaults(@TempDir Path base) throws Exception {
        Path odd = base.resolve("a$1\\b");
        Files.createDirectories(odd);
        TedgeConfig c = TedgeConfig.load(odd, ConfigRegistry.core());
        assertThat(c.get("data.path")).isEqualTo(Optional.of(odd + "/data"));
    }
}
