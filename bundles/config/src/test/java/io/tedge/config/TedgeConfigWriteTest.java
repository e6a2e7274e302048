package io.tedge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** tedge config set / unset: typed, atomic, and the file untouched when refused. */
class TedgeConfigWriteTest {

    private static final String READONLY = "Readonly setting: The device id is read from the device certificate and cannot be set directly.\n"
            + "To set 'device.id' to some <id>, you can use `tedge cert create --device-id <id>`.";

    private static final String THIN_EDGE_FILE = "\n[device]\nkey_path = \"/path/to/key\"\ncert_path = \"/path/to/cert\"\n\n[c8y]\n"
            + "url = \"your-tenant.cumulocity.com\"\nroot_cert_path = \"/path/to/c8y/root/cert\"\nconnect = \"true\"\n\n"
            + "[az]\nurl = \"MyAzure.azure-devices.net\"\nroot_cert_path = \"/path/to/azure/root/cert\"\nconnect = \"false\"\n\n"
            + "[mqtt]\nport = 1234\n";

    @TempDir
    Path dir;

    private final ConfigRegistry reg = ConfigRegistry.core();

    private Path file() {
        return dir.resolve("tedge.toml");
    }

    private String text() throws Exception {
        return Files.readString(file(), StandardCharsets.UTF_8);
    }

    private void write(String s) throws Exception {
        Files.writeString(file(), s, StandardCharsets.UTF_8);
    }

