package io.tedge.config.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.tedge.config.internal.Toml.Document;
import io.tedge.config.internal.Toml.TomlException;
import io.tedge.config.internal.Toml.Value;

class TomlTest {

    private static Object v(Document d, String table, String key) {
        Value val = d.get(table, key);
        return val == null ? null : val.value();
    }

    @Test
    void parsesTablesKeysAndScalarTypes() throws Exception {
        Document d = Toml.parse(String.join("\n",
                "top = \"root value\"",
                "",
                "[device]",
                "key_path = \"/path/to/key\"",
                "cert_path = '/literal\\path'",
                "",
                "[mqtt]",
                "port = 1234",
                "neg = -5",
                "big = 1_000_000",
                "hex = 0x1F",
                "ratio = 1.5",
                "exp = 1e3",
                "on = true",
                "off = false",
                ""));
        assertThat(v(d, "", "top")).isEqualTo("root value");
        assertThat(v(d, "device", "key_path")).isEqualTo("/path/to/key");
        assertThat(v(d, "device", "cert_path")).isEqualTo("/literal\\path");
        assertThat(v(d, "mqtt", "port")).isEqualTo(1234L);
        assertThat(v(d, "mqtt", "neg")).isEqualTo(-5L);
        assertThat(v(d, "mqtt", "big")).isEqualTo(1_000_000L);
        assertThat(v(d, "mqtt", "hex")).isEqualTo(31L);
        assertThat(v(d, "mqtt", "ratio")).isEqualTo(1.5d);
        assertThat(v(d, "mqtt", "exp")).isEqualTo(1000.0d);
        assertThat(v(d, "mqtt", "on")).isEqualTo(Boolean.TRUE);
        assertThat(v(d, "mqtt", "off")).isEqualTo(Boolean.FALSE);
        assertThat(d.tables().keySet()).containsExactly("", "device", "mqtt");
        assertThat(d.tables().get("mqtt").keySet()).containsExactly("port", "neg", "big", "hex", "ratio", "exp", "on", "off");
    }

    @Test
    void valuesRememberTheirLine() throws Exception {
        Document d = Toml.parse("\n[c8y]\nurl = \"x.example.com\"\n\n# comment\nroot_cert_path = \"/etc/ssl/certs\"\n");
        assertThat(d.get("c8y", "url").line()).isEqualTo(3);
        assertThat(d.get("c8y", "root_cert_path").line()).isEqualTo(6);
    }

    @Test
    void emptyAndCommentOnlyDocumentsAreEmpty() throws Exception {
        assertThat(Toml.parse("").tables()).isEmpty();
        assertThat(Toml.parse("\n   \n\t\n").tables()).isEmpty();
        assertThat(Toml.parse("# only a comment\n  # another one").tables()).isEmpty();
    }

    @Test
    void commentsAreIgnoredButHashInsideStringsIsKept() throws Exception {
        Document d = Toml.parse(String.join("\n",
                "# leading comment",
                "[device] # table comment",
                "id = \"ABCD1234\"              # ignored for backward compatibility",
                "cert_path = \"/a#b\" # trailing",
                "lit = 'c#d'#no space",
                "  # indented comment",
                ""));
        assertThat(v(d, "device", "id")).isEqualTo("ABCD1234");
        assertThat(v(d, "device", "cert_path")).isEqualTo("/a#b");
        assertThat(v(d, "device", "lit")).isEqualTo("c#d");
        assertThat(d.tables().get("device")).hasSize(3);
    }

    @Test
    void quotedKeysAreSingleKeysEvenWithDotsAndSpaces() throws Exception {
        Document d = Toml.parse(String.join("\n",
                "[t]",
                "\"quoted key\" = 1",
                "'lit.key' = 2",
                "\"esc\\\"aped\" = 3",
                "bare-key_9 = 4",
                ""));
        assertThat(d.tables().get("t").keySet()).containsExactly("quoted key", "lit.key", "esc\"aped", "bare-key_9");
        assertThat(d.tables()).containsOnlyKeys("t");
    }

    @Test
    void dottedTableHeadersAndDottedKeys() throws Exception {
        Document d = Toml.parse(String.join("\n",
                "[c8y.smartrest]",
                "templates = [\"a\", \"b\"]",
                "[ az . mapper ]",
                "timestamp = true",
                "[t]",
                "a.b.c = 1",
                "\"x.y\".z = 2",
                "root.key = 3",
                ""));
        assertThat(v(d, "c8y.smartrest", "templates")).isEqualTo(List.of("a", "b"));
        assertThat(v(d, "az.mapper", "timestamp")).isEqualTo(true);
        assertThat(v(d, "t.a.b", "c")).isEqualTo(1L);
        assertThat(v(d, "t.x.y", "z")).isEqualTo(2L);
        assertThat(v(d, "t.root", "key")).isEqualTo(3L);
        Document root = Toml.parse("a.b = 1\n");
        assertThat(v(root, "a", "b")).isEqualTo(1L);
    }

