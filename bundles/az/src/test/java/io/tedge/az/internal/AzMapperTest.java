package io.tedge.az.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.tedge.api.BusMessage;
import io.tedge.api.Mapper.MappingException;
import io.tedge.testkit.Json;

/** The az mapper over thin-edge.io's az vectors (az_aws @0.2.0, 0.4.3, 0.12.0), plus cases of ours. */
class AzMapperTest {

    static final Clock CLOCK = clock("2021-04-08T00:00:00+05:00");

    static Clock clock(String at) {
        OffsetDateTime t = OffsetDateTime.parse(at);
        return Clock.fixed(t.toInstant(), t.getOffset());
    }

    static AzMapper mapper(Object timestamp) {
        Map<String, Object> props = new HashMap<>();
        if (timestamp != null) props.put("az.mapper.timestamp", timestamp);
        props.put("az.url", "myhub.azure-devices.net");
        return new AzMapper(CLOCK, props);
    }

    static String output(AzMapper mapper, String input) throws MappingException {
        List<BusMessage> out = mapper.map(BusMessage.of("tedge/measurements", input, 1));
        assertThat(out).hasSize(1);
        assertThat(out.get(0).topic()).isEqualTo("az/messages/events/");
        assertThat(out.get(0).qos()).isEqualTo(1);
        assertThat(out.get(0).retained()).isFalse();
        return out.get(0).text();
    }

    static String error(AzMapper mapper, String input) {
        try {
            mapper.map(BusMessage.of("tedge/measurements", input, 1));
        } catch (MappingException e) {
            return e.getMessage();
        }
        throw new AssertionError("mapped: " + (input.length() > 200 ? input.substring(0, 200) + "..." : input));
    }