    @Test
    void setCreatesTheDirectoryAndTheFile() throws Exception {
        Path sub = dir.resolve("not/yet");
        TedgeConfig.set(sub, reg, "c8y.url", "tenant.example.com");
        assertThat(Files.readString(sub.resolve("tedge.toml"))).isEqualTo("[c8y]\nurl = \"tenant.example.com\"\n");
        assertThat(TedgeConfig.load(sub, reg).get("c8y.url")).contains("tenant.example.com");
        assertThat(sub.resolve("tedge.toml.tmp")).doesNotExist();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "mqtt.port | 1234 | [mqtt]\\nport = 1234\\n",
            "mqtt.port | ' 8883 ' | [mqtt]\\nport = 8883\\n",
            "mqtt.client.port | 2000 | [mqtt]\\nclient_port = 2000\\n",
            "az.mapper.timestamp | false | [az]\\nmapper_timestamp = false\\n",
            "mqtt.journal.fsync | true | [mqtt]\\njournal_fsync = true\\n",
            "mqtt.journal.max_size | 64M | [mqtt]\\njournal_max_size = \"64M\"\\n",
            "mqtt.journal.max_size | ' 10 MB ' | [mqtt]\\njournal_max_size = \"10MB\"\\n",
            "mqtt.journal.max_size | 1048576 | [mqtt]\\njournal_max_size = 1048576\\n",
            "mqtt.max_queued_bytes | 16M | [mqtt]\\nmax_queued_bytes = \"16M\"\\n",
            "mqtt.max_connections | 2048 | [mqtt]\\nmax_connections = 2048\\n",
            "c8y.url | ' tenant.example.com ' | [c8y]\\nurl = \"tenant.example.com\"\\n",
            "c8y.root.cert.path | /etc/ssl/certs/ca.pem | [c8y]\\nroot_cert_path = \"/etc/ssl/certs/ca.pem\"\\n",
            "c8y.http | tenant.example.com | [c8y]\\nhttp = \"tenant.example.com:443\"\\n",
            "c8y.mqtt | tenant.example.com:1884 | [c8y]\\nmqtt = \"tenant.example.com:1884\"\\n",
            "mqtt.bind_address | 0.0.0.0 | [mqtt]\\nbind_address = \"0.0.0.0\"\\n",
            "mqtt.broker | External | [mqtt]\\nbroker = \"external\"\\n",
            "logs.level | DEBUG | [logs]\\nlevel = \"debug\"\\n",
            "mqtt.client.host | 'broker \"one\"' | [mqtt]\\nclient_host = \"broker \\\"one\\\"\"\\n",
    })
    void setWritesTheTypedCanonicalValue(String key, String value, String expected) throws Exception {
        TedgeConfig.set(dir, reg, key, value);
        assertThat(text()).isEqualTo(expected.replace("\\n", "\n"));
    }

    @Test
    void setKeepsOtherTablesAndUnknownKeys() throws Exception {
        write(THIN_EDGE_FILE);
        TedgeConfig.set(dir, reg, "mqtt.port", "1883");
        TedgeConfig.set(dir, reg, "c8y.url", "other.cumulocity.com");
        TedgeConfig.set(dir, reg, "az.mapper.timestamp", "false");
        assertThat(text()).isEqualTo(String.join("\n",
                "[device]",
                "key_path = \"/path/to/key\"",
                "cert_path = \"/path/to/cert\"",
                "",
                "[c8y]",
                "url = \"other.cumulocity.com\"",
                "root_cert_path = \"/path/to/c8y/root/cert\"",
                "connect = \"true\"",
                "",
                "[az]",
                "url = \"MyAzure.azure-devices.net\"",
                "root_cert_path = \"/path/to/azure/root/cert\"",
                "connect = \"false\"",
                "mapper_timestamp = false",
                "",
                "[mqtt]",
                "port = 1883",
                ""));
    }

    @Test
    void setKeepsVendorTablesRootKeysAndArrays() throws Exception {
        write("version = 2\n[acme]\nurl = \"acme.example.com\"\ntopics = [\"a\", \"b\"]\n[c8y.smartrest]\ntemplates = []\n");
        TedgeConfig.set(dir, reg, "c8y.url", "tenant.example.com");
        assertThat(text()).isEqualTo("version = 2\n\n[acme]\nurl = \"acme.example.com\"\ntopics = [\"a\", \"b\"]\n\n"
                + "[c8y.smartrest]\ntemplates = []\n\n[c8y]\nurl = \"tenant.example.com\"\n");
    }

    @Test
    void setOnAnAzureFileMigratesItToAz() throws Exception {
        write("[azure]\nurl = \"MyAzure.azure-devices.net\"\nmapper_timestamp = true\n");
        TedgeConfig.set(dir, reg, "az.mapper.timestamp", "false");
        assertThat(text()).isEqualTo("[az]\nurl = \"MyAzure.azure-devices.net\"\nmapper_timestamp = false\n");
    }

    @Test
    void setOfAContributedKeyWritesItsTable() throws Exception {
        ConfigRegistry withAcme = reg.plus(List.of(new ConfigKeyDef("acme.root.cert.path", "path", null, "d", false, "acme")));
        TedgeConfig.set(dir, withAcme, "acme.root.cert.path", "/etc/acme");
        assertThat(text()).isEqualTo("[acme]\nroot_cert_path = \"/etc/acme\"\n");
        assertThatThrownBy(() -> TedgeConfig.set(dir, reg, "acme.root.cert.path", "/x"))
                .hasMessage("Invalid key `acme.root.cert.path'. See `tedge config list --doc` for a list of valid keys.");
    }

    @Test
    void settingTheSameValueLeavesTheFileAsItWasCommentsIncluded() throws Exception {
        String original = "# my comment\n[mqtt]\nport = 1234 # the port\n";
        write(original);
        TedgeConfig.set(dir, reg, "mqtt.port", "1234");
        assertThat(text()).isEqualTo(original);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "c8y.nope | x | Invalid key `c8y.nope'. See `tedge config list --doc` for a list of valid keys.",
            "nodots | x | Invalid key `nodots'. See `tedge config list --doc` for a list of valid keys.",
            "mqtt.port | 66000 | Invalid value for `mqtt.port`: Invalid port number: '66000'.",
            "az.mapper.timestamp | unknown | Invalid value for `az.mapper.timestamp`: Failed to parse flag: unknown. Supported values are: true, false",
            "c8y.url | test.address.com:8883 | Invalid value for `c8y.url`: Provided URL: 'test.address.com:8883' contains scheme or port.\\n         Provided URL should contain only domain, eg: 'subdomain.cumulocity.com'.",
            "c8y.url | http://test.address.com | Invalid value for `c8y.url`: Provided URL: 'http://test.address.com' contains scheme or port.\\n         Provided URL should contain only domain, eg: 'subdomain.cumulocity.com'.",
            "mqtt.bind_address | localhost | Invalid value for `mqtt.bind_address`: Invalid IP address: 'localhost'. Expected an IPv4 or IPv6 address, eg: '127.0.0.1'.",
            "mqtt.broker | mosquitto | Invalid value for `mqtt.broker`: Invalid value 'mosquitto'. Supported values are: embedded, external",
            "device.id | my-device | " + "READONLY",
    })
    void refusedSetLeavesTheFileByteIdentical(String key, String value, String message) throws Exception {
        String expected = message.equals("READONLY") ? READONLY : message.replace("\\n", "\n");
        byte[] before = ("# hand written, with a comment\n[mqtt]\nport = 1234\n[unknown]\nx = 'y'\n").getBytes(StandardCharsets.UTF_8);
        Files.write(file(), before);
        assertThatThrownBy(() -> TedgeConfig.set(dir, reg, key, value)).isInstanceOf(ConfigException.class).hasMessage(expected);
        assertThat(Files.readAllBytes(file())).isEqualTo(before);
        assertThat(dir.resolve("tedge.toml.tmp")).doesNotExist();
        // and when there is no file, none is created, nor the folder
        Path none = dir.resolve("absent");
        assertThatThrownBy(() -> TedgeConfig.set(none, reg, key, value)).hasMessage(expected);
        assertThat(none).doesNotExist();
    }

    @Test
    void refusedUnsetLeavesTheFileByteIdentical() throws Exception {
        byte[] before = "[device]\nid = \"ABCD1234\"\n".getBytes(StandardCharsets.UTF_8);
        Files.write(file(), before);
        assertThatThrownBy(() -> TedgeConfig.unset(dir, reg, "device.id")).hasMessage(READONLY);
        assertThatThrownBy(() -> TedgeConfig.unset(dir, reg, "device.nope"))
                .hasMessage("Invalid key `device.nope'. See `tedge config list --doc` for a list of valid keys.");
        assertThat(Files.readAllBytes(file())).isEqualTo(before);
        Path none = dir.resolve("absent");
        assertThatThrownBy(() -> TedgeConfig.unset(none, reg, "device.id")).hasMessage(READONLY);
        assertThat(none).doesNotExist();
    }

    @Test
    void setOnAFileWithASyntaxErrorFailsNamingFileAndLine() throws Exception {
        byte[] before = "[c8y]\nurl = \"tenant.example.com\"\nroot_cert_path = \"/etc/ssl/certs\n[mqtt]\nport = 1883\n"
                .getBytes(StandardCharsets.UTF_8);
        Files.write(file(), before);
        assertThatThrownBy(() -> TedgeConfig.set(dir, reg, "mqtt.port", "1884"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Failed to parse " + file() + ": unterminated string at line 3")
                .hasMessageContaining("line 3");
        assertThatThrownBy(() -> TedgeConfig.unset(dir, reg, "mqtt.port"))
                .hasMessageStartingWith("Failed to parse " + file() + ": unterminated string at line 3");
        assertThat(Files.readAllBytes(file())).isEqualTo(before);
        assertThat(dir.resolve("tedge.toml.tmp")).doesNotExist();
    }

    @Test
    void unsetRemovesTheKeyAndAnEmptiedTable() throws Exception {
        write(THIN_EDGE_FILE);
        TedgeConfig.unset(dir, reg, "mqtt.port");
        TedgeConfig.unset(dir, reg, "c8y.root.cert.path");
        String t = text();
        assertThat(t).doesNotContain("[mqtt]").doesNotContain("/path/to/c8y/root/cert").contains("connect = \"true\"");
        TedgeConfig c = TedgeConfig.load(dir, reg);
        assertThat(c.get("mqtt.port")).contains("1883");
        assertThat(c.get("c8y.root.cert.path")).contains("/etc/ssl/certs");
        assertThat(c.get("c8y.url")).contains("your-tenant.cumulocity.com");
        // unsetting a key that is not there changes nothing
        TedgeConfig.unset(dir, reg, "mqtt.port");
        assertThat(text()).isEqualTo(t);
    }

    @Test
    void unsetRemovesAKeyReadThroughTheAzureAlias() throws Exception {
        write("[azure]\nurl = \"MyAzure.azure-devices.net\"\nmapper_timestamp = true\n");
        TedgeConfig.unset(dir, reg, "az.url");
        assertThat(text()).isEqualTo("[az]\nmapper_timestamp = true\n");
    }

    @Test
    void setThenGetRoundTripOfEveryWritableCoreKey() throws Exception {
        String[][] values = {
                {"device.key.path", "/k.pem"}, {"device.cert.path", "/c.pem"}, {"c8y.url", "t.example.com"},
                {"c8y.root.cert.path", "/r"}, {"c8y.mqtt", "m.example.com:8883"}, {"c8y.http", "h.example.com:443"},
                {"az.url", "a.azure-devices.net"}, {"az.root.cert.path", "/ar"}, {"az.mqtt", "a.azure-devices.net:8883"},
                {"az.mapper.timestamp", "false"}, {"mqtt.port", "1999"}, {"mqtt.bind_address", "::1"},
                {"mqtt.client.host", "localhost"}, {"mqtt.client.port", "2000"}, {"mqtt.broker", "external"},
                {"mqtt.journal.max_size", "1024"}, {"mqtt.journal.fsync", "true"}, {"mqtt.max_connections", "2048"},
                {"mqtt.max_queued_messages", "5000"}, {"mqtt.max_queued_bytes", "16777216"}, {"mqtt.max_packet_size", "262144"},
                {"bridge.reconnect.initial_ms", "5000"},
                {"bridge.reconnect.max_ms", "600000"}, {"bridge.reconnect.jitter_ms", "0"}, {"bridge.inflight", "20"}, {"data.path", "/var/tedge"},
                {"logs.path", "/var/log/tedge"}, {"logs.level", "trace"}};
        for (String[] kv : values) TedgeConfig.set(dir, reg, kv[0], kv[1]);
        TedgeConfig c = TedgeConfig.load(dir, reg);
        for (String[] kv : values) assertThat(c.get(kv[0])).as(kv[0]).contains(kv[1]);
        assertThat(c.problems()).isEmpty();
        assertThat(reg.all()).hasSize(values.length + 1); // every key but device.id
    }

    @Test
    void writeKeepsThePermissionsOfTheFile() throws Exception {
        write("[mqtt]\nport = 1234\n");
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r-----"));
        TedgeConfig.set(dir, reg, "mqtt.port", "1235");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-r-----");
        assertThat(text()).isEqualTo("[mqtt]\nport = 1235\n");
    }

    @Test
    void writeAtomicallyReplacesTheContentAndLeavesNoTempFile() throws Exception {
        write("old content that is longer than the new one\n");
        Files.writeString(dir.resolve("tedge.toml.tmp"), "stale temp from a crash");
        TedgeConfig.writeAtomically(file(), "new\n".getBytes(StandardCharsets.UTF_8));
        assertThat(text()).isEqualTo("new\n");
        assertThat(dir.resolve("tedge.toml.tmp")).doesNotExist();
    }

    @Test
    void aSnapshotDoesNotSeeLaterWrites() throws Exception {
        write("[mqtt]\nport = 1234\n");
        TedgeConfig before = TedgeConfig.load(dir, reg);
        TedgeConfig.set(dir, reg, "mqtt.port", "1235");
        assertThat(before.get("mqtt.port")).contains("1234");
        assertThat(TedgeConfig.load(dir, reg).get("mqtt.port")).contains("1235");
    }
}