    @Test
    void escapesInBasicStrings() throws Exception {
        Document d = Toml.parse("s = \"q\\\"b\\\\n\\nt\\tr\\rb\\bf\\fu\\u00e9U\\U0001F600\"\n");
        assertThat(v(d, "", "s")).isEqualTo("q\"b\\n\nt\tr\rb\bf\fu\u00e9U\uD83D\uDE00");
    }

    @Test
    void arraysMayBeMultiLineWithCommentsAndTrailingComma() throws Exception {
        Document d = Toml.parse(String.join("\n",
                "[c8y]",
                "topics = [",
                "  \"te/+/+/+/+\", # first",
                "  \"te/+/+/+/+/m/+\",",
                "]",
                "empty = []",
                "mixed = [1, 'two', true]",
                "after = 5",
                ""));
        assertThat(v(d, "c8y", "topics")).isEqualTo(List.of("te/+/+/+/+", "te/+/+/+/+/m/+"));
        assertThat(d.get("c8y", "topics").asText()).isEqualTo("te/+/+/+/+,te/+/+/+/+/m/+");
        assertThat(v(d, "c8y", "empty")).isEqualTo(List.of());
        assertThat(v(d, "c8y", "mixed")).isEqualTo(List.of(1L, "two", true));
        assertThat(d.get("c8y", "after").line()).isEqualTo(8);
    }

    @Test
    void crlfLineEndings() throws Exception {
        Document d = Toml.parse("[mqtt]\r\nport = 1883\r\n# c\r\nbind_address = \"127.0.0.1\"\r\n");
        assertThat(v(d, "mqtt", "port")).isEqualTo(1883L);
        assertThat(v(d, "mqtt", "bind_address")).isEqualTo("127.0.0.1");
        assertThat(d.get("mqtt", "bind_address").line()).isEqualTo(4);
    }

    @Test
    void asTextOfEachType() {
        assertThat(new Value("s", 0).asText()).isEqualTo("s");
        assertThat(new Value(1234L, 0).asText()).isEqualTo("1234");
        assertThat(new Value(true, 0).asText()).isEqualTo("true");
        assertThat(new Value(List.of("a", 2L), 0).asText()).isEqualTo("a,2");
    }

    // ------------------------------------------------------------------ errors

