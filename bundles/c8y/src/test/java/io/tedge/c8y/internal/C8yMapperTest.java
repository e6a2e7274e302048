package io.tedge.c8y.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.tedge.api.BusMessage;
import io.tedge.api.Mapper.MappingException;
import io.tedge.testkit.Json;

/**
 * The c8y mapper over thin-edge.io's c8y_measurements vectors (0.2.0 and 0.4.3, the releases
 * whose topics this mapper serves; the 2.0.1 {@code te/} cases do not apply), plus cases of ours.
 */
class C8yMapperTest {

    /** The test clock of the vectors. */
    static final Clock CLOCK = clock("2021-04-08T00:00:00+05:00");
    static final String NOW = "2021-04-08T00:00:00+05:00";
    static final String CREATE = "c8y/measurement/measurements/create";

    static Clock clock(String at) {
        OffsetDateTime t = OffsetDateTime.parse(at);
        return Clock.fixed(t.toInstant(), t.getOffset());
    }

    private final C8yMapper mapper = new C8yMapper(CLOCK);

    private List<BusMessage> map(String topic, String payload) throws MappingException {
        return mapper.map(BusMessage.of(topic, payload, 1));
    }

    private String measurement(String topic, String payload) throws MappingException {
        List<BusMessage> out = map(topic, payload);
        BusMessage last = out.get(out.size() - 1);
        assertThat(last.topic()).isEqualTo(CREATE);
        assertThat(last.qos()).isEqualTo(1);
        assertThat(last.retained()).isFalse();
        return last.text();
    }

    private String error(String topic, String payload) {
        try {
            map(topic, payload);
        } catch (MappingException e) {
            return e.getMessage();
        }
        throw new AssertionError("mapped: " + (payload.length() > 200 ? payload.substring(0, 200) + "..." : payload));
    }

    enum Match { JSON_EQ, WHITESPACE_INSENSITIVE, EXACT }

