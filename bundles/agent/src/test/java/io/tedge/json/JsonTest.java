package io.tedge.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The tree against Jackson's own (jackson-databind, a test dependency only): what it reads, what
 * each accessor answers, and what it writes must be the same, since device management was built
 * on Jackson's tree and upstream's messages were matched with it.
 */
class JsonTest {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    static final List<String> VALID = List.of(
            "{}", "[]", "{\"a\":1}", "  {\"a\" : [1, 2 , 3] }  ", "{\"id\":\"U1\",\"updateList\":[{\"type\":\"apt\",\"modules\":[{\"name\":\"nano\",\"version\":\"2.9\",\"action\":\"install\"}]}]}",
            "{\"n\":null,\"t\":true,\"f\":false}", "{\"big\":12345678901234567890123,\"long\":1234567890123,\"int\":-2147483648,\"neg\":-5}",
            "{\"d\":1.5,\"e\":1e10,\"E\":-2.5E-7,\"z\":-0.0,\"one\":1.0}", "{\"a\":1,\"a\":2}", "{\"s\":\"tab\\tnl\\nquote\\\"bs\\\\ \\u00e9 \\ud83d\\ude00 \\u0001\"}",
            "\"top\"", "42", "3.25", "true", "null", "[[[]],{},[{}]]", "{\"nested\":{\"deeper\":{\"deepest\":[1,{\"x\":\"y\"}]}}}",
            "{\"unicode\":\"温度 \u00fc\"}", "{\"c8y_Agent\":{\"name\":\"thin-edge.io\",\"version\":\"1.0\"},\"type\":\"thin-edge.io\"}",
            "{\"status\":\"up\",\"pid\":1234,\"time\":1710000000.123}", "[1,\"a\",null,true,2.5,{\"k\":[]}]", "{\"\":\"empty key\"}",
            "{\"a\":1} trailing", "{\"x\":9223372036854775807,\"y\":9223372036854775808,\"z\":-9223372036854775809}");

    static final List<String> INVALID = List.of("{", "[1,2", "{\"a\":}", "{\"a\" 1}", "{a:1}", "[1,]", "{\"a\":1,}", "'x'", "tru", "[01]", "{\"a\":\"\u0001\"}",
            "{\"a\":\"unterminated}", "[1 2]", "\"\\x\"");

    @Test
    void readsAndWritesWhatJacksonReadsAndWrites() throws Exception {
        for (String doc : VALID) {
            assertThat(Json.text(Json.parse(doc))).as(doc).isEqualTo(JACKSON.writeValueAsString(JACKSON.readTree(doc)));
            byte[] utf8 = doc.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertThat(Json.bytes(Json.parse(utf8))).as(doc).isEqualTo(JACKSON.writeValueAsBytes(JACKSON.readTree(utf8)));
        }
    }

    @Test
    void everyAccessorAnswersAsJacksonsDoes() throws Exception {
        for (String doc : VALID) same(Json.parse(doc), JACKSON.readTree(doc), doc);
        // text that reads as numbers and booleans, and the missing node
        for (String doc : List.of("{\"a\":\"12\",\"b\":\" 7 \",\"c\":\"x\",\"d\":\"true\",\"e\":\"1.9\",\"f\":\"\",\"g\":\"-3\"}",
                "{\"a\":\"99999999999\",\"b\":\"9223372036854775808\",\"c\":\"+5\",\"d\":\"-\",\"e\":\"+\",\"f\":\"1e3\",\"g\":\"-2.5\"}",
                "{\"a\":18446744073709551616,\"b\":[0,1,2,3,4,5,6,7,8,9,10,11]}")) {
            same(Json.parse(doc), JACKSON.readTree(doc), doc);
        }
    }

