package io.tedge.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

/**
 * {@link Toml} against jackson-dataformat-toml's TomlMapper, which it replaces (a test dependency
 * only): the same tree for valid documents, both refusing invalid ones. Where TomlMapper departs
 * from TOML 1.0, the spec wins; those documents are in lists of their own below, with the reason.
 */
class TomlTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TomlMapper TOML = new TomlMapper();

    static final List<String> VALID = List.of(
            "",
            "# only a comment\n\n   \n",
            // the agent's own files
            "[exec]\ntopic = \"c8y/s/ds\"\non_message = \"528\"\ncommand = \"/etc/tedge/operations/command\"\ntimeout = 10\n",
            "[exec]\ntopic = \"te/device/main///cmd/restart/+\"\ncommand = \"/usr/bin/do-it ${.payload.x}\"\non_fragment = 'c8y_Command'\n",
            "[[files]]\npath = \"/etc/x.conf\"\ntype = \"x\"\nperms = 0o644\n\n[[files]]\npath = \"/etc/y.conf\"\ntype = \"y\"\nuser = \"root\"\ngroup = \"root\"\n",
            "files = [ { path = \"/etc/x.conf\", type = \"x\", perms = 0o644, user = \"root\" } ]\n",
            "files = [\n  { path = \"/etc/a.conf\", type = \"a\" }, # first\n  # between\n  { path = '/var/log/b.log', type = \"b\", perms = 0o600 },\n]\n",
            "[system]\nreboot = [\"init\", \"6\"]\n",
            "[init]\nname = \"systemd\"\nis_available = [\"/bin/systemctl\", \"--version\"]\nrestart = [\"/bin/systemctl\", \"restart\", \"{}\"]\n\n[system]\nreboot = [\"/sbin/reboot\"]\n",
            "operation_id = 'abc-123'\noperation = 'Restarting'\nstarted = 1712345678901\n",
            // the examples of the TOML 1.0 spec
            "# This is a full-line comment\nkey = \"value\"  # This is a comment at the end of a line\nanother = \"# This is not a comment\"\n",
            "key = \"value\"\nbare_key = \"value\"\nbare-key = \"value\"\n1234 = \"value\"\n",
            "\"127.0.0.1\" = \"value\"\n\"character encoding\" = \"value\"\n\"ʎǝʞ\" = \"value\"\n'key2' = \"value\"\n'quoted \"value\"' = \"value\"\n",
            "\"\" = \"blank\"\n",
            "'' = 'blank'\n",
            "name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\nsite.\"google.com\" = true\n",
            "fruit.name = \"banana\"     # this is best practice\nfruit. color = \"yellow\"    # same as fruit.color\nfruit . flavor = \"banana\"   # same as fruit.flavor\n",
            "apple.type = \"fruit\"\norange.type = \"fruit\"\napple.skin = \"thin\"\norange.skin = \"thick\"\napple.color = \"red\"\norange.color = \"orange\"\n",
            "3.14159 = \"pi\"\n",
            "str = \"I'm a string. \\\"You can quote me\\\". Name\\tJos\\u00E9\\nLocation\\tSF.\"\n",
            "str1 = \"\"\"\nRoses are red\nViolets are blue\"\"\"\n",
            "str1 = \"The quick brown fox jumps over the lazy dog.\"\nstr2 = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"\n"
                    + "str3 = \"\"\"\\\n       The quick brown \\\n       fox jumps over \\\n       the lazy dog.\\\n       \"\"\"\n",
            "str4 = \"\"\"Here are two quotation marks: \"\". Simple enough.\"\"\"\nstr5 = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"\n"
                    + "str6 = \"\"\"Here are fifteen quotation marks: \"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\"\"\"\\\".\"\"\"\n"
                    + "str7 = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n",
            "winpath  = 'C:\\Users\\nodejs\\templates'\nwinpath2 = '\\\\ServerX\\admin$\\system32\\'\nquoted   = 'Tom \"Dubs\" Preston-Werner'\nregex    = '<\\i\\c*\\s*>'\n",
            "regex2 = '''I [dw]on't need \\d{2} apples'''\nlines  = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''\n",
            "quot15 = '''Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"'''\napos15 = \"Here are fifteen apostrophes: '''''''''''''''\"\n"
                    + "str = ''''That,' she said, 'is still pointless.''''\n",
            "int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nint6 = 5_349_221\nint7 = 53_49_221\nint8 = 1_2_3_4_5\nint9 = -0\nint10 = +0\n",
            "hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\noct1 = 0o01234567\noct2 = 0o755\nbin1 = 0b11010110\nhex4 = 0x0\n",
            "int = 2147483647\nlong = 2147483648\nneg = -2147483648\nnegl = -2147483649\nms = 1712345678901\n",
            "flt1 = +1.0\nflt2 = 3.1415\nflt3 = -0.01\nflt4 = 5e+22\nflt5 = 1e06\nflt6 = -2E-2\nflt7 = 6.626e-34\nflt8 = 224_617.445_991_228\nflt9 = 0e0\nflt10 = 1e-00\n",
            "sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\nsf6 = -nan\n",
            "bool1 = true\nbool2 = false\n",
            "odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\nodt3 = 1979-05-27T00:32:00.999999-07:00\nodt4 = 1979-05-27 07:32:00Z\nodt5 = 1979-05-27t07:32:00Z\n",
            "ldt1 = 1979-05-27T07:32:00\nldt2 = 1979-05-27T00:32:00.999999\nld1 = 1979-05-27\nlt1 = 07:32:00\nlt2 = 00:32:00.999999\nleap = 2000-02-29\nleap2 = 2024-02-29 23:59:59\n",
            "integers = [ 1, 2, 3 ]\ncolors = [ \"red\", \"yellow\", \"green\" ]\nnested_arrays_of_ints = [ [ 1, 2 ], [3, 4, 5] ]\n"
                    + "nested_mixed_array = [ [ 1, 2 ], [\"a\", \"b\", \"c\"] ]\nstring_array = [ \"all\", 'strings', \"\"\"are the same\"\"\", '''type''' ]\n"
                    + "numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]\ncontributors = [\n  \"Foo Bar <foo@example.com>\",\n"
                    + "  { name = \"Baz Qux\", email = \"bazqux@example.com\", url = \"https://example.com/bazqux\" }\n]\n",
            "integers2 = [\n  1, 2, 3\n]\n\nintegers3 = [\n  1,\n  2, # this is ok\n]\n",
            "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another string\"\nkey2 = 456\n",
            "[dog.\"tater.man\"]\ntype.name = \"pug\"\n",
            "[a.b.c]            # this is best practice\n[ d.e.f ]          # same as [d.e.f]\n[ g .  h  . i ]    # same as [g.h.i]\n[ j . \"ʞ\" . 'l' ]  # same as [j.\"ʞ\".'l']\n",
            "# [x] you\n# [x.y] don't\n# [x.y.z] need these\n[x.y.z.w] # for this to work\n\n[x] # defining a super-table afterward is ok\n",
            "# Top-level table begins.\nname = \"Fido\"\nbreed = \"pug\"\n\n# Top-level table ends.\n[owner]\nname = \"Regina Dogman\"\nmember_since = 1999-08-04\n",
            "fruit.apple.color = \"red\"\n# Defines a table named fruit\n# Defines a table named fruit.apple\n\nfruit.apple.taste.sweet = true\n",
            "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n\n[fruit.apple.texture]  # you can add sub-tables\nsmooth = true\n",
            "name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = { x = 1, y = 2 }\nanimal = { type.name = \"pug\" }\n",
            "[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty table within the array\n\n[[products]]\nname = \"Nail\"\nsku = 284758393\n\ncolor = \"gray\"\n",
            "[[fruits]]\nname = \"apple\"\n\n[fruits.physical]  # subtable\ncolor = \"red\"\nshape = \"round\"\n\n[[fruits.varieties]]  # nested array of tables\n"
                    + "name = \"red delicious\"\n\n[[fruits.varieties]]\nname = \"granny smith\"\n\n\n[[fruits]]\nname = \"banana\"\n\n[[fruits.varieties]]\nname = \"plantain\"\n",
            "points = [ { x = 1, y = 2, z = 3 },\n           { x = 7, y = 8, z = 9 },\n           { x = 2, y = 4, z = 8 } ]\n",
            // more shapes
            "a = 1\r\n[b]\r\nc = \"x\"\r\n\r\n# comment\r\nd = \"\"\"\r\nline1\r\nline2\"\"\"\r\ne = '''x\r\ny'''\r\nf = \"\"\"a \\\r\n  b\"\"\"\r\n",
            "  # comment\n  [ tbl ] # c\n  k = [ # c\n 1, # c\n # c\n 2 ] # c\n\tl\t=\t\"t\"\t# c\n",
            "a = {}\nb = []\nc = [[]]\nd = [{}]\ne = { }\nf = [ ]\n",
            "a = \"\\u00E9\\U0001F600\\b\\t\\n\\f\\r\\\"\\\\ é 温度 😀\"\nb = \"tab\there\"\nc = 'tab\there'\n",
            "a = 1",
            "a=1#x\nb=[1]#x\nc={x=1}#x\nd=\"s\"#x",
            "[[a.b]]\nx = 1\n\n[a]\ny = 2\n",
            "[a]\n[a.b]\n[a.b.c]\nd = 1\n",
            "[fruit]\napple.color = \"red\"\n\n[[fruit.apple.seeds]]\nsize = 2\n",
            "true = 1\nfalse = 2\ninf = 3\nnan = 4\n1979-05-27 = 5\n-_- = 6\n0x10 = 7\n",
            "a = { x = \"\"\"\n\"\"\", y = [\n1, 2] }\nb = { c = { d = { e = [ { f = 1 } ] } } }\n",
            "a = [ 1, \"x\", 1.5, true, 1979-05-27, [ 2, [ 3 ] ], { y = 4 } ]\n",
            "a.b.c = 1\na.b.d = 2\na.e = 3\n[x]\ny.z = 1\n[x.y.w]\nv = 2\n",
            "a = [" + "[".repeat(98) + "1" + "]".repeat(98) + "]\n",
            "a = " + "{ b = ".repeat(99) + "1" + " }".repeat(99) + "\n");

    static final List<String> INVALID = List.of(
            "a = 1\na = 2\n",
            "[a]\nx = 1\n[a]\ny = 2\n",
            "a = 012\n",
            "a = 1__2\n",
            "a = 1_\n",
            "a = _1\n",
            "a = \"\\q\"\n",
            "a = \"\\e\"\n",
            "a = \"\\x41\"\n",
            "a = \"\\u00\"\n",
            "a = \"\\U00110000\"\n",
            "a = \"unterminated\n",
            "a = \"\"\"unterminated\n",
            "a = 'unterminated\n",
            "a = '''unterminated",
            "a = \"x\u0001\"\n",
            "a = 'x\u007F'\n",
            "a = 1 # bell \u0007\n",
            "a = \"\"\"a\"\"\"\"\"\"\n",
            "a = { x = 1, }\n",
            "a = { x = 1\n}\n",
            "a = { x = 1, x = 2 }\n",
            "a = {x = 1}\na.y = 2\n",
            "a = {x = 1}\n[a.y]\n",
            "a = {x = 1}\n[a]\n",
            "a = [1]\n[[a]]\n",
            "a = [{x = 1}]\n[a.y]\n",
            "[[a]]\n[a]\n",
            "[a]\n[[a]]\n",
            "a.b = 1\n[a]\n",
            "a.b = 1\n[a.b]\n",
            "a = 1\na.b = 2\n",
            "a.b = 1\na = 2\n",
            "[a]\nb = 1\n[a.b]\n",
            "[fruit]\napple.color = \"red\"\n[fruit.apple]\n",
            "a = \n",
            "a\n",
            "= 1\n",
            "a = 1 b = 2\n",
            "a = 1\rb = 2\n",
            "[a.]\n",
            "[]\n",
            "[.a]\n",
            "[ [a]]\n",
            "[a]x\n",
            "a = True\n",
            "a = tru\n",
            "a = 1.\n",
            "a = .1\n",
            "a = 1.e2\n",
            "a = 1e\n",
            "a = 0x\n",
            "a = +0x1\n",
            "a = 0b2\n",
            "a = 0o8\n",
            "a = -01\n",
            "a = [1,,2]\n",
            "a = [,]\n",
            "a = [1 2]\n",
            "a = [1, 2\n",
            "a = 1979-05-27T07:32Z\n",
            "a = 07:32\n",
            "a = 1979-05-27T07:32:00+07\n",
            "a = 1979-5-27\n",
            "\"\"\"a\"\"\" = 1\n",
            "a = \"x\"y\n");

    /** Invalid in TOML 1.0 but read by TomlMapper: we refuse them. */
    static final List<String> INVALID_BUT_TOMLMAPPER_READS = List.of(
            // dotted keys may not add to a table defined by a [header] (toml-lang/toml#846 and #859, toml-test)
            "[a.b]\nx = 1\n[a]\nb.y = 2\n",
            "[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n",
            "[[a.b]]\n[a]\nb.y = 2\n",
            "[[tab.arr]]\n[tab]\narr.val1 = 1\n",
            // dates and times out of range
            "a = 2100-02-29\n", "a = 1979-13-01\n", "a = 1979-04-31\n", "a = 1979-01-00\n", "a = 24:00:00\n", "a = 00:60:00\n",
            "a = 1979-05-27T07:32:61Z\n", "a = 1979-05-27T07:32:00+25:00\n", "a = 1979-05-27T07:32:00+12:60\n",
            // a \\u escape must be a Unicode scalar value, not a surrogate
            "a = \"\\uD800\"\n", "a = \"\"\"\\uDFFF\"\"\"\n");

    @Test
    void readsTheTreeTomlMapperReads() throws Exception {
        assertThat(VALID).hasSizeGreaterThanOrEqualTo(40);
        for (String doc : VALID) assertThat(Json.text(Toml.parse(doc))).as(doc).isEqualTo(oracle(doc));
    }

    @Test
    void refusesWhatTomlMapperRefusesWithTheLine() {
        assertThat(INVALID).hasSizeGreaterThanOrEqualTo(30);
        for (String doc : INVALID) {
            assertThat(catchThrowable(() -> TOML.readTree(doc))).as("TomlMapper on " + doc).isNotNull();
            assertThatThrownBy(() -> Toml.parse(doc)).as(doc).isInstanceOf(Toml.TomlException.class).hasMessageMatching("line [1-9][0-9]*: .+");
        }
    }

    @Test
    void refusesWhatTheSpecRefusesThoughTomlMapperReadsIt() throws Exception {
        for (String doc : INVALID_BUT_TOMLMAPPER_READS) {
            assertThat(TOML.readTree(doc)).as(doc).isNotNull();
            assertThatThrownBy(() -> Toml.parse(doc)).as(doc).isInstanceOf(Toml.TomlException.class).hasMessageMatching("line [1-9][0-9]*: .+");
        }
    }

    /** Valid TOML 1.0 that TomlMapper refuses or reads wrong. */
    @Test
    void readsWhatTheSpecAllowsWhereTomlMapperDoesNot() throws Exception {
        // RFC 3339 is case-insensitive: a lower-case z is an offset too (TomlMapper: "More data after value")
        String lowerZ = "a = 1987-07-05T17:45:00z\n";
        assertThat(catchThrowable(() -> TOML.readTree(lowerZ))).isNotNull();
        assertThat(Json.text(Toml.parse(lowerZ))).isEqualTo("{\"a\":\"1987-07-05T17:45:00z\"}");
        // a byte order mark at the start (toml-test's valid/utf8-bom; TomlMapper: "Unknown token")
        assertThat(catchThrowable(() -> TOML.readTree("\uFEFFa = 1\n"))).isNotNull();
        assertThat(Json.text(Toml.parse("\uFEFFa = 1\n"))).isEqualTo("{\"a\":1}");
        // TomlMapper 2.21 loses the first digits of 19-digit integers (1234567890123456789 reads as 123456789)
        String longs = "a = 1234567890123456789\nb = 9223372036854775807\nc = -9223372036854775808\ne = 1000000000000000000\n";
        assertThat(JSON.writeValueAsString(TOML.readTree(longs))).isEqualTo(
                "{\"a\":123456789,\"b\":6854775807,\"c\":-6854775808,\"e\":0}");
        ObjectNode n = Toml.parse(longs);
        assertThat(Json.text(n)).isEqualTo(
                "{\"a\":1234567890123456789,\"b\":9223372036854775807,\"c\":-9223372036854775808,\"e\":1000000000000000000}");
        assertThat(n.get("c").longValue()).isEqualTo(Long.MIN_VALUE);
        // beyond 64 bits is an error, as the spec says (TomlMapper reads such a value as a big integer)
        message("d = -9223372036854775809", "line 1: integer -9223372036854775809 is out of the 64-bit range");
        message("x = 0x1_0000_0000_0000_0000", "line 1: integer 0x1_0000_0000_0000_0000 is out of the 64-bit range");
        message("big = 99999999999999999999", "line 1: integer 99999999999999999999 is out of the 64-bit range");
        message("x = 0x8000000000000000", "line 1: integer 0x8000000000000000 is out of the 64-bit range");
        assertThat(Toml.parse("x = 0x7fffffffffffffff").get("x").longValue()).isEqualTo(Long.MAX_VALUE);
        assertThat(Toml.parse("x = 0x0000000000000000000000001").get("x").asInt()).isEqualTo(1); // leading zeros do not count
        // -0.0 is negative zero (IEEE 754, as the spec says); TomlMapper's BigDecimal drops the sign
        assertThat(TOML.readTree("a = -0.0").get("a").doubleValue()).isEqualTo(0.0);
        assertThat(Toml.parse("a = -0.0").get("a").doubleValue()).isEqualTo(-0.0);
    }

    @Test
    void numbersAndDatesHaveTheirTypes() throws Exception {
        ObjectNode n = Toml.parse("i = 7\nl = 3000000000\nh = 0x00000001\nd = 1.5\ne = 1e3\nt = 1979-05-27 07:32:00\nf = 0o644");
        assertThat(((NumberNode) n.get("i")).value).isEqualTo(7);
        assertThat(((NumberNode) n.get("l")).value).isEqualTo(3000000000L);
        // by value: TomlMapper types 0x, 0o and 0b integers by their number of digits (0x00000001 is a Long there)
        assertThat(((NumberNode) n.get("h")).value).isEqualTo(1);
        // floats are doubles (TomlMapper: BigDecimal, written 1E+3 where we write 1000.0)
        assertThat(((NumberNode) n.get("d")).value).isEqualTo(1.5);
        assertThat(((NumberNode) n.get("e")).value).isEqualTo(1000.0);
        // date-times are text, the space between date and time written T, as TomlMapper does
        assertThat(n.get("t").textValue()).isEqualTo("1979-05-27T07:32:00");
        assertThat(n.get("f").asInt()).isEqualTo(0644);
        assertThat(Toml.parse("")).isEqualTo(Json.object());
    }

    @Test
    void messagesSayWhatAndWhere() {
        message("a = 1\nb = 2\na 3\n", "line 3: expected '=' after the key a, found '3'");
        message("[x]\na = 1\nb = 012\n", "line 3: invalid number 012: leading zeros are not allowed");
        message("a = 1__2", "line 1: invalid number 1__2: '_' must be between two digits");
        message("a = 1\n\na = 2\n", "line 3: the key a is defined twice");
        message("[a]\n[b]\n[a]\n", "line 3: the table [a] is defined twice");
        message("a.b = 1\n[a]\n", "line 2: cannot define [a]: a is already a table defined by dotted keys");
        message("a = {x = 1}\na.y = 2\n", "line 2: cannot set a.y: a is already an inline table and cannot be extended with a dotted key");
        message("a = [1]\n[[a]]\n", "line 2: cannot define [[a]]: a is already an array");
        message("x = 1\na = \"abc\n", "line 2: unterminated string (use \"\"\" or ''' for text on several lines)");
        message("x = 1\na = \"\"\"abc\n\n", "line 2: unterminated string");
        message("a = \"\\q\"", "line 1: invalid escape \\q (allowed: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)");
        message("\n\na = \"x\u0001\"", "line 3: control character U+0001 in a string (write it as an escape)");
        message("a = yes\n", "line 1: invalid value yes (text must be quoted)");
        message("a = 2023-02-29\n", "line 1: invalid date 2023-02-29");
        message("a = { b = 1, }", "line 1: no ',' is allowed after the last value of an inline table");
        message("'a b' = 1 2", "line 1: expected the end of the line after the value of 'a b', found '2'");
        message("[a\n", "line 1: expected ']' after the table name a, found the end of the line");
    }

    private static void message(String doc, String message) {
        assertThatThrownBy(() -> Toml.parse(doc)).as(doc).isInstanceOf(Toml.TomlException.class).hasMessage(message)
                .satisfies(e -> assertThat(((Toml.TomlException) e).line()).isEqualTo(Integer.parseInt(message.replaceAll("line (\\d+):.*", "$1"))));
    }

    @Test
    void nestingIsBoundedAndNothingOverflowsTheStack() {
        String deep = "a = " + "[".repeat(100) + "]".repeat(100);
        assertThatCode(() -> Toml.parse(deep)).doesNotThrowAnyException();
        for (String doc : List.of("a = " + "[".repeat(101) + "]".repeat(101), "a = " + "[".repeat(1_000_000), "a = " + "{b=".repeat(101) + "1" + "}".repeat(101),
                "[" + "a.".repeat(100) + "a]", "a" + ".a".repeat(200_000) + " = 1", "[[a]]\n[" + "a.".repeat(99) + "a]")) {
            assertThatThrownBy(() -> Toml.parse(doc)).isInstanceOf(Toml.TomlException.class).hasMessageMatching("line [12]: nested deeper than 100 levels");
        }
        // integers beyond 64 bits are refused by their number of digits, before any parsing (a
        // million digits took BigInteger 12 s), and the message shows only the start of the value
        for (String doc : List.of("a = 1" + "_0".repeat(100_000), "a = 0x1" + "_f".repeat(100_000), "a = 1" + "0".repeat(999_990),
                "a = 0x" + "f".repeat(999_990), "a = 0b1" + "0".repeat(999_990))) {
            assertThatThrownBy(() -> Toml.parse(doc)).isInstanceOf(Toml.TomlException.class)
                    .hasMessageContaining("is out of the 64-bit range").hasMessageContaining("characters)")
                    .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(120));
        }
        // long floats, strings and arrays: no regular expression or recursion that grows with them
        for (String doc : List.of("a = 1." + "0".repeat(100_000) + "e1",
                "a = \"" + "x".repeat(1_000_000) + "\"", "a = [" + "1,".repeat(100_000) + "]", "a = 1979-05-27T07:32:00." + "9".repeat(100_000) + "Z")) {
            assertThatCode(() -> Toml.parse(doc)).doesNotThrowAnyException();
        }
    }

    // ------------------------------------------------------------------------------------ write

    @Test
    void writesAStateFileAsTomlMapperDoes() throws Exception {
        ObjectNode state = Json.object().put("operation_id", "abc-123").put("operation", "Restarting").put("started", 1712345678901L);
        assertThat(Toml.write(state)).isEqualTo("operation_id = 'abc-123'\noperation = 'Restarting'\nstarted = 1712345678901\n")
                .isEqualTo(TOML.writeValueAsString(JSON.readTree(Json.text(state))));
        assertThat(Toml.parse(Toml.write(state))).isEqualTo(state);
    }

    @Test
    void writesFlatTablesAsTomlMapperDoes() throws Exception {
        ObjectNode t = Json.object().put("plain", "x").put("quote", "it's").put("both", "it's \"q\" \\ back").put("dq", "say \"hi\"")
                .put("controls", "nl\ncr\rtab\tbs\bff\fesc\u001bdel\u007fnul\u0000").put("unicode", "é 温度 😀").put("emoji's", "😀'")
                .put("tab", "it's\tx").put("tab2", "\"\t'").put("tab3", "a\tb").put("empty", "").put("a b", 1).put("", 2).put("k.e", true).put("ü", false).put("it's", -5).put("q\"", 0)
                .put("int", 42).put("long", 1712345678901L).put("neg", Integer.MIN_VALUE)
                .put("d", 1.5).put("e", 1e20).put("tiny", 1e-7).put("negzero", -0.0).put("max", Double.MAX_VALUE).putNull("null");
        t.putArray("arr").add(1).add("two").add(3.0).add(false).add("it's");
        t.putArray("none");
        assertThat(Toml.write(t)).isEqualTo(TOML.writeValueAsString(JSON.readTree(Json.text(t))));
        t.remove("null"); // TOML has no null: it is written '' and read back as text
        assertThat(Json.text(Toml.parse(Toml.write(t)))).isEqualTo(Json.text(t));
    }

    @Test
    void writesNonFiniteFloatsAsTomlDoes() throws Exception {
        ObjectNode t = Json.object().put("nan", Double.NaN).put("inf", Double.POSITIVE_INFINITY).put("minf", Double.NEGATIVE_INFINITY);
        assertThat(Toml.write(t)).isEqualTo("nan = nan\ninf = inf\nminf = -inf\n");
        assertThat(Json.text(Toml.parse(Toml.write(t)))).isEqualTo(Json.text(t));
        // TomlMapper writes NaN and -Infinity, which are not TOML (and which it cannot read back)
        String theirs = TOML.writeValueAsString(TOML.createObjectNode().put("nan", Double.NaN).put("minf", Double.NEGATIVE_INFINITY));
        assertThat(theirs).isEqualTo("nan = NaN\nminf = -Infinity\n");
        assertThat(catchThrowable(() -> TOML.readTree(theirs))).isNotNull();
    }

    @Test
    void writesObjectsAsSectionsAndReadsThemBack() throws Exception {
        ObjectNode t = Json.object().put("top", "v");
        t.putArray("list").add("a").addObject().put("in", 1);
        t.putObject("exec").put("topic", "c8y/s/ds").put("timeout", 10).putObject("deeper").put("x", "y").putArray("z").add(1);
        t.putObject("with space").put("k", true);
        t.putObject("empty");
        assertThat(Toml.write(t)).isEqualTo("top = 'v'\nlist = ['a', {in = 1}]\n\n[exec]\ntopic = 'c8y/s/ds'\ntimeout = 10\n"
                + "deeper = {x = 'y', z = [1]}\n\n['with space']\nk = true\n\n[empty]\n");
        assertThat(Toml.parse(Toml.write(t))).isEqualTo(t);
        // simple values come first, so the order changes when an object is not last; the tree is the same
        ObjectNode u = Json.object();
        u.putObject("first").put("a", 1);
        u.put("second", 2);
        assertThat(Toml.parse(Toml.write(u))).isEqualTo(u);
        assertThat(Toml.write(Json.object())).isEmpty();
    }

    @Test
    void writesEveryValidTreeBackToTheSameTree() throws Exception {
        // every document of the corpus whose tables are at most one level deep (or inline) reads back the same
        for (String doc : VALID) {
            ObjectNode n = Toml.parse(doc);
            String written = Toml.write(n);
            assertThat(Json.text(Toml.parse(written))).as(doc + "\n=>\n" + written).isEqualTo(Json.text(sorted(n)));
        }
    }

    @Test
    void writesLoneSurrogatesAsReplacementCharacters() throws Exception {
        ObjectNode t = Json.object().put("s", "a\uD800b\uDC00c😀");
        assertThat(Toml.write(t)).isEqualTo("s = 'a\uFFFDb\uFFFDc😀'\n");
        assertThat(Toml.parse(Toml.write(Json.object().put("s", "x".repeat(1_000_000) + "'"))).get("s").textValue()).hasSize(1_000_001);
    }

    /** The tree with its objects after the other members, as {@link Toml#write} orders them. */
    private static ObjectNode sorted(ObjectNode n) {
        ObjectNode r = Json.object();
        for (int pass = 0; pass < 2; pass++) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isObject() == (pass == 1)) r.set(e.getKey(), e.getValue());
            }
        }
        return r;
    }

    /**
     * TomlMapper's tree as JSON, its floats as doubles: TomlMapper reads them as BigDecimal (1.0 is
     * written 1, 1e3 1E+3), our tree has doubles as the JSON reader does.
     */
    private static String oracle(String doc) throws Exception {
        return JSON.writeValueAsString(doubles(TOML.readTree(doc)));
    }

    private static com.fasterxml.jackson.databind.JsonNode doubles(com.fasterxml.jackson.databind.JsonNode n) {
        if (n instanceof DecimalNode d) return DoubleNode.valueOf(d.doubleValue());
        if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            for (Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = o.fields(); it.hasNext();) {
                Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e = it.next();
                e.setValue(doubles(e.getValue()));
            }
        } else if (n instanceof com.fasterxml.jackson.databind.node.ArrayNode a) {
            for (int i = 0; i < a.size(); i++) a.set(i, doubles(a.get(i)));
        }
        return n;
    }
}
