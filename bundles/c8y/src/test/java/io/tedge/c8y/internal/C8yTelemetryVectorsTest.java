package io.tedge.c8y.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.tedge.api.BusMessage;
import io.tedge.api.Mapper.MappingException;
import io.tedge.mapper.thinedge.ThinEdgeAlarm;

/**
 * Alarms, events and health through the c8y mapper, over
 * {@code vectors/c8y-alarms-events-health-0.12.jsonl}: thin-edge.io 0.12's mapper tests
 * (alarms-001 to 011, events-001 to 003, c8y_registration-003 and 004, with their match modes:
 * {@code contains}, {@code json_includes}, {@code exact}) and exact cases of ours with the clock
 * at 2021-04-08T00:00:00Z.
 */
class C8yTelemetryVectorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Clock CLOCK = Clock.fixed(Instant.parse("2021-04-08T00:00:00Z"), ZoneOffset.UTC);

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = C8yTelemetryVectorsTest.class.getResourceAsStream("/vectors/c8y-alarms-events-health-0.12.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) continue;
                JsonNode v = JSON.readTree(line);
                out.add(Arguments.of(v.get("case").asText(), v));
            }
        }
        return out.stream();
    }

    /** The payload, or one built from a description such as {@code {"text": <17 KiB string>}}. */
    static String payload(JsonNode v) {
        if (v.has("payload")) return v.get("payload").asText();
        String desc = v.get("payload_desc").asText();
        int n = desc.contains("17 KiB") ? 17 * 1024 : Integer.parseInt(desc.replaceAll(".*<(\\d+) x>.*", "$1"));
        return "{\"text\": \"" + "x".repeat(n) + "\"}";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void asThinEdge012(String name, JsonNode v) throws Exception {
        String device = v.has("device") ? v.get("device").asText() : "test-device";
        C8yMapper mapper = new C8yMapper(CLOCK, null, device);
        BusMessage in = BusMessage.of(v.get("topic").asText(), payload(v), 1);
        if (v.has("error") || v.has("error_contains")) {
            var thrown = assertThatThrownBy(() -> mapper.map(in)).isInstanceOf(MappingException.class);
            if (v.has("error")) thrown.hasMessage(v.get("error").asText());
            else thrown.hasMessageContaining(v.get("error_contains").asText());
            return;
        }
        List<BusMessage> out = mapper.map(in);
        if (v.get("outputs").isEmpty()) {
            assertThat(out).isEmpty();
            return;
        }
        for (JsonNode o : v.get("outputs")) {
            String topic = o.get("topic").asText();
            if (topic.startsWith("HTTP POST /event/events")) topic = EventTranslator.HTTP;
            String t = topic;
            List<BusMessage> onTopic = out.stream().filter(m -> m.topic().equals(t)).toList();
            assertThat(onTopic).as("output on %s in %s", topic, out).isNotEmpty();
            assertThat(onTopic).anySatisfy(m -> {
                assertThat(matches(o.get("match").asText(), o.get("payload").asText(), m.text())).as(m.text()).isTrue();
                assertThat(m.qos()).isEqualTo(1);
                assertThat(m.retained()).isEqualTo(o.has("retained") && o.get("retained").asBoolean());
            });
        }
        if (!name.startsWith("ours")) return; // upstream's tests look only for the messages they name
        assertThat(out.stream().filter(m -> m.topic().startsWith("c8y/"))).as("no message beyond the expected ones")
                .hasSizeLessThanOrEqualTo((int) stream(v.get("outputs")).filter(o -> o.get("topic").asText().startsWith("c8y/")).count());
    }

    private static Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> l = new ArrayList<>();
        array.forEach(l::add);
        return l.stream();
    }

    static boolean matches(String mode, String expected, String actual) {
        return switch (mode) {
            case "exact" -> actual.equals(expected);
            case "contains" -> actual.contains(expected);
            case "starts_with" -> actual.startsWith(expected);
            case "any" -> true;
            case "json_includes" -> includes(tree(expected), tree(actual));
            default -> throw new IllegalArgumentException(mode);
        };
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(json, e);
        }
    }

    static boolean includes(JsonNode expected, JsonNode actual) {
        if (!expected.isObject()) return expected.equals(actual);
        if (!actual.isObject()) return false;
        for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!actual.has(e.getKey()) || !includes(e.getValue(), actual.get(e.getKey()))) return false;
        }
        return true;
    }

    /** thin-edge.io 0.12's SmartREST alarm serializer cases (alarms-021 to 027). */
    @Test
    void smartRestAlarmsAsThinEdge012() throws Exception {
        AlarmTranslator t = new AlarmTranslator(CLOCK, new Children());
        String time = "{\"time\":\"2021-04-23T19:00:00+05:00\"";
        assertThat(smartRest(t, "critical", null, time + ",\"text\":\"I raised it\"}")).isEqualTo("301,temperature_alarm,\"I raised it\",2021-04-23T19:00:00+05:00");
        assertThat(smartRest(t, "major", null, time + ",\"text\":\"I raised it\"}")).isEqualTo("302,temperature_alarm,\"I raised it\",2021-04-23T19:00:00+05:00");
        assertThat(smartRest(t, "minor", null, time + ",\"text\":\"\"}")).isEqualTo("303,temperature_alarm,\"\",2021-04-23T19:00:00+05:00");
        assertThat(smartRest(t, "warning", null, time + ",\"text\":\"I, raised, it\"}")).isEqualTo("304,temperature_alarm,\"I, raised, it\",2021-04-23T19:00:00+05:00");
        assertThat(smartRest(t, "warning", "External_source", time + ",\"text\":\"External sensor raised alarm\"}"))
                .isEqualTo("304,temperature_alarm,\"External sensor raised alarm\",2021-04-23T19:00:00+05:00");
        assertThat(smartRest(t, "minor", null, "")).isEqualTo("306,temperature_alarm");
        assertThat(smartRest(t, "minor", "external_sensor", "")).isEqualTo("306,temperature_alarm");
    }

    private static String smartRest(AlarmTranslator t, String severity, String child, String payload) throws Exception {
        String topic = "tedge/alarms/" + severity + "/temperature_alarm" + (child == null ? "" : "/" + child);
        ThinEdgeAlarm a = ThinEdgeAlarm.parse(topic, payload.getBytes(StandardCharsets.UTF_8));
        return t.translate(a).text();
    }

    @Test
    void aChildIsRegisteredOnceForAllKindsOfMessages() throws Exception {
        C8yMapper mapper = new C8yMapper(CLOCK, null, "d");
        assertThat(mapper.map(BusMessage.of("tedge/alarms/major/a/kid", "{}", 1))).anyMatch(m -> m.text().startsWith("101,kid"));
        assertThat(mapper.map(BusMessage.of("tedge/events/e/kid", "{}", 1))).noneMatch(m -> m.text().startsWith("101,"));
        assertThat(mapper.map(BusMessage.of("tedge/measurements/kid", "{\"t\":1}", 1))).noneMatch(m -> m.text().startsWith("101,"));
        assertThat(mapper.map(BusMessage.of("tedge/health/kid/svc", "{\"status\":\"up\"}", 1))).noneMatch(m -> m.text().startsWith("101,"));
        assertThat(mapper.children()).containsExactly("kid");
    }

    @Test
    void fieldsNamedLikeTheOnesTheMapperWritesAreNotDuplicated() throws Exception {
        C8yMapper mapper = new C8yMapper(CLOCK, null, "d");
        String alarm = mapper.map(BusMessage.of("tedge/alarms/major/a", "{\"type\":\"other\",\"severity\":\"x\",\"k\":1}", 1)).get(0).text();
        assertThat(alarm).isEqualTo("{\"severity\":\"MAJOR\",\"type\":\"a\",\"time\":\"2021-04-08T00:00:00Z\",\"text\":\"a\",\"k\":1}");
    }

    @Test
    void severitiesAreTheSameInATurkishLocale() throws Exception {
        // in tr-TR, "critical".toUpperCase() is "CRİTİCAL" (a dotted capital I): a gateway's LANG must not change the wire format
        java.util.Locale before = java.util.Locale.getDefault();
        java.util.Locale.setDefault(java.util.Locale.forLanguageTag("tr-TR"));
        try {
            C8yMapper mapper = new C8yMapper(CLOCK, null, "d");
            // a custom field: the alarm goes as JSON, with the severity written out
            String alarm = mapper.map(BusMessage.of("tedge/alarms/critical/a", "{\"text\":\"t\",\"k\":1}", 1)).get(0).text();
            assertThat(alarm).contains("\"severity\":\"CRITICAL\"");
        } finally {
            java.util.Locale.setDefault(before);
        }
    }
}
