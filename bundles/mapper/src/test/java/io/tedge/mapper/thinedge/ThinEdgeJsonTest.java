package io.tedge.mapper.thinedge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Thin Edge JSON parser over thin-edge.io's own fixtures (thin_edge_json_fixtures @0.4.3,
 * thin_edge_json_parser @0.2.0), plus cases of ours. Where we deliberately differ from 0.4.3 the
 * case says so.
 */
class ThinEdgeJsonTest {

    static String parseError(String input) {
        return parseError(input.getBytes(StandardCharsets.UTF_8));
    }

    static String parseError(byte[] input) {
        try {
            ThinEdgeJson.parse(input);
        } catch (ThinEdgeJson.InvalidThinEdgeJson e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + new String(input, StandardCharsets.UTF_8));
    }

    static String reserialized(String input) throws Exception {
        return new String(ThinEdgeJson.toJson(ThinEdgeJson.parse(input.getBytes(StandardCharsets.UTF_8)), null), StandardCharsets.UTF_8);
    }

    static Stream<Arguments> rejected() {
        return Stream.of(
                // thin_edge_json_fixtures @0.4.3: the exact texts
                Arguments.of("reject_array_value",
                        "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n  \"temperature\": [50,60,70]\n}\n",
                        "Invalid JSON: invalid type: sequence, expected ThinEdge single or multi-value measurement at line 3 column 18: `[50,60,70]\n}\n`"),
                Arguments.of("reject_boolean_value",
                        "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n  \"temperature\": true,\n  \"pressure\": 220\n}\n",
                        "Invalid JSON: invalid type: boolean `true`, expected ThinEdge single or multi-value measurement at line 3 column 21: `e,\n  \"pressure\": 220\n}\n`"),
                Arguments.of("reject_deep_hierarchy",
                        "{\n  \"location\": {\n    \"latitude\": 32.54,\n    \"longitude\": -117.67,\n    \"altitude\": 98.6,\n    \"area\": {\n      \"breadth\": 32.54,\n      \"depth\": 117.67\n    }\n  },\n  \"pressure\": 98\n}\n",
                        "Invalid JSON: Expect single-value measurement at line 7 column 6: ` \"breadth\": 32.54,\n      \"depth\": 117.67\n    }\n  },\n  \"pressure\": 98\n}\n`"),
                Arguments.of("reject_empty_measurement", "{\n  \"foo\" : {}\n}\n",
                        "Invalid JSON: Empty Thin Edge measurement: \"foo\" must contain at least one measurement at line 2 column 12: `}\n}\n`"),
                Arguments.of("reject_empty_record", "{}\n",
                        "Invalid JSON: Empty Thin Edge measurement: it must contain at least one measurement at line 1 column 2: `}\n`"),
                Arguments.of("reject_huge_number",
                        "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n  \"temperature\": 10e99999\n}\n",
                        "Invalid JSON: number out of range at line 3 column 25: `9\n}\n`"),
                Arguments.of("reject_invalid_json", "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n  \"pressure\": 220;\n}\n",
                        "Invalid JSON: expected `,` or `}` at line 3 column 18: `;\n}\n`"),
                Arguments.of("reject_invalid_timestamp", "{\n  \"time\" : \"2013-06-22 3am\",\n  \"pressure\": 220\n}\n",
                        "Invalid JSON: Invalid ISO8601 timestamp (expected YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm): \"2013-06-22 3am\": input contains invalid characters at line 2 column 27: `\",\n  \"pressure\": 220\n}\n`"),
                Arguments.of("reject_just_time", "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\"\n}\n",
                        "Invalid JSON: Empty Thin Edge measurement: it must contain at least one measurement at line 3 column 1: `}\n`"),
                Arguments.of("reject_measurement_named_externalSource",
                        "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n  \"externalSource\": 40,\n  \"pressure\": 220\n}\n",
                        "Invalid JSON: Invalid measurement name: \"externalSource\" is a reserved word. at line 3 column 18: `\": 40,\n  \"pressure\": 220\n}\n`"),
                Arguments.of("reject_measurement_named_type",
                        "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n  \"type\": 40,\n  \"pressure\": 220\n}\n",
                        "Invalid JSON: Invalid measurement name: \"type\" is a reserved word. at line 3 column 8: `\": 40,\n  \"pressure\": 220\n}\n`"),
                // 0.4.3 says "invalid type: integer `40`, expected a borrowed string"; we give 0.2.0's reason
                Arguments.of("reject_number_for_time", "{\n  \"time\": 40,\n  \"pressure\": 220\n}\n",
                        "Invalid JSON: Not a timestamp: the time value must be an ISO8601 timestamp string in the YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm format, not a number. at line 2 column 12: `0,\n  \"pressure\": 220\n}\n`"),
                Arguments.of("reject_partial_json", "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n",
                        "Invalid JSON: EOF while parsing a value at line 3 column 0: ``"),
                Arguments.of("reject_partial_timestamp", "{\n  \"time\" : \"2013-06-22\",\n  \"pressure\": 220\n}\n",
                        "Invalid JSON: Invalid ISO8601 timestamp (expected YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm): \"2013-06-22\": premature end of input at line 2 column 23: `\",\n  \"pressure\": 220\n}\n`"),
                Arguments.of("reject_string_value",
                        "{\n  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n  \"temperature\": 50,\n  \"pressure\": \"20\"\n}\n",
                        "Invalid JSON: invalid type: string \"20\", expected ThinEdge single or multi-value measurement at line 4 column 18: `\"\n}\n`"),
                // 0.4.3 reports this one at the closing brace (line 3 column 1); we report it where the value ends, as 2.0.1 does
                Arguments.of("reject_timestamp_missing_time_separator", "{\n  \"time\" : \"2013-06-2217:03:14.000658767+02:00\"\n}\n",
                        "Invalid JSON: Invalid ISO8601 timestamp (expected YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm): \"2013-06-2217:03:14.000658767+02:00\": input contains invalid characters at line 2 column 47: `\"\n}\n`"),
                Arguments.of("reject_toplevel_array", "[50,23]\n",
                        "Invalid JSON: invalid type: sequence, expected ThinEdge JSON at line 1 column 0: `[50,23]\n`"),
                // 2.0.1 accepts a Unix time (fixture "unix"); 0.x does not
                Arguments.of("unix time (2.0.1 only)", "{\n  \"time\": 1619802194,\n  \"temperature\": 25\n}\n",
                        "Invalid JSON: Not a timestamp: the time value must be an ISO8601 timestamp string in the YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm format, not a number. at line 2 column 20: `4,\n  \"temperature\": 25\n}\n`"),
                // c8y_measurements @0.4.3 and az_aws @0.12.0 (whose excerpt adds a line end)
                Arguments.of("invalid value", "{\"temp\": invalid}", "Invalid JSON: expected value at line 1 column 10: `invalid}`"),
                Arguments.of("not JSON", "Invalid JSON", "Invalid JSON: expected value at line 1 column 1: `Invalid JSON`"),
                // ours
                Arguments.of("null value", "{\"temperature\": null}",
                        "Invalid JSON: invalid type: null, expected ThinEdge single or multi-value measurement at line 1 column 20: `l}`"),
                Arguments.of("string in a group", "{\"g\": {\"a\": 1, \"b\": \"x\"}}",
                        "Invalid JSON: invalid type: string \"x\", expected a single-value measurement (a number) in group \"g\" at line 1 column 23: `\"}}`"),
                Arguments.of("array in a group", "{\"g\": {\"a\": [1]}}",
                        "Invalid JSON: invalid type: sequence, expected a single-value measurement (a number) in group \"g\" at line 1 column 13: `[1]}}`"),
                Arguments.of("boolean in a group", "{\"g\": {\"a\": false}}",
                        "Invalid JSON: invalid type: boolean `false`, expected a single-value measurement (a number) in group \"g\" at line 1 column 17: `e}}`"),
                Arguments.of("deeper nesting, compact", "{\"g\":{\"h\":{\"i\":1}}}",
                        "Invalid JSON: Expect single-value measurement at line 1 column 11: `{\"i\":1}}}`"),
                Arguments.of("root string", "\"temperature\"",
                        "Invalid JSON: invalid type: string \"temperature\", expected ThinEdge JSON at line 1 column 0: `\"temperature\"`"),
                Arguments.of("root number", "42", "Invalid JSON: invalid type: integer `42`, expected ThinEdge JSON at line 1 column 0: `42`"),
                Arguments.of("empty payload", "", "Invalid JSON: EOF while parsing a value at line 1 column 0: ``"),
                Arguments.of("blank payload", " \n", "Invalid JSON: EOF while parsing a value at line 2 column 0: ``"),
                Arguments.of("unclosed object", "{\"a\": 1", "Invalid JSON: EOF while parsing an object at line 1 column 7: `1`"),
                Arguments.of("unclosed string", "{\"a\": 1, \"b", "Invalid JSON: EOF while parsing a string at line 1 column 11: `b`"),
                Arguments.of("trailing characters", "{\"a\": 1} x", "Invalid JSON: trailing characters at line 1 column 10: `x`"),
                Arguments.of("second document", "{\"a\": 1}{\"b\": 2}", "Invalid JSON: trailing characters at line 1 column 9: `{\"b\": 2}`"),
                Arguments.of("trailing comma", "{\"a\": 1,}", "Invalid JSON: trailing comma at line 1 column 9: `}`"),
                Arguments.of("unquoted key", "{a: 1}", "Invalid JSON: key must be a string at line 1 column 2: `a: 1}`"),
                Arguments.of("missing colon", "{\"a\" 1}", "Invalid JSON: expected `:` at line 1 column 6: `1}`"),
                Arguments.of("NaN", "{\"a\": NaN}", "Invalid JSON: expected value at line 1 column 7: `NaN}`"),
                Arguments.of("leading zero", "{\"a\": 01}", "Invalid JSON: invalid number at line 1 column 8: `1}`"),
                Arguments.of("repeated measurement", "{\"a\": 1, \"a\": 2}", "Invalid JSON: duplicate key \"a\" at line 1 column 12: `\": 2}`"),
                Arguments.of("repeated time", "{\"time\": \"2021-04-30T17:03:14Z\", \"a\": 1, \"time\": \"2021-04-30T17:03:14Z\"}",
                        "Invalid JSON: duplicate key \"time\" at line 1 column 47: `\": \"2021-04-30T17:03:14Z\"}`"),
                Arguments.of("repeated key in a group", "{\"g\": {\"a\": 1, \"a\": 2}}",
                        "Invalid JSON: duplicate key \"a\" at line 1 column 18: `\": 2}}`"),
                Arguments.of("time as an object", "{\"time\": {}, \"a\": 1}",
                        "Invalid JSON: Not a timestamp: the time value must be an ISO8601 timestamp string in the YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm format, not an object. at line 1 column 10: `{}, \"a\": 1}`"),
                Arguments.of("time as a boolean", "{\"a\": 1, \"time\": true}",
                        "Invalid JSON: Not a timestamp: the time value must be an ISO8601 timestamp string in the YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm format, not a boolean. at line 1 column 21: `e}`"),
                Arguments.of("negative infinity", "{\"a\": -1e400}", "Invalid JSON: number out of range at line 1 column 12: `0}`"),
                Arguments.of("excerpt is cut at 80 characters", "{\"a\": x" + "y".repeat(100) + "}",
                        "Invalid JSON: expected value at line 1 column 7: `x" + "y".repeat(79) + "`"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejects(String name, String input, String error) {
        assertThat(parseError(input)).isEqualTo(error);
    }

    static Stream<Arguments> accepted() {
        return Stream.of(
                // thin_edge_json_fixtures @0.4.3; upstream prints every number as a float (220.0), we keep them as given
                Arguments.of("key_with_backslash", "{\n  \"key with backslash: \\\\\": 220\n}\n", "{\"key with backslash: \\\\\":220}"),
                Arguments.of("numbers",
                        "{\n  \"positive_float\": 25.0,\n  \"negative_float\": -25.0,\n  \"positive_int\": 42,\n  \"negative_int\": -42,\n  \"nested\": {\n    \"positive_float\": 25.0,\n    \"negative_float\": -25.0,\n    \"positive_int\": 42,\n    \"negative_int\": -42\n  }\n}\n",
                        "{\"positive_float\":25.0,\"negative_float\":-25.0,\"positive_int\":42,\"negative_int\":-42,\"nested\":{\"positive_float\":25.0,\"negative_float\":-25.0,\"positive_int\":42,\"negative_int\":-42}}"),
                Arguments.of("simple", "{\n  \"temperature\": 25.0,\n  \"location\": {\n    \"alit\": 2100.4,\n    \"longi\": 2100.4,\n    \"lati\": 2100.4\n  }\n}\n",
                        "{\"temperature\":25.0,\"location\":{\"alit\":2100.4,\"longi\":2100.4,\"lati\":2100.4}}"),
                Arguments.of("milliseconds", "{\n  \"time\" : \"2021-04-30T17:03:14.123+02:00\",\n  \"temperature\" : 25\n}\n",
                        "{\"time\":\"2021-04-30T17:03:14.123+02:00\",\"temperature\":25}"),
                Arguments.of("nanoseconds", "{\n  \"time\" : \"2021-04-30T17:03:14.123456789+02:00\",\n  \"temperature\" : 25\n}\n",
                        "{\"time\":\"2021-04-30T17:03:14.123456789+02:00\",\"temperature\":25}"),
                Arguments.of("timestamp", "{\n  \"time\" : \"2021-04-30T17:03:14+02:00\",\n  \"temperature\" : 25\n}\n",
                        "{\"time\":\"2021-04-30T17:03:14+02:00\",\"temperature\":25}"),
                // ours
                Arguments.of("time re-rendered where it was", "{\"a\": 1, \"time\": \"2013-06-22T17:03:14.000+02:00\", \"b\": 2}",
                        "{\"a\":1,\"time\":\"2013-06-22T17:03:14+02:00\",\"b\":2}"),
                Arguments.of("numbers as written", "{\"a\": 1E+2, \"b\": -0.0, \"c\": 123456789012345678901234567890, \"d\": 2.50, \"e\": 4.9e-324}",
                        "{\"a\":1E+2,\"b\":-0.0,\"c\":123456789012345678901234567890,\"d\":2.50,\"e\":4.9e-324}"),
                Arguments.of("underflow to zero", "{\"a\": 10e-9999999999, \"b\": -1e-400}", "{\"a\":0,\"b\":0}"),
                Arguments.of("names are not restricted", "{\"caf\u00e9 \\\"1\\\"\": 1, \"g\": {\"type\": 2, \"time\": 3}}",
                        "{\"caf\u00e9 \\\"1\\\"\":1,\"g\":{\"type\":2,\"time\":3}}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void acceptsAndWritesBack(String name, String input, String output) throws Exception {
        assertThat(reserialized(input)).isEqualTo(output);
    }

    @Test
    void keepsTheInputOrderInTheModel() throws Exception {
        ThinEdgeJson.Measurement m = ThinEdgeJson.parse(
                "{\"b\": 2, \"time\": \"2021-04-30T17:03:14Z\", \"g\": {\"y\": 1, \"x\": 2}, \"a\": 1}".getBytes(StandardCharsets.UTF_8));
        assertThat(m.entries()).containsExactly(
                new ThinEdgeJson.Single("b", "2"),
                new ThinEdgeJson.Time(new Timestamp(2021, 4, 30, 17, 3, 14, 0, 0)),
                new ThinEdgeJson.Group("g", List.of(new ThinEdgeJson.Single("y", "1"), new ThinEdgeJson.Single("x", "2"))),
                new ThinEdgeJson.Single("a", "1"));
        assertThat(m.hasTime()).isTrue();
    }

    @Test
    void appendsTheGivenTime() throws Exception {
        ThinEdgeJson.Measurement m = ThinEdgeJson.parse("{\"temperature\": 23}".getBytes(StandardCharsets.UTF_8));
        assertThat(m.hasTime()).isFalse();
        assertThat(new String(ThinEdgeJson.toJson(m, Timestamp.parse("2021-04-08T00:00:00+05:00")), StandardCharsets.UTF_8))
                .isEqualTo("{\"temperature\":23,\"time\":\"2021-04-08T00:00:00+05:00\"}");
    }

    @Test
    void jacksonsLimitsAreReportedInPlainWords() {
        String longName = "{\"" + "n".repeat(60_000) + "\": 1}";
        assertThat(parseError(longName)).startsWith("Invalid JSON: Name length (60000) exceeds the maximum allowed (50000) at line 1 column ");
        String longNumber = "{\"a\": " + "1".repeat(1_200) + "}";
        assertThat(parseError(longNumber)).startsWith("Invalid JSON: Number value length (1200) exceeds the maximum allowed (1000) at line 1 column ");
    }

    // thin_edge_json_parser @0.2.0

    @Test
    void aTimeErrorWinsOverTheEmptyMessageError() {
        assertThat(parseError("{\n            \"time\" : \"2013-06-2217:03:14.000658767+02:00\"\n        }"))
                .contains("Invalid ISO8601 timestamp (expected YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm): \"2013-06-2217:03:14.000658767+02:00\": input contains invalid characters");
    }

    @Test
    void acceptsTheTimestampsOf020() throws Exception {
        for (String t : List.of("2021-04-30T17:03:14+02:00", "2021-04-30T17:03:14.123+02:00", "2021-04-30T17:03:14.123456789+02:00")) {
            ThinEdgeJson.Measurement m = ThinEdgeJson.parse(
                    ("{\n            \"time\" : \"" + t + "\",\n            \"temperature\" : 25\n        }").getBytes(StandardCharsets.UTF_8));
            assertThat(m.entries()).containsExactly(new ThinEdgeJson.Time(Timestamp.parse(t)), new ThinEdgeJson.Single("temperature", "25"));
        }
    }

    @Test
    void rejectsInvalidUtf8With020Text() {
        assertThat(parseError(HexFormat.of().parseHex("74656d7065726174757265c328")))
                .isEqualTo("Invalid UTF8: invalid utf-8 sequence of 1 bytes from index 11: temperature...");
        assertThat(parseError(HexFormat.of().parseHex("c328"))).isEqualTo("Invalid UTF8: invalid utf-8 sequence of 1 bytes from index 0: ...");
        assertThat(parseError(HexFormat.of().parseHex("7b22e282"))).isEqualTo("Invalid UTF8: incomplete utf-8 byte sequence from index 2: {\"...");
        assertThat(parseError(HexFormat.of().parseHex("7bed a080".replace(" ", ""))))
                .isEqualTo("Invalid UTF8: invalid utf-8 sequence of 1 bytes from index 1: {...");
        assertThat(parseError(HexFormat.of().parseHex("7be282417d"))).isEqualTo("Invalid UTF8: invalid utf-8 sequence of 2 bytes from index 1: {...");
    }
}