    @ParameterizedTest(name = "[{index}] {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            // input (\n as literal \\n, unescaped below) | expected message | case
            "\\n        <abcde>\\n        | invalid key character '<' at line 2 column 9 | config-014 <abcde>",
            "[c8y]\\nurl = \"abc\\n | unterminated string at line 2 | unterminated basic string",
            "url = \"abc | unterminated string at line 1 | unterminated at end of file",
            "url = 'abc\\nx = 1 | unterminated string at line 1 | unterminated literal string",
            "[c8y]\\nurl = \"a\"\\nurl = \"b\"\\n | duplicate key `url` at line 3 | duplicate key",
            "[t]\\na.b = 1\\na.b = 2\\n | duplicate key `b` at line 3 | duplicate dotted key",
            "[t]\\na.b = 1\\n[t.a]\\nc = 2\\n | duplicate table [t.a] at line 3 | table already defined by dotted keys",
            "[c8y]\\nurl = \"a\"\\n[c8y]\\nx = 1\\n | duplicate table [c8y] at line 3 | duplicate table",
            "[mqtt]\\nport 1883\\n | expected '=', found '1' at line 2 column 6 | missing equals",
            "[mqtt\\nport = 1\\n | expected ']', found a line break at line 1 | unterminated table header",
            "[c8y]\\nurl = \"a\\qb\"\\n | invalid escape '\\q' at line 2 | invalid escape",
            "s = \"\\u12\" | invalid unicode escape at line 1 | short unicode escape",
            "s = \"\"\"multi\\nline\"\"\"\\n | multi-line strings are not supported in tedge.toml at line 1 | multi-line string",
            "[[device]]\\nid = 1\\n | arrays of tables ([[...]]) are not supported in tedge.toml at line 1 | array of tables",
            "\\n\\nport = nope\\n | invalid value `no` at line 3 | invalid value",
            "port = 1 2\\n | expected a new line after the value, found '2' at line 1 | two values on one line",
            "port =\\n | expected a value at line 1 | missing value",
            "a = [1, 2\\nb = 3\\n | expected ',' or ']' in array at line 2 | unterminated array",
            "[t]\\n= 1\\n | invalid key character '=' at line 2 column 1 | missing key",
    })
    void badInputFailsWithLine(String input, String message, String what) {
        String text = input.replace("\\n", "\n");
        assertThatThrownBy(() -> Toml.parse(text))
                .isInstanceOf(TomlException.class)
                .hasMessageStartingWith(message.replace("\\n", "\n"));
    }

    // ------------------------------------------------------------------ writing

    @Test
    void writesRootKeysFirstThenTablesSeparatedByABlankLine() {
        Document d = new Document();
        d.put("mqtt", "port", new Value(1883L, 0));
        d.put("", "top", new Value("x", 0));
        d.put("c8y", "url", new Value("t.example.com", 0));
        d.put("c8y", "topics", new Value(List.of("a", "b"), 0));
        d.put("az", "mapper_timestamp", new Value(false, 0));
        d.put("t", "quoted key", new Value("v", 0));
        assertThat(Toml.write(d)).isEqualTo(String.join("\n",
                "top = \"x\"",
                "",
                "[mqtt]",
                "port = 1883",
                "",
                "[c8y]",
                "url = \"t.example.com\"",
                "topics = [\"a\", \"b\"]",
                "",
                "[az]",
                "mapper_timestamp = false",
                "",
                "[t]",
                "\"quoted key\" = \"v\"",
                ""));
    }

    @Test
    void writesNothingForAnEmptyDocumentAndSkipsEmptyTables() throws Exception {
        assertThat(Toml.write(new Document())).isEmpty();
        Document d = Toml.parse("[empty]\n[c8y]\nurl = \"x\"\n");
        assertThat(Toml.write(d)).isEqualTo("[c8y]\nurl = \"x\"\n");
    }

    @Test
    void removeDropsAnEmptiedTable() {
        Document d = new Document();
        d.put("c8y", "url", new Value("x", 0));
        assertThat(d.remove("c8y", "url").value()).isEqualTo("x");
        assertThat(d.tables()).doesNotContainKey("c8y");
        assertThat(d.remove("c8y", "url")).isNull();
        assertThat(d.remove("nope", "url")).isNull();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "plain | \"plain\"",
            "a\"b | \"a\\\"b\"",
            "a\\b | \"a\\\\b\"",
            "`tab\there` | \"tab\\there\"",
    })
    void quoteEscapes(String in, String out) {
        assertThat(Toml.quote(in.replace("\\t", "\t"))).isEqualTo(out);
    }

    @Test
    void quoteEscapesControlCharacters() {
        assertThat(Toml.quote("n\nr\rb\bd\u007f")).isEqualTo("\"n\\nr\\rb\\u0008d\\u007F\"");
        assertThat(Toml.quote("\u00e9\uD83D\uDE00")).isEqualTo("\"\u00e9\uD83D\uDE00\"");
    }

    @Test
    void roundTripKeepsEveryValue() throws Exception {
        String text = String.join("\n",
                "# tedge.toml written by hand",
                "version = 2",
                "[device]",
                "cert_path = \"/etc/tedge/device-certs/tedge-certificate.pem\" # comment",
                "\"odd key\" = 'literal \\ value'",
                "'dot.key' = \"x\"",
                "[c8y]",
                "url = \"tenant.example.com\"",
                "connect = \"true\"",
                "topics = [\"te/+/+/+/+\", 'te/#']",
                "[c8y.smartrest]",
                "templates = []",
                "[mqtt]",
                "port = 1883",
                "ratio = 0.5",
                "enabled = true",
                "escapes = \"q\\\" b\\\\ n\\n t\\t u\\u0001 \u00e9 \\U0001F600\"",
                "[acme]",
                "vendor_key = -42",
                "");
        Document first = Toml.parse(text);
        String written = Toml.write(first);
        Document second = Toml.parse(written);
        assertThat(flatten(second)).isEqualTo(flatten(first));
        // writing is stable: a second round gives the same text
        assertThat(Toml.write(second)).isEqualTo(written);
        assertThat(written).doesNotContain("# tedge.toml written by hand", "# comment").startsWith("version = 2\n\n[device]\n");
    }

    @Test
    void roundTripOfQuotedTableNames() throws Exception {
        Document first = Toml.parse("[\"my table\"]\nkey = 1\n[\"a b\".c]\nd = 2\n");
        assertThat(v(first, "my table", "key")).isEqualTo(1L);
        Document second = Toml.parse(Toml.write(first));
        assertThat(flatten(second)).isEqualTo(flatten(first));
    }

    private static Map<String, Map<String, Object>> flatten(Document d) {
        Map<String, Map<String, Object>> out = new java.util.LinkedHashMap<>();
        d.tables().forEach((t, kv) -> {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            kv.forEach((k, val) -> m.put(k, val.value()));
            if (!m.isEmpty()) out.put(t, m);
        });
        return out;
    }

    @Test
    void escapesAreAsciiWhateverTheDefaultLocale() {
        // a locale with its own digits (Thai) must not write them into tedge.toml
        java.util.Locale before = java.util.Locale.getDefault();
        java.util.Locale.setDefault(java.util.Locale.forLanguageTag("th-TH-u-nu-thai"));
        try {
            assertThat(Toml.quote("b\bd\u007f")).isEqualTo("\"b\\u0008d\\u007F\"");
        } finally {
            java.util.Locale.setDefault(before);
        }
    }
}
