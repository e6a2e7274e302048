package io.tedge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import io.tedge.cli.CliRunner.Result;
import io.tedge.config.ConfigKeyDef;
import io.tedge.config.ConfigRegistry;

/** {@code tedge config ...} and the dispatcher: output, errors and exit codes as thin-edge.io's. */
class ConfigCliTest {

    @TempDir
    Path dir;

    CliRunner cli;

    @BeforeEach
    void setUp() {
        cli = new CliRunner(dir);
    }

    private Path toml() {
        return dir.resolve("tedge.toml");
    }

    private static void assertOk(Result r, String out) {
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo(out);
        assertThat(r.code()).isZero();
    }

    private static void assertError(Result r, String message) {
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("Error: " + message + "\n");
        assertThat(r.code()).isEqualTo(1);
    }

    @Test
    void keysOfAnAbsentPlugInStayReadableFromTheFile() throws Exception {
        java.nio.file.Files.writeString(toml(), "[acme]\nurl = \"acme.example.com\"\nroot_cert_path = \"/etc/acme\"\nconnect = \"true\"\n");
        Result get = cli.run("config", "get", "acme.url");
        assertThat(get.code()).isZero();
        assertThat(get.out()).isEqualTo("acme.example.com\n");
        assertThat(get.err()).isEqualTo("acme.url (not declared by an installed bundle)\n");
        assertThat(cli.run("config", "get", "acme.root.cert.path").out()).isEqualTo("/etc/acme\n");
        assertThat(cli.run("config", "list").out()).contains("acme.url=acme.example.com  (not declared by an installed bundle)\n")
                .contains("acme.root_cert_path=/etc/acme  (not declared by an installed bundle)\n").doesNotContain("acme.connect");
        // still not writable: nothing declares its type
        assertError(cli.run("config", "set", "acme.url", "x"), "Invalid key `acme.url'. See `tedge config list --doc` for a list of valid keys.");
        assertThat(cli.run("config", "get", "acme.nothing").code()).isEqualTo(1);
        // but it can be removed without editing the file; a key the file does not hold is still refused
        assertThat(cli.run("config", "unset", "acme.root.cert.path").code()).isZero();
        assertThat(java.nio.file.Files.readString(toml())).doesNotContain("root_cert_path").contains("url = \"acme.example.com\"")
                .contains("connect = \"true\"");
        assertError(cli.run("config", "unset", "acme.nothing"), "Invalid key `acme.nothing'. See `tedge config list --doc` for a list of valid keys.");
        assertError(cli.run("config", "unset", "acme.connect"), "Invalid key `acme.connect'. See `tedge config list --doc` for a list of valid keys.");
    }

    // ------------------------------------------------------------------ get / set / unset

    @Test
    void getOfAnUnsetKeyExitsZero() {
        assertOk(cli.run("config", "get", "c8y.url"), "The provided config key: 'c8y.url' is not set\n");
        assertOk(cli.run("config", "get", "device.id"), "The provided config key: 'device.id' is not set\n");
        assertThat(toml()).doesNotExist();
    }

    @Test
    void getOfADefault() {
        assertOk(cli.run("config", "get", "mqtt.port"), "1883\n");
        assertOk(cli.run("config", "get", "c8y.root.cert.path"), "/etc/ssl/certs\n");
        assertOk(cli.run("config", "get", "device.cert.path"), dir.resolve("device-certs/tedge-certificate.pem") + "\n");
        // core keys never need the jar scan
        assertThat(cli.fullRegistryCalls).hasValue(0);
    }