    static Stream<Arguments> vectors() {
        return Stream.of(
                Arguments.of("az_aws-002 no time, timestamp false", false, "{\n                  \"temperature\": 23\n               }",
                        "{\"temperature\":23}"),
                Arguments.of("az_aws-003 time, timestamp false", false,
                        "{\n                  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n                  \"temperature\": 23\n               }",
                        "{\"temperature\":23,\"time\":\"2013-06-22T17:03:14+02:00\"}"),
                Arguments.of("az_aws-004 time, timestamp true", true,
                        "{\n                  \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n                  \"temperature\": 23\n               }",
                        "{\"temperature\":23,\"time\":\"2013-06-22T17:03:14+02:00\"}"),
                Arguments.of("az_aws-005 no time, timestamp true", true, "{\n                  \"temperature\": 23\n               }",
                        "{\"temperature\":23,\"time\":\"2021-04-08T00:00:00+05:00\"}"),
                Arguments.of("az_aws-007 floats, timestamp false", false, "{\n            \"temperature\": 23.0\n         }", "{\"temperature\":23.0}"),
                Arguments.of("az_aws-008 floats, time, timestamp false", false,
                        "{\n            \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n            \"temperature\": 23.0\n        }",
                        "{\"temperature\":23.0,\"time\":\"2013-06-22T17:03:14+02:00\"}"),
                Arguments.of("az_aws-009 floats, time, timestamp true", true,
                        "{\n            \"time\" : \"2013-06-22T17:03:14.000+02:00\",\n            \"temperature\": 23.0\n        }",
                        "{\"temperature\":23.0,\"time\":\"2013-06-22T17:03:14+02:00\"}"),
                Arguments.of("az_aws-010 floats, no time, timestamp true", true, "{\n            \"temperature\": 23.0\n        }",
                        "{\"temperature\":23.0,\"time\":\"2021-04-08T00:00:00+05:00\"}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void translates(String name, boolean timestamp, String input, String expected) throws Exception {
        assertThat(Json.parse(output(mapper(timestamp), input))).isEqualTo(Json.parse(expected));
    }

    @Test
    void keepsTheInputOrderAndAppendsTheTime() throws Exception {
        assertThat(output(mapper(null), "{\"b\": 2, \"g\": {\"y\": 1.50, \"x\": -3}, \"a\": 1e3}"))
                .isEqualTo("{\"b\":2,\"g\":{\"y\":1.50,\"x\":-3},\"a\":1e3,\"time\":\"2021-04-08T00:00:00+05:00\"}");
        assertThat(output(mapper(null), "{\"b\": 2, \"time\": \"2013-06-22T17:03:14.000+02:00\", \"a\": 1}"))
                .isEqualTo("{\"b\":2,\"time\":\"2013-06-22T17:03:14+02:00\",\"a\":1}");
    }

    @Test
    void timestampFlag() {
        assertThat(mapper(null).addsTimestamp()).isTrue();
        assertThat(mapper("true").addsTimestamp()).isTrue();
        assertThat(mapper(" FALSE ").addsTimestamp()).isFalse();
        assertThat(mapper("false").addsTimestamp()).isFalse();
        assertThat(mapper(Boolean.FALSE).addsTimestamp()).isFalse();
        assertThat(mapper(Boolean.TRUE).addsTimestamp()).isTrue();
    }

    @Test
    void aConfigurationChangeAppliesToTheNextMessage() throws Exception {
        AzMapper mapper = mapper("true");
        assertThat(output(mapper, "{\"t\": 1}")).isEqualTo("{\"t\":1,\"time\":\"2021-04-08T00:00:00+05:00\"}");
        mapper.modified(Map.of("az.mapper.timestamp", "false"));
        assertThat(output(mapper, "{\"t\": 1}")).isEqualTo("{\"t\":1}");
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                // az_aws-001 (any error text) and az_aws-012 (0.12.0 adds a line end to the excerpt)
                Arguments.of("This is not Thin Edge JSON", "Invalid JSON: expected value at line 1 column 1: `This is not Thin Edge JSON`"),
                Arguments.of("Invalid JSON", "Invalid JSON: expected value at line 1 column 1: `Invalid JSON`"),
                Arguments.of("{\"temperature\": [1]}",
                        "Invalid JSON: invalid type: sequence, expected ThinEdge single or multi-value measurement at line 1 column 17: `[1]}`"),
                Arguments.of("{\"temperature\": \"hot\"}",
                        "Invalid JSON: invalid type: string \"hot\", expected ThinEdge single or multi-value measurement at line 1 column 21: `\"}`"),
                Arguments.of("{\"time\": 1619802194, \"t\": 1}",
                        "Invalid JSON: Not a timestamp: the time value must be an ISO8601 timestamp string in the YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm format, not a number. at line 1 column 19: `4, \"t\": 1}`"),
                Arguments.of("{\"time\": \"yesterday\", \"t\": 1}",
                        "Invalid JSON: Invalid ISO8601 timestamp (expected YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm): \"yesterday\": input contains invalid characters at line 1 column 20: `\", \"t\": 1}`"),
                Arguments.of("{\"g\": {}}", "Invalid JSON: Empty Thin Edge measurement: \"g\" must contain at least one measurement at line 1 column 8: `}}`"),
                Arguments.of("{\"g\": {\"h\": {\"i\": 1}}}", "Invalid JSON: Expect single-value measurement at line 1 column 13: `{\"i\": 1}}}`"),
                Arguments.of("{\"externalSource\": 1}",
                        "Invalid JSON: Invalid measurement name: \"externalSource\" is a reserved word. at line 1 column 17: `\": 1}`"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void rejects(String input, String error) {
        assertThat(error(mapper(null), input)).isEqualTo(error);
    }

    @Test
    void readsTheMainDeviceMeasurementsOnly() {
        assertThat(mapper(null).inputs()).containsExactly("tedge/measurements", "tedge/alarms/#", "tedge/events/#");
    }

    /** Measurements {"0_xxx":1,"1_xxx":1,...} whose translation, with the added time, is {@code size} bytes. */
    static String sized(int size) {
        String time = ",\"time\":\"2021-04-08T00:00:00+05:00\"";
        int budget = size - "{}".length() - time.length();
        StringBuilder in = new StringBuilder("{");
        for (int i = 0; budget > 0; i++) {
            int overhead = (i == 0 ? 0 : 1) + 4;
            int len = Math.min(40_000, budget - overhead);
            if (i > 0) in.append(',');
            in.append('"').append(i + "_" + "x".repeat(len), 0, len).append("\":1");
            budget -= overhead + len;
        }
        return in.append('}').toString();
    }

    @Test
    void theLimitIs262144BytesExactly() throws Exception {
        String in = sized(AzMapper.MAX_PAYLOAD);
        String fits = output(mapper(null), in);
        assertThat(fits.getBytes(StandardCharsets.UTF_8)).hasSize(AzMapper.MAX_PAYLOAD);
        assertThat(fits).endsWith(":1,\"time\":\"2021-04-08T00:00:00+05:00\"}");
        String tooLarge = in.substring(0, in.length() - 2) + "10}";
        assertThat(error(mapper(null), tooLarge)).isEqualTo("The payload " + tooLarge.substring(0, 50)
                + " received on tedge/measurements after translation is greater than the threshold size of 262144."
                + " The message is 262145 bytes, larger than Azure IoT Hub's limit of 262144 bytes (256 KiB).");
        // without the added time the same input fits
        assertThat(output(mapper(false), tooLarge)).hasSize(AzMapper.MAX_PAYLOAD + 1 - 35);
    }

    @Test
    void nonUtf8PayloadIsAnError() {
        assertThatThrownBy(() -> mapper(null).map(new BusMessage("tedge/measurements", new byte[] {(byte) 0xc3, 0x28}, 1, false, 3)))
                .isInstanceOf(MappingException.class).hasMessage("Invalid UTF8: invalid utf-8 sequence of 1 bytes from index 0: ...");
    }
}