    private static void same(JsonNode ours, com.fasterxml.jackson.databind.JsonNode theirs, String where) {
        String at = where + " at " + theirs;
        assertThat(ours.isObject()).as(at).isEqualTo(theirs.isObject());
        assertThat(ours.isArray()).as(at).isEqualTo(theirs.isArray());
        assertThat(ours.isTextual()).as(at).isEqualTo(theirs.isTextual());
        assertThat(ours.isNull()).as(at).isEqualTo(theirs.isNull());
        assertThat(ours.isMissingNode()).as(at).isEqualTo(theirs.isMissingNode());
        assertThat(ours.isNumber()).as(at).isEqualTo(theirs.isNumber());
        assertThat(ours.isIntegralNumber()).as(at).isEqualTo(theirs.isIntegralNumber());
        assertThat(ours.isBoolean()).as(at).isEqualTo(theirs.isBoolean());
        assertThat(ours.isContainerNode()).as(at).isEqualTo(theirs.isContainerNode());
        assertThat(ours.isValueNode()).as(at).isEqualTo(theirs.isValueNode());
        assertThat(ours.canConvertToLong()).as(at).isEqualTo(theirs.canConvertToLong());
        assertThat(ours.asText()).as(at).isEqualTo(theirs.asText());
        assertThat(ours.asText("dflt")).as(at).isEqualTo(theirs.asText("dflt"));
        assertThat(ours.textValue()).as(at).isEqualTo(theirs.textValue());
        assertThat(ours.asInt()).as(at).isEqualTo(theirs.asInt());
        assertThat(ours.asInt(-7)).as(at).isEqualTo(theirs.asInt(-7));
        assertThat(ours.asLong()).as(at).isEqualTo(theirs.asLong());
        assertThat(ours.asLong(-7)).as(at).isEqualTo(theirs.asLong(-7));
        assertThat(ours.asBoolean()).as(at).isEqualTo(theirs.asBoolean());
        assertThat(ours.asBoolean(true)).as(at).isEqualTo(theirs.asBoolean(true));
        assertThat(ours.asDouble()).as(at).isEqualTo(theirs.asDouble());
        assertThat(ours.size()).as(at).isEqualTo(theirs.size());
        assertThat(ours.isEmpty()).as(at).isEqualTo(theirs.isEmpty());
        assertThat(ours.path("nope").isMissingNode()).as(at).isTrue();
        assertThat(ours.get("nope")).as(at).isNull();
        assertThat(ours.get(99)).as(at).isNull();
        assertThat(ours.has("a")).as(at).isEqualTo(theirs.has("a"));
        if (!ours.isMissingNode()) assertThat(ours.toString()).as(at).isEqualTo(theirs.toString());
        if (theirs.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> a = ours.fields();
            Iterator<Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> b = theirs.fields();
            while (b.hasNext()) {
                Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e = b.next();
                Map.Entry<String, JsonNode> o = a.next();
                assertThat(o.getKey()).as(at).isEqualTo(e.getKey());
                same(o.getValue(), e.getValue(), where);
                same(ours.path(e.getKey()), theirs.path(e.getKey()), where);
                assertThat(ours.at("/" + e.getKey().replace("~", "~0").replace("/", "~1")).toString())
                        .isEqualTo(theirs.at("/" + e.getKey().replace("~", "~0").replace("/", "~1")).toString());
            }
            assertThat(a.hasNext()).as(at).isFalse();
        }
        if (theirs.isArray()) {
            List<JsonNode> elements = new ArrayList<>();
            ours.forEach(elements::add);
            assertThat(elements).as(at).hasSize(theirs.size());
            for (String p : List.of("/01", "/+1", "/-0", "/-1", "/1x", "/", "/99999999999")) {
                assertThat(ours.at(p).toString()).as(at + p).isEqualTo(theirs.at(p).isMissingNode() ? "" : theirs.at(p).toString());
            }
            for (int i = 0; i < theirs.size(); i++) {
                same(ours.get(i), theirs.get(i), where);
                same(ours.path(i), theirs.path(i), where);
                same(ours.at("/" + i), theirs.at("/" + i), where);
            }
        }
    }

    @Test
    void refusesWhatJacksonRefuses() {
        for (String doc : INVALID) {
            assertThatThrownBy(() -> JACKSON.readTree(doc)).as(doc).isInstanceOf(JsonProcessingException.class);
            assertThatThrownBy(() -> Json.parse(doc)).as(doc).isInstanceOf(JsonProcessingException.class).hasMessageContaining("line: 1");
        }
    }

    @Test
    void emptyInputIsTheMissingNodeAsInJackson() throws IOException {
        assertThat(Json.parse("").isMissingNode()).isTrue();
        assertThat(Json.parse("   ").isMissingNode()).isTrue();
        assertThat(JACKSON.readTree("").isMissingNode()).isTrue();
    }

    @Test
    void buildsWhatJacksonBuilds() throws Exception {
        ObjectNode o = Json.object();
        com.fasterxml.jackson.databind.node.ObjectNode j = JACKSON.createObjectNode();
        o.put("s", "text").put("i", 7).put("l", 1L << 40).put("d", 2.5).put("b", true).put("n", (String) null).putNull("m");
        j.put("s", "text").put("i", 7).put("l", 1L << 40).put("d", 2.5).put("b", true).put("n", (String) null).putNull("m");
        o.putObject("obj").put("k", "v").putArray("arr").add("x").add(1).add(2.0).add(false).add((String) null).addObject().put("z", 0);
        j.putObject("obj").put("k", "v").putArray("arr").add("x").add(1).add(2.0).add(false).add((String) null).addObject().put("z", 0);
        o.putArray("list").addArray().add(1L);
        j.putArray("list").addArray().add(1L);
        o.set("copy", o.get("obj").deepCopy());
        j.set("copy", j.get("obj").deepCopy());
        o.put("s", "replaced in place");
        j.put("s", "replaced in place");
        o.remove("m");
        j.remove("m");
        assertThat(o.toString()).isEqualTo(JACKSON.writeValueAsString(j));
        assertThat(Json.bytes(o)).isEqualTo(JACKSON.writeValueAsBytes(j));
        assertThat(o.toString()).isEqualTo(j.toString());
        assertThat(Json.parse(o.toString()).toString()).isEqualTo(o.toString());
        assertThat(o.deepCopy()).isEqualTo(o).isNotSameAs(o);
    }

    @Test
    void deepNestingIsRefusedNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep)).isInstanceOf(JsonProcessingException.class).hasMessageContaining("nesting depth");
    }
}