    @Test
    void setGetUnsetRoundTrip() throws Exception {
        assertOk(cli.run("config", "set", "c8y.url", "tenant.example.com"), "");
        assertOk(cli.run("config", "get", "c8y.url"), "tenant.example.com\n");
        assertOk(cli.run("config", "get", "c8y.mqtt"), "tenant.example.com:8883\n");
        assertOk(cli.run("config", "get", "c8y.http"), "tenant.example.com:443\n");
        assertOk(cli.run("config", "set", "mqtt.port", "1884"), "");
        assertOk(cli.run("config", "get", "mqtt.client.port"), "1884\n");
        assertOk(cli.run("config", "set", "az.mapper.timestamp", "false"), "");
        assertThat(Files.readString(toml())).isEqualTo("[c8y]\nurl = \"tenant.example.com\"\n\n[mqtt]\nport = 1884\n\n"
                + "[az]\nmapper_timestamp = false\n");
        assertOk(cli.run("config", "unset", "c8y.url"), "");
        assertOk(cli.run("config", "get", "c8y.url"), "The provided config key: 'c8y.url' is not set\n");
        assertOk(cli.run("config", "get", "c8y.mqtt"), "The provided config key: 'c8y.mqtt' is not set\n");
        assertThat(cli.fullRegistryCalls).hasValue(0);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "set | mqtt.port | 66000 | Invalid value for `mqtt.port`: Invalid port number: '66000'.",
            "set | az.mapper.timestamp | unknown | Invalid value for `az.mapper.timestamp`: Failed to parse flag: unknown. Supported values are: true, false",
            "set | c8y.url | test.address.com:8883 | Invalid value for `c8y.url`: Provided URL: 'test.address.com:8883' contains scheme or port.\\n         Provided URL should contain only domain, eg: 'subdomain.cumulocity.com'.",
            "set | c8y.url | http://test.address.com | Invalid value for `c8y.url`: Provided URL: 'http://test.address.com' contains scheme or port.\\n         Provided URL should contain only domain, eg: 'subdomain.cumulocity.com'.",
            "set | c8y.nope | x | Invalid key `c8y.nope'. See `tedge config list --doc` for a list of valid keys.",
            "set | device.id | my-id | Readonly setting: The device id is read from the device certificate and cannot be set directly.\\nTo set 'device.id' to some <id>, you can use `tedge cert create --device-id <id>`.",
    })
    void badSetExitsOneAndLeavesTheFileAlone(String sub, String key, String value, String message) throws Exception {
        byte[] before = "# mine\n[mqtt]\nport = 1234\n".getBytes(StandardCharsets.UTF_8);
        Files.write(toml(), before);
        assertError(cli.run("config", sub, key, value), message.replace("\\n", "\n"));
        assertThat(Files.readAllBytes(toml())).isEqualTo(before);
    }

    @Test
    void badKeysForGetAndUnset() {
        String invalid = "Invalid key `nope.key'. See `tedge config list --doc` for a list of valid keys.";
        assertError(cli.run("config", "get", "nope.key"), invalid);
        assertError(cli.run("config", "unset", "nope.key"), invalid);
        assertError(cli.run("config", "unset", "device.id"),
                "Readonly setting: The device id is read from the device certificate and cannot be set directly.\n"
                        + "To set 'device.id' to some <id>, you can use `tedge cert create --device-id <id>`.");
        assertThat(toml()).doesNotExist();
        // an unknown key is looked up in the full registry (the bundles' keys)
        assertThat(cli.fullRegistryCalls.get()).isPositive();
    }

    @Test
    void getOfDeviceIdWithABadCertificate() throws Exception {
        Path cert = dir.resolve("device-certs/tedge-certificate.pem");
        Files.createDirectories(cert.getParent());
        Files.writeString(cert, "garbage");
        assertError(cli.run("config", "get", "device.id"), "Derivation for `device.id` failed: PEM file format error (" + cert + ")");
    }

    @Test
    void aBrokenFileIsReportedWithItsLine() throws Exception {
        Files.writeString(toml(), "[c8y]\nurl = \"x\n");
        Result r = cli.run("config", "get", "c8y.url");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("Error: Failed to parse " + toml() + ": unterminated string at line 2");
        Result s = cli.run("config", "set", "c8y.url", "y.example.com");
        assertThat(s.code()).isEqualTo(1);
        assertThat(s.err()).contains(toml().toString(), "line 2");
        assertThat(Files.readString(toml())).isEqualTo("[c8y]\nurl = \"x\n");
    }

    @Test
    void contributedKeysGoThroughTheFullRegistry() throws Exception {
        ConfigRegistry reg = ConfigRegistry.core().plus(List.of(
                new ConfigKeyDef("acme.url", "url", null, "Host name of the ACME cloud.", false, "io.acme"),
                new ConfigKeyDef("acme.offset", "int", "0", "A signed offset.", false, "io.acme")));
        CliRunner acme = new CliRunner(dir, reg);
        assertOk(acme.run("config", "set", "acme.url", "acme.example.com"), "");
        // a negative number is a value, not an option
        assertOk(acme.run("config", "set", "acme.offset", "-5"), "");
        assertOk(acme.run("config", "get", "acme.offset"), "-5\n");
        assertOk(acme.run("config", "get", "acme.url"), "acme.example.com\n");
        assertThat(Files.readString(toml())).isEqualTo("[acme]\nurl = \"acme.example.com\"\noffset = -5\n");
        // without the bundle the file's value is still shown (issue 10), marked as such
        Result absent = cli.run("config", "get", "acme.url");
        assertThat(absent.out()).isEqualTo("acme.example.com\n");
        assertThat(absent.err()).isEqualTo("acme.url (not declared by an installed bundle)\n");
        Result list = acme.run("config", "list");
        assertThat(list.out()).endsWith("logs.level=info\nacme.url=acme.example.com\nacme.offset=-5\n");
    }

    // ------------------------------------------------------------------ list

    private List<String> defaultLines() {
        return List.of(
                "device.key.path=" + dir + "/device-certs/tedge-private-key.pem",
                "device.cert.path=" + dir + "/device-certs/tedge-certificate.pem",
                "c8y.root.cert.path=/etc/ssl/certs",
                "az.root.cert.path=/etc/ssl/certs",
                "az.mapper.timestamp=true",
                "mqtt.port=1883",
                "mqtt.bind_address=127.0.0.1",
                "mqtt.client.host=127.0.0.1",
                "mqtt.client.port=1883",
                "mqtt.broker=embedded",
                "mqtt.journal.max_size=128M",
                "mqtt.journal.fsync=false",
                "mqtt.max_connections=1024",
                "mqtt.max_queued_messages=1000",
                "mqtt.max_queued_bytes=8M",
                "mqtt.max_packet_size=1M",
                "bridge.reconnect.initial_ms=1000",
                "bridge.reconnect.max_ms=60000",
                "bridge.reconnect.jitter_ms=500",
                "bridge.inflight=100",
                "data.path=" + dir + "/data",
                "logs.path=" + dir + "/logs",
                "logs.level=info");
    }

    @Test
    void listPrintsSetKeysInRegistryOrder() {
        assertOk(cli.run("config", "list"), String.join("\n", defaultLines()) + "\n");
    }

    @Test
    void listAllAddsABlankLineThenTheUnsetKeys() {
        List<String> lines = new ArrayList<>(defaultLines());
        lines.add("");
        lines.addAll(List.of("device.id=", "c8y.url=", "c8y.mqtt=", "c8y.http=", "az.url=", "az.mqtt="));
        assertOk(cli.run("config", "list", "--all"), String.join("\n", lines) + "\n");
    }

    @Test
    void listAfterSettingTheCloudUrls() {
        assertOk(cli.run("config", "set", "c8y.url", "t.example.com"), "");
        assertOk(cli.run("config", "set", "az.url", "a.azure-devices.net"), "");
        Result r = cli.run("config", "list", "--all");
        assertThat(r.code()).isZero();
        String[] parts = r.out().split("\n\n", -1);
        assertThat(parts).hasSize(2);
        assertThat(parts[0]).contains("c8y.url=t.example.com\nc8y.root.cert.path=/etc/ssl/certs\nc8y.mqtt=t.example.com:8883\n"
                + "c8y.http=t.example.com:443\naz.url=a.azure-devices.net\n");
        assertThat(parts[1]).isEqualTo("device.id=\n");
    }

    @Test
    void listWithoutUnsetKeysHasNoBlankLine() throws Exception {
        ConfigRegistry onlyDefaults = ConfigRegistry.core().plus(List.of());
        // every key set: no blank line with --all
        for (String[] kv : new String[][] {{"c8y.url", "t.example.com"}, {"az.url", "a.example.com"}}) {
            cli.run("config", "set", kv[0], kv[1]);
        }
        Path cert = dir.resolve("device-certs/tedge-certificate.pem");
        Files.createDirectories(cert.getParent());
        Files.writeString(cert, TestPem.CERT);
        Result r = new CliRunner(dir, onlyDefaults).run("config", "list", "--all");
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).doesNotContain("\n\n").startsWith("device.id=device-serial-number\n");
        assertThat(r.out().split("\n")).hasSize(ConfigRegistry.core().all().size());
    }

    @Test
    void listDocPadsEachKeyTo30Columns() {
        ConfigRegistry reg = ConfigRegistry.core().plus(List.of(
                new ConfigKeyDef("acme.a.rather.long.key.name.beyond.thirty", "string", null, "Long.", false, "io.acme")));
        Result r = new CliRunner(dir, reg).run("config", "list", "--doc");
        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
        String[] lines = r.out().split("\n");
        List<ConfigKeyDef> defs = new ArrayList<>(reg.all());
        assertThat(lines).hasSize(defs.size());
        for (int i = 0; i < lines.length; i++) {
            ConfigKeyDef d = defs.get(i);
            assertThat(lines[i]).isEqualTo(String.format("%-30s %s", d.key(), d.doc()));
            if (d.key().length() < 30) {
                assertThat(lines[i].substring(0, 31)).isEqualTo(d.key() + " ".repeat(31 - d.key().length()));
                assertThat(lines[i].charAt(31)).isNotEqualTo(' ');
            }
        }
        assertThat(lines[11]).isEqualTo("mqtt.port                      Mqtt broker port, which is used by the mqtt clients to publish or subscribe. Example: 1883");
        assertThat(lines[3]).isEqualTo("c8y.url                        Tenant endpoint URL of Cumulocity tenant. Example: your-tenant.cumulocity.com");
        assertThat(lines[lines.length - 1]).isEqualTo("acme.a.rather.long.key.name.beyond.thirty Long.");
    }

    // ------------------------------------------------------------------ usage errors: exit 2

    static Stream<Arguments> usageErrors() {
        return Stream.of(
                Arguments.of(List.of(), "A subcommand is required", Tedge.USAGE),
                Arguments.of(List.of("nope"), "Found argument 'nope' which wasn't expected", Tedge.USAGE),
                Arguments.of(List.of("--bogus"), "Found argument '--bogus' which wasn't expected", Tedge.USAGE),
                Arguments.of(List.of("config"), "A subcommand is required", ConfigCommand.USAGE),
                Arguments.of(List.of("config", "frobnicate"), "Found argument 'frobnicate' which wasn't expected", ConfigCommand.USAGE),
                Arguments.of(List.of("config", "get"), "Missing a required argument", ConfigCommand.GET),
                Arguments.of(List.of("config", "get", "c8y.url", "extra"), "Found argument 'extra' which wasn't expected", ConfigCommand.GET),
                Arguments.of(List.of("config", "get", "--all", "c8y.url"), "Found argument '--all' which wasn't expected", ConfigCommand.GET),
                Arguments.of(List.of("config", "set"), "Missing a required argument", ConfigCommand.SET),
                Arguments.of(List.of("config", "set", "c8y.url"), "Missing a required argument", ConfigCommand.SET),
                Arguments.of(List.of("config", "set", "c8y.url", "a.com", "b.com"), "Found argument 'b.com' which wasn't expected", ConfigCommand.SET),
                Arguments.of(List.of("config", "set", "c8y.url", "--value=x"), "Found argument '--value=x' which wasn't expected", ConfigCommand.SET),
                Arguments.of(List.of("config", "unset"), "Missing a required argument", ConfigCommand.UNSET),
                Arguments.of(List.of("config", "unset", "a.b", "c.d"), "Found argument 'c.d' which wasn't expected", ConfigCommand.UNSET),
                Arguments.of(List.of("config", "list", "extra"), "Found argument 'extra' which wasn't expected", ConfigCommand.LIST),
                Arguments.of(List.of("config", "list", "--bogus"), "Found argument '--bogus' which wasn't expected", ConfigCommand.LIST),
                Arguments.of(List.of("config", "list", "--all=yes"), "Found argument '--all=yes' which wasn't expected", ConfigCommand.LIST),
                Arguments.of(List.of("config", "list", "-a"), "Found argument '-a' which wasn't expected", ConfigCommand.LIST),
                Arguments.of(List.of("mqtt"), "A subcommand is required", MqttCommand.USAGE),
                Arguments.of(List.of("mqtt", "publish", "a", "b"), "Found argument 'publish' which wasn't expected", MqttCommand.USAGE),
                Arguments.of(List.of("mqtt", "pub"), "Missing a required argument", MqttCommand.PUB),
                Arguments.of(List.of("mqtt", "pub", "a/b"), "Missing a required argument", MqttCommand.PUB),
                Arguments.of(List.of("mqtt", "pub", "a/b", "m", "extra"), "Found argument 'extra' which wasn't expected", MqttCommand.PUB),
                Arguments.of(List.of("mqtt", "pub", "a/b", "m", "-q"), "The option '-q' needs a value", MqttCommand.PUB),
                Arguments.of(List.of("mqtt", "pub", "--qos"), "The option '--qos' needs a value", MqttCommand.PUB),
                Arguments.of(List.of("mqtt", "pub", "--no-topic", "a/b", "m"), "Found argument '--no-topic' which wasn't expected", MqttCommand.PUB),
                Arguments.of(List.of("mqtt", "pub", "-r=true", "a/b", "m"), "Found argument '-r=true' which wasn't expected", MqttCommand.PUB),
                Arguments.of(List.of("mqtt", "sub"), "Missing a required argument", MqttCommand.SUB),
                Arguments.of(List.of("mqtt", "sub", "a/#", "b/#"), "Found argument 'b/#' which wasn't expected", MqttCommand.SUB),
                Arguments.of(List.of("mqtt", "sub", "--retain", "a/#"), "Found argument '--retain' which wasn't expected", MqttCommand.SUB),
                Arguments.of(List.of("mqtt", "sub", "a/#", "-q"), "The option '-q' needs a value", MqttCommand.SUB));
    }

    @ParameterizedTest(name = "[{index}] tedge {0}")
    @MethodSource("usageErrors")
    void usageErrorsExitTwoWithTheUsage(List<String> args, String message, String usage) {
        Result r = cli.run(args.toArray(String[]::new));
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("error: " + message + "\n\n" + usage);
        assertThat(r.code()).isEqualTo(2);
        assertThat(toml()).doesNotExist();
    }

    // ------------------------------------------------------------------ help: exit 0

    static Stream<Arguments> helps() {
        List<Arguments> out = new ArrayList<>();
        Object[][] commands = {
                {List.of(), Tedge.USAGE},
                {List.of("config"), ConfigCommand.USAGE},
                {List.of("config", "get"), ConfigCommand.GET},
                {List.of("config", "set"), ConfigCommand.SET},
                {List.of("config", "unset"), ConfigCommand.UNSET},
                {List.of("config", "list"), ConfigCommand.LIST},
                {List.of("mqtt"), MqttCommand.USAGE},
                {List.of("mqtt", "pub"), MqttCommand.PUB},
                {List.of("mqtt", "sub"), MqttCommand.SUB}};
        for (Object[] c : commands) {
            for (String h : List.of("-h", "--help")) {
                @SuppressWarnings("unchecked")
                List<String> args = new ArrayList<>((List<String>) c[0]);
                args.add(h);
                out.add(Arguments.of(args, c[1]));
            }
        }
        // help after arguments, and help that wins over missing or bad arguments
        out.add(Arguments.of(List.of("config", "set", "c8y.url", "x.com", "--help"), ConfigCommand.SET));
        out.add(Arguments.of(List.of("config", "get", "nope.key", "-h"), ConfigCommand.GET));
        out.add(Arguments.of(List.of("config", "list", "--all", "--doc", "-h"), ConfigCommand.LIST));
        out.add(Arguments.of(List.of("mqtt", "pub", "-q", "3", "a/+", "-h"), MqttCommand.PUB));
        out.add(Arguments.of(List.of("mqtt", "sub", "--no-topic", "--help"), MqttCommand.SUB));
        out.add(Arguments.of(List.of("help"), Tedge.USAGE));
        out.add(Arguments.of(List.of("help", "config"), ConfigCommand.USAGE));
        out.add(Arguments.of(List.of("help", "mqtt"), MqttCommand.USAGE));
        return out.stream();
    }

    @ParameterizedTest(name = "[{index}] tedge {0}")
    @MethodSource("helps")
    void helpPrintsTheUsageAndExitsZero(List<String> args, String usage) {
        assertOk(cli.run(args.toArray(String[]::new)), usage);
        assertThat(toml()).doesNotExist();
    }

    @Test
    void helpOfAnUnknownCommandIsAUsageError() {
        Result r = cli.run("help", "nope");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: Found argument 'nope' which wasn't expected\n\n");
    }

    @Test
    void version() {
        assertOk(cli.run("-V"), "tedge " + Tedge.version() + "\n");
        assertOk(cli.run("--version"), "tedge " + Tedge.version() + "\n");
    }

    /** Issue 11: the descriptions of `tedge --help` start in one column. */
    @Test
    void helpColumnsAreAligned() {
        List<String> rows = Tedge.USAGE.lines().dropWhile(l -> !l.equals("SUBCOMMANDS:")).skip(1).filter(l -> !l.isBlank()).toList();
        assertThat(rows).hasSizeGreaterThanOrEqualTo(8);
        java.util.Set<Integer> columns = new java.util.HashSet<>();
        for (String r : rows) columns.add(r.indexOf(r.strip().split("\\s+")[1], 4 + r.strip().split("\\s+")[0].length()));
        assertThat(columns).as(String.join("\n", rows)).hasSize(1);
    }

    @Test
    void usageTextsNameEveryCommand() {
        assertThat(Tedge.USAGE).contains("config        Configure Thin Edge", "mqtt          Publish a message on a topic and subscribe a topic",
                "init          Initialize Thin Edge", "--config-dir <DIR>");
        assertThat(ConfigCommand.USAGE).contains("get", "set", "unset", "list");
        assertThat(ConfigCommand.LIST).contains("--all", "--doc");
        assertThat(MqttCommand.PUB).contains("-q, --qos <QOS>", "-r, --retain");
        assertThat(MqttCommand.SUB).contains("--no-topic");
        for (String u : List.of(Tedge.USAGE, ConfigCommand.USAGE, ConfigCommand.GET, ConfigCommand.SET, ConfigCommand.UNSET,
                ConfigCommand.LIST, MqttCommand.USAGE, MqttCommand.PUB, MqttCommand.SUB)) {
            assertThat(u).endsWith("\n").doesNotEndWith("\n\n");
        }
    }
}
