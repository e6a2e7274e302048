package io.tedge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Value validation, with the thin-edge.io test vectors (config-001..009, 019..021). */
class ValueTypesTest {

    private static final String URL_ERROR = "Provided URL: '%s' contains scheme or port.\n"
            + "         Provided URL should contain only domain, eg: 'subdomain.cumulocity.com'.";

    private static ConfigKeyDef def(String type) {
        return new ConfigKeyDef("test.key", type, null, "doc", false, "test");
    }

    private static String normalize(String type, String value) throws ConfigException {
        return ValueTypes.normalize(def(type), value);
    }

    // ------------------------------------------------------------------ ConnectUrl

    @ParameterizedTest(name = "config-00x: {0}")
    @ValueSource(strings = {"test.address.com:8883", "http://test.address.com", "http://test.address.com:8883",
            "https://tenant.example.com/", "tenant.example.com/path", "", "   ", "-bad.example.com", "a..b", "a b.com",
            "user@host.com"})
    void connectUrlRejectsSchemePortAndNonHosts(String input) {
        assertThatThrownBy(() -> ValueTypes.connectUrl(input))
                .isInstanceOf(ConfigException.class)
                .hasMessage(String.format(URL_ERROR, input));
        assertThatThrownBy(() -> normalize("url", input)).hasMessage(String.format(URL_ERROR, input));
    }

    @ParameterizedTest
    @CsvSource({
            "test.address.com, test.address.com", // config-004
            "your-tenant.cumulocity.com, your-tenant.cumulocity.com",
            "MyAzure.azure-devices.net, MyAzure.azure-devices.net",
            "localhost, localhost",
            "192.168.1.10, 192.168.1.10",
            "[::1], [::1]",
            "tenant_1.example.com., tenant_1.example.com.",
    })
    void connectUrlAcceptsHostNames(String input, String expected) throws Exception {
        assertThat(ValueTypes.connectUrl(input)).isEqualTo(expected);
        assertThat(normalize("url", input)).isEqualTo(expected);
    }

    @Test
    void connectUrlTrims() throws Exception {
        assertThat(ValueTypes.connectUrl("  test.address.com ")).isEqualTo("test.address.com");
    }

    // ------------------------------------------------------------------ Port