    static Stream<Arguments> vectors() {
        return Stream.of(
                Arguments.of("c8y_measurements-001 single values, time added", "tedge/measurements",
                        "{\n                  \"temperature\": 23,\n                  \"pressure\": 220\n               }",
                        "{\"pressure\":{\"pressure\":{\"value\":220}},\"temperature\":{\"temperature\":{\"value\":23}},\"time\":\"2021-04-08T00:00:00+05:00\",\"type\":\"ThinEdgeMeasurement\"}",
                        Match.JSON_EQ),
                Arguments.of("c8y_measurements-002 with timestamp", "tedge/measurements",
                        "{\n                  \"time\" : \"2013-06-22T17:03:14.123+02:00\",\n                  \"temperature\": 23,\n                  \"pressure\": 220\n               }",
                        "{\n \"type\": \"ThinEdgeMeasurement\",\n \"time\": \"2013-06-22T17:03:14.123+02:00\",\n \"temperature\": {\n \"temperature\": {\n \"value\": 23\n }\n },\n \"pressure\" : {\n \"pressure\": {\n \"value\" : 220\n }\n }\n }",
                        Match.WHITESPACE_INSENSITIVE),
                Arguments.of("c8y_measurements-003 multi-value", "tedge/measurements",
                        "{\n            \"temperature\": 25 ,\n            \"location\": {\n                  \"latitude\": 32.54,\n                  \"longitude\": -117.67,\n                  \"altitude\": 98.6\n              },\n            \"pressure\": 98\n        }",
                        "{\"location\":{\"altitude\":{\"value\":98.6},\"latitude\":{\"value\":32.54},\"longitude\":{\"value\":-117.67}},\"pressure\":{\"pressure\":{\"value\":98}},\"temperature\":{\"temperature\":{\"value\":25}},\"time\":\"2021-04-08T00:00:00+05:00\",\"type\":\"ThinEdgeMeasurement\"}",
                        Match.JSON_EQ),
                Arguments.of("c8y_measurements-004 tiny number", "tedge/measurements",
                        "{\n           \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n           \"temperature\": 10e-9999999999\n          }",
                        "{\n \"type\": \"ThinEdgeMeasurement\",\n \"time\": \"2013-06-22T17:03:14+02:00\",\n \"temperature\": {\n \"temperature\": {\n \"value\": 0\n }\n }\n }",
                        Match.WHITESPACE_INSENSITIVE),
                Arguments.of("c8y_measurements-005 floats", "tedge/measurements",
                        "{\n                  \"temperature\": 23.0,\n                  \"pressure\": 220.0\n               }",
                        "{\"pressure\":{\"pressure\":{\"value\":220.0}},\"temperature\":{\"temperature\":{\"value\":23.0}},\"time\":\"2021-04-08T00:00:00+05:00\",\"type\":\"ThinEdgeMeasurement\"}",
                        Match.JSON_EQ),
                Arguments.of("c8y_measurements-006 floats with timestamp", "tedge/measurements",
                        "{\n                  \"time\" : \"2013-06-22T17:03:14.123+02:00\",\n                  \"temperature\": 23.0,\n                  \"pressure\": 220.0\n               }",
                        "{\"type\":\"ThinEdgeMeasurement\",\"time\":\"2013-06-22T17:03:14.123+02:00\",\"temperature\":{\"temperature\":{\"value\":23.0}},\"pressure\":{\"pressure\":{\"value\":220.0}}}",
                        Match.WHITESPACE_INSENSITIVE),
                Arguments.of("c8y_measurements-007 multi-value floats", "tedge/measurements",
                        "{\n            \"temperature\": 25.0 ,\n            \"location\": {\n                  \"latitude\": 32.54,\n                  \"longitude\": -117.67,\n                  \"altitude\": 98.6\n              },\n            \"pressure\": 98.0\n        }",
                        "{\"location\":{\"altitude\":{\"value\":98.6},\"latitude\":{\"value\":32.54},\"longitude\":{\"value\":-117.67}},\"pressure\":{\"pressure\":{\"value\":98.0}},\"temperature\":{\"temperature\":{\"value\":25.0}},\"time\":\"2021-04-08T00:00:00+05:00\",\"type\":\"ThinEdgeMeasurement\"}",
                        Match.JSON_EQ),
                Arguments.of("c8y_measurements-009 child1", "tedge/measurements/child1", "{\"temperature\": 23.0}",
                        "{\"externalSource\":{\"externalId\":\"child1\",\"type\":\"c8y_Serial\"},\"temperature\":{\"temperature\":{\"value\":23.0}},\"time\":\"2021-04-08T00:00:00+05:00\",\"type\":\"ThinEdgeMeasurement\"}",
                        Match.JSON_EQ),
                Arguments.of("c8y_measurements-010 child2", "tedge/measurements/child2", "{\"temperature\": 23.0, \"pressure\": 220.0}",
                        "{\"externalSource\":{\"externalId\":\"child2\",\"type\":\"c8y_Serial\"},\"pressure\":{\"pressure\":{\"value\":220.0}},\"temperature\":{\"temperature\":{\"value\":23.0}},\"time\":\"2021-04-08T00:00:00+05:00\",\"type\":\"ThinEdgeMeasurement\"}",
                        Match.JSON_EQ),
                Arguments.of("c8y_measurements-011 child3 with time", "tedge/measurements/child3",
                        "{\"temperature\": 23.0, \"time\": \"2021-04-23T19:00:00+05:00\"}",
                        "{\"externalSource\":{\"externalId\":\"child3\",\"type\":\"c8y_Serial\"},\"temperature\":{\"temperature\":{\"value\":23.0}},\"time\":\"2021-04-23T19:00:00+05:00\",\"type\":\"ThinEdgeMeasurement\"}",
                        Match.JSON_EQ),
                // 0.4.3 prints {"value":1.0} here; numbers are kept as given
                Arguments.of("c8y_measurements-012 child, exact text", "tedge/measurements/child1",
                        "{\"temp\": 1, \"time\": \"2021-11-16T17:45:40.571760714+01:00\"}",
                        "{\"type\":\"ThinEdgeMeasurement\",\"externalSource\":{\"externalId\":\"child1\",\"type\":\"c8y_Serial\"},\"temp\":{\"temp\":{\"value\":1}},\"time\":\"2021-11-16T17:45:40.571760714+01:00\"}",
                        Match.EXACT),
                Arguments.of("ours: exact text, time appended", "tedge/measurements",
                        "{\"temperature\": 23, \"location\": {\"latitude\": 32.54, \"longitude\": -117.67}, \"pressure\": 220}",
                        "{\"type\":\"ThinEdgeMeasurement\",\"temperature\":{\"temperature\":{\"value\":23}},\"location\":{\"latitude\":{\"value\":32.54},\"longitude\":{\"value\":-117.67}},\"pressure\":{\"pressure\":{\"value\":220}},\"time\":\"2021-04-08T00:00:00+05:00\"}",
                        Match.EXACT),
                Arguments.of("ours: exact text, time where it was", "tedge/measurements",
                        "{\"a\": 1, \"time\": \"2021-04-30T17:03:14.5Z\", \"b\": 2.5e3}",
                        "{\"type\":\"ThinEdgeMeasurement\",\"a\":{\"a\":{\"value\":1}},\"time\":\"2021-04-30T17:03:14.500+00:00\",\"b\":{\"b\":{\"value\":2.5e3}}}",
                        Match.EXACT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void translates(String name, String topic, String input, String expected, Match match) throws Exception {
        String actual = measurement(topic, input);
        switch (match) {
            case JSON_EQ -> assertThat(Json.parse(actual)).isEqualTo(Json.parse(expected));
            case WHITESPACE_INSENSITIVE -> assertThat(Json.withoutWhitespace(actual)).isEqualTo(Json.withoutWhitespace(expected));
            case EXACT -> assertThat(actual).isEqualTo(expected);
        }
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("tedge/measurements", "This is not Thin Edge JSON",
                        "Invalid JSON: expected value at line 1 column 1: `This is not Thin Edge JSON`"),
                Arguments.of("tedge/measurements", "[50,23]", "Invalid JSON: invalid type: sequence, expected ThinEdge JSON at line 1 column 0: `[50,23]`"),
                Arguments.of("tedge/measurements", "{\"temperature\": \"20\"}",
                        "Invalid JSON: invalid type: string \"20\", expected ThinEdge single or multi-value measurement at line 1 column 20: `\"}`"),
                Arguments.of("tedge/measurements", "{\"temperature\": true}",
                        "Invalid JSON: invalid type: boolean `true`, expected ThinEdge single or multi-value measurement at line 1 column 20: `e}`"),
                Arguments.of("tedge/measurements", "{}", "Invalid JSON: Empty Thin Edge measurement: it must contain at least one measurement at line 1 column 2: `}`"),
                Arguments.of("tedge/measurements", "{\"type\": 1}", "Invalid JSON: Invalid measurement name: \"type\" is a reserved word. at line 1 column 7: `\": 1}`"),
                Arguments.of("tedge/measurements/child1", "{\"temp\": invalid}", "Invalid JSON: expected value at line 1 column 10: `invalid}`"),
                // c8y_measurements-015 extract_child_id
                Arguments.of("tedge/measurements/", "{\"temp\": 1}", "The given Child ID '' is invalid."));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("invalid")
    void rejects(String topic, String input, String error) {
        assertThat(error(topic, input)).isEqualTo(error);
    }

    @Test
    void childIdFromTopic() throws Exception {
        // c8y_measurements-015 extract_child_id
        assertThat(C8yMapper.childId("tedge/measurements/test")).isEqualTo("test");
        assertThat(C8yMapper.childId("tedge/measurements")).isNull();
        assertThat(C8yMapper.childId("foo/bar")).isNull();
        assertThatThrownBy(() -> C8yMapper.childId("tedge/measurements/")).hasMessage("The given Child ID '' is invalid.");
        assertThatThrownBy(() -> C8yMapper.childId("tedge/measurements/a/b")).hasMessage("The given Child ID 'a/b' is invalid.");
    }

    @Test
    void readsTheMeasurementTopics() {
        assertThat(mapper.inputs()).containsExactly("tedge/measurements", "tedge/measurements/+", "tedge/alarms/#", "tedge/events/#",
                "tedge/health/+", "tedge/health/+/+");
    }

    @Test
    void mainDeviceMeasurementIsOneMessage() throws Exception {
        List<BusMessage> out = map("tedge/measurements", "{\"temperature\": 23}");
        assertThat(out).extracting(BusMessage::topic).containsExactly(CREATE);
    }

    // c8y_measurements-012 / c8y_registration-001: 101 once per child, before its first measurement
    @Test
    void registersANewChildOnceBeforeItsFirstMeasurement() throws Exception {
        String in = "{\"temp\": 1, \"time\": \"2021-11-16T17:45:40.571760714+01:00\"}";
        String expected = "{\"type\":\"ThinEdgeMeasurement\",\"externalSource\":{\"externalId\":\"child1\",\"type\":\"c8y_Serial\"},"
                + "\"temp\":{\"temp\":{\"value\":1}},\"time\":\"2021-11-16T17:45:40.571760714+01:00\"}";
        List<BusMessage> first = map("tedge/measurements/child1", in);
        assertThat(first).extracting(BusMessage::topic).containsExactly("c8y/s/us", CREATE);
        assertThat(first.get(0).text()).isEqualTo("101,child1,child1,thin-edge.io-child");
        assertThat(first.get(0).qos()).isEqualTo(1);
        assertThat(first.get(1).text()).isEqualTo(expected);

        List<BusMessage> second = map("tedge/measurements/child1", in);
        assertThat(second).extracting(BusMessage::topic).containsExactly(CREATE);
        assertThat(second.get(0).text()).isEqualTo(expected);
        assertThat(mapper.children()).containsExactly("child1");
    }

    // c8y_measurements-013: an invalid first message does not register the child
    @Test
    void anInvalidFirstMessageDoesNotRegisterTheChild() throws Exception {
        assertThat(error("tedge/measurements/child1", "{\"temp\": invalid}")).isEqualTo("Invalid JSON: expected value at line 1 column 10: `invalid}`");
        assertThat(mapper.children()).isEmpty();
        List<BusMessage> out = map("tedge/measurements/child1", "{\"temp\": 1, \"time\": \"2021-11-16T17:45:40.571760714+01:00\"}");
        assertThat(out).extracting(BusMessage::topic).containsExactly("c8y/s/us", CREATE);
        assertThat(out.get(0).text()).isEqualTo("101,child1,child1,thin-edge.io-child");
    }

    // c8y_measurements-014: each child is registered
    @Test
    void registersEachChild() throws Exception {
        String in = "{\"temp\": 1, \"time\": \"2021-11-16T17:45:40.571760714+01:00\"}";
        List<BusMessage> one = map("tedge/measurements/child1", in);
        List<BusMessage> two = map("tedge/measurements/child2", in);
        assertThat(one.get(0).text()).isEqualTo("101,child1,child1,thin-edge.io-child");
        assertThat(two.get(0).text()).isEqualTo("101,child2,child2,thin-edge.io-child");
        assertThat(two.get(1).text()).isEqualTo("{\"type\":\"ThinEdgeMeasurement\",\"externalSource\":{\"externalId\":\"child2\",\"type\":\"c8y_Serial\"},"
                + "\"temp\":{\"temp\":{\"value\":1}},\"time\":\"2021-11-16T17:45:40.571760714+01:00\"}");
        // the main device is never registered
        assertThat(map("tedge/measurements", in)).hasSize(1);
        assertThat(mapper.children()).containsExactlyInAnyOrder("child1", "child2");
    }

    @Test
    void quotesAChildIdThatNeedsIt() throws Exception {
        List<BusMessage> out = map("tedge/measurements/rack 1,slot \"2\"", "{\"temp\": 1}");
        assertThat(out.get(0).text()).isEqualTo("101,\"rack 1,slot \\\"2\\\"\",\"rack 1,slot \\\"2\\\"\",thin-edge.io-child");
        assertThat(((Map<?, ?>) Json.parse(out.get(1).text())).get("externalSource"))
                .isEqualTo(Json.parse("{\"externalId\":\"rack 1,slot \\\"2\\\"\",\"type\":\"c8y_Serial\"}"));
    }

    /** {"temperature0":0,"temperature1":1,...} with keys sorted as serde_json's json! macro renders them. */
    static String generated(int count) {
        return IntStream.range(0, count).mapToObj(i -> "temperature" + i).sorted()
                .map(k -> "\"" + k + "\":" + k.substring("temperature".length())).collect(Collectors.joining(",", "{", "}"));
    }

    // c8y_measurements-020: checked after translation
    @Test
    void rejectsATranslationAboveCumulocitysLimit() {
        String in = generated(400);
        assertThat(in.getBytes(StandardCharsets.UTF_8).length).isLessThan(C8yMapper.MAX_PAYLOAD);
        String error = error("tedge/measurements", in);
        assertThat(error).startsWith("The payload {\"temperature0\":0,\"temperature1\":1,\"temperature10\" received on tedge/measurements"
                + " after translation is greater than the threshold size of 16184.");
        assertThat(error).matches(".* The translated measurement is \\d+ bytes, larger than Cumulocity's limit of 16184 bytes per MQTT message\\.");
    }

    // c8y_measurements-021
    @Test
    void acceptsASmallGeneratedMeasurement() throws Exception {
        String out = measurement("tedge/measurements", generated(100));
        assertThat(out).startsWith("{\"type\":\"ThinEdgeMeasurement\",\"temperature0\":{\"temperature0\":{\"value\":0}}");
    }

    @Test
    void theLimitIs16184BytesExactly() throws Exception {
        String prefix = "{\"type\":\"ThinEdgeMeasurement\",\"time\":\"2021-04-30T17:03:14+00:00\",\"";
        int fixed = prefix.length() + "\":{\"".length() + "\":{\"value\":".length() + "}}}".length();
        int rest = C8yMapper.MAX_PAYLOAD - fixed;
        String name = "n".repeat((rest - 1) / 2);
        String value = rest % 2 == 1 ? "1" : "12";
        String in = "{\"time\":\"2021-04-30T17:03:14Z\",\"" + name + "\":%s}";
        String out = measurement("tedge/measurements", String.format(in, value));
        assertThat(out.getBytes(StandardCharsets.UTF_8)).hasSize(C8yMapper.MAX_PAYLOAD);
        assertThat(error("tedge/measurements", String.format(in, value + "0")))
                .contains("The translated measurement is 16185 bytes, larger than Cumulocity's limit of 16184 bytes");
    }

    @Test
    void nonUtf8PayloadIsAnError() {
        assertThatThrownBy(() -> mapper.map(new BusMessage("tedge/measurements", new byte[] {'{', (byte) 0xff, '}'}, 1, false, 7)))
                .isInstanceOf(MappingException.class).hasMessage("Invalid UTF8: invalid utf-8 sequence of 1 bytes from index 1: {...");
    }
}