    @ParameterizedTest
    @CsvSource({"1234, 1234", "1, 1", "65535, 65535", "1883, 1883", "' 8883 ', 8883"})
    void portAcceptsValidNumbers(String input, int expected) throws Exception {
        assertThat(ValueTypes.port(input)).isEqualTo(expected); // config-005
        assertThat(normalize("port", input)).isEqualTo(Integer.toString(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"66000", "65536", "0", "-1", "abc", "", "1883.0", "99999999999", "0x50"})
    void portRejectsWithThinEdgeMessage(String input) {
        assertThatThrownBy(() -> ValueTypes.port(input))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid port number: '" + input + "'."); // config-006
        assertThatThrownBy(() -> normalize("port", input)).hasMessage("Invalid port number: '" + input + "'.");
    }

    @Test
    void portVector006Exact() {
        assertThatThrownBy(() -> ValueTypes.port("66000")).hasMessage("Invalid port number: '66000'.");
    }

    // ------------------------------------------------------------------ Flag

    @Test
    void flagAcceptsTrueAndFalse() throws Exception {
        assertThat(ValueTypes.flag("true")).isTrue(); // config-007
        assertThat(ValueTypes.flag("false")).isFalse(); // config-008
        assertThat(normalize("flag", "true")).isEqualTo("true");
        assertThat(normalize("flag", "false")).isEqualTo("false");
    }

    @ParameterizedTest
    @ValueSource(strings = {"unknown", "yes", "1", "0", "", "on"})
    void flagRejectsWithThinEdgeMessage(String input) {
        assertThatThrownBy(() -> ValueTypes.flag(input))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Failed to parse flag: " + input + ". Supported values are: true, false"); // config-009
    }

    @Test
    void flagVector009Exact() {
        assertThatThrownBy(() -> normalize("flag", "unknown"))
                .hasMessage("Failed to parse flag: unknown. Supported values are: true, false");
    }

    // ------------------------------------------------------------------ HostPort

    @ParameterizedTest
    @CsvSource({
            "test.com, 443, test.com:443", // config-019
            "test.com, 8883, test.com:8883", // config-020
            "test.com:8443, 443, test.com:8443", // config-021
            "test.com:8443, -1, test.com:8443",
            "test.com, -1, test.com",
            "127.0.0.1, 1883, 127.0.0.1:1883",
            "[::1], 8883, [::1]:8883",
            "[::1]:1884, 8883, [::1]:1884",
            "' test.com:1 ', 443, test.com:1",
    })
    void hostPortAppendsTheDefaultPort(String input, int dflt, String expected) throws Exception {
        assertThat(ValueTypes.hostPort(input, dflt)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ":443", "http://test.com", "test.com:66000", "test.com:abc", "[::1", "[::1]x", "a/b:80", "a b:1"})
    void hostPortRejectsBadValues(String input) {
        assertThatThrownBy(() -> ValueTypes.hostPort(input, 443))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("Invalid host:port '" + input + "'");
    }

    @Test
    void hostPortBadPortNamesThePortError() {
        assertThatThrownBy(() -> ValueTypes.hostPort("test.com:66000", 443))
                .hasMessage("Invalid host:port 'test.com:66000': Invalid port number: '66000'.");
    }

    @ParameterizedTest
    @CsvSource({
            "c8y.http, test.com, test.com:443", // config-019 on the key
            "c8y.mqtt, test.com, test.com:8883", // config-020 on the key
            "c8y.http, test.com:8443, test.com:8443", // config-021 on the key
            "c8y.mqtt, test.com:8443, test.com:8443",
            "az.mqtt, MyAzure.azure-devices.net, MyAzure.azure-devices.net:8883",
    })
    void hostPortKeysUseTheirDefaultPort(String key, String input, String expected) throws Exception {
        assertThat(ValueTypes.normalize(ConfigRegistry.core().find(key), input)).isEqualTo(expected);
    }

    // ------------------------------------------------------------------ ip

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "::1", "::", "fe80::1", "2001:db8::8a2e:370:7334"})
    void ipAccepts(String ip) throws Exception {
        assertThat(ValueTypes.ip(ip)).isEqualTo(ip);
        assertThat(normalize("ip", " " + ip + " ")).isEqualTo(ip);
    }

    @ParameterizedTest
    @ValueSource(strings = {"localhost", "256.0.0.1", "1.2.3", "1.2.3.4.5", "", ":", "01.2.3.4", "g::1"})
    void ipRejects(String ip) {
        assertThatThrownBy(() -> ValueTypes.ip(ip))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid IP address: '" + ip + "'. Expected an IPv4 or IPv6 address, eg: '127.0.0.1'.");
    }

    // ------------------------------------------------------------------ size

    @ParameterizedTest
    @CsvSource({
            "100, 100, 100",
            "1b, 1, 1b",
            "512k, 524288, 512k",
            "512K, 524288, 512K",
            "1kb, 1024, 1kb",
            "1KiB, 1024, 1KiB",
            "64M, 67108864, 64M",
            "128M, 134217728, 128M",
            "'10 MB', 10485760, 10MB",
            "1G, 1073741824, 1G",
            "2g, 2147483648, 2g",
            "' 3M ', 3145728, 3M",
    })
    void sizeWithUnits(String input, long expected, String asWritten) throws Exception {
        assertThat(ValueTypes.size(input)).isEqualTo(expected);
        assertThat(normalize("size", input)).isEqualTo(asWritten);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "0M", "", "M", "1x", "-1", "1.5M", "1T", "99999999999999999999", "9223372036854775807G", "17179869185G"})
    void sizeRejects(String input) {
        assertThatThrownBy(() -> ValueTypes.size(input))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid size: '" + input + "'. Expected a number of bytes with an optional unit, eg: 64M or 512k.");
    }

    // ------------------------------------------------------------------ level, choice, int, path, string

    @ParameterizedTest
    @CsvSource({"error, error", "WARN, warn", "Info, info", "debug, debug", "' trace ', trace"})
    void levelAccepts(String input, String expected) throws Exception {
        assertThat(normalize("level", input)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"verbose", "", "warning", "off"})
    void levelRejects(String input) {
        assertThatThrownBy(() -> normalize("level", input))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid log level: '" + input + "'. Supported values are: error, warn, info, debug, trace");
    }

    @Test
    void choiceAcceptsListedValuesCaseInsensitively() throws Exception {
        assertThat(normalize("choice:embedded|external", "embedded")).isEqualTo("embedded");
        assertThat(normalize("choice:embedded|external", " External ")).isEqualTo("external");
        assertThatThrownBy(() -> normalize("choice:embedded|external", "mosquitto"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Invalid value 'mosquitto'. Supported values are: embedded, external");
    }

    @Test
    void intAcceptsSignedNumbers() throws Exception {
        assertThat(normalize("int", "42")).isEqualTo("42");
        assertThat(normalize("int", " -7 ")).isEqualTo("-7");
        assertThatThrownBy(() -> normalize("int", "4.2")).hasMessage("Invalid integer: '4.2'.");
        assertThatThrownBy(() -> normalize("int", "")).hasMessage("Invalid integer: ''.");
    }

    @Test
    void pathAndStringAndDerived() throws Exception {
        assertThat(normalize("path", "/etc/ssl/certs")).isEqualTo("/etc/ssl/certs");
        assertThat(normalize("path", "relative/dir")).isEqualTo("relative/dir");
        assertThatThrownBy(() -> normalize("path", " ")).hasMessage("A path cannot be empty.");
        assertThat(normalize("string", " kept as is ")).isEqualTo(" kept as is ");
        assertThat(normalize("string", "")).isEmpty();
        assertThat(normalize("derived", "x")).isEqualTo("x");
    }

    @Test
    void unknownType() {
        assertThatThrownBy(() -> normalize("colour", "red")).hasMessage("Unknown value type 'colour'");
    }
}
