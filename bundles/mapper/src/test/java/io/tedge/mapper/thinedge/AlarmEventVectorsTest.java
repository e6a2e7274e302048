package io.tedge.mapper.thinedge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Alarm and event parsing over {@code vectors/alarms-events-0.12.jsonl}: thin-edge.io 0.12's
 * parse cases (alarms-013 to 020, events-004 to 011 of upstream's tests), and error texts of
 * payloads that serde_json 1.0 and the time crate 0.3 (what 0.12 builds on) gave for 0.12's
 * alarm struct, recorded from a run of those libraries.
 */
class AlarmEventVectorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static List<JsonNode> vectors(String file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (InputStream in = AlarmEventVectorsTest.class.getResourceAsStream("/vectors/" + file)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    static Stream<Arguments> cases() throws IOException {
        return vectors("alarms-events-0.12.jsonl").stream().map(v -> Arguments.of(v.get("case").asText(), v));
    }

    private static String text(JsonNode v, String field) {
        JsonNode n = v.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void asThinEdge012(String name, JsonNode v) throws Exception {
        String topic = v.get("topic").asText();
        byte[] payload = v.get("payload").asText().getBytes(StandardCharsets.UTF_8);
        boolean alarm = v.get("kind").asText().equals("alarm");
        if (v.get("expect").asText().equals("error")) {
            assertThatThrownBy(() -> {
                if (alarm) ThinEdgeAlarm.parse(topic, payload);
                else ThinEdgeEvent.parse(topic, payload);
            }).isInstanceOf(ThinEdgeJson.InvalidThinEdgeJson.class).hasMessage(v.get("error").asText());
            return;
        }
        Fields f;
        if (alarm) {
            ThinEdgeAlarm a = ThinEdgeAlarm.parse(topic, payload);
            assertThat(a.severity()).isEqualTo(text(v, "severity"));
            assertThat(a.type()).isEqualTo(text(v, "type"));
            assertThat(a.child()).isEqualTo(text(v, "child"));
            assertThat(a.isClear()).isEqualTo(v.has("clear"));
            f = a.fields();
        } else {
            ThinEdgeEvent e = ThinEdgeEvent.parse(topic, payload);
            assertThat(e.type()).isEqualTo(text(v, "type"));
            assertThat(e.child()).isEqualTo(text(v, "child"));
            f = e.fields();
        }
        if (v.has("clear") || v.has("empty")) {
            assertThat(f).isNull();
            return;
        }
        assertThat(f.text()).isEqualTo(text(v, "text"));
        String time = text(v, "time");
        if (time == null) {
            assertThat(f.time()).isNull();
        } else if (v.has("timeRendered")) {
            assertThat(f.time().renderRfc3339()).isEqualTo(time);
        } else {
            assertThat(f.time()).isEqualTo(Timestamp.parseRfc3339(time));
        }
        Map<String, JsonNode> expected = new LinkedHashMap<>();
        v.get("extras").fields().forEachRemaining(e -> expected.put(e.getKey(), tree(e.getValue().asText())));
        Map<String, JsonNode> actual = new LinkedHashMap<>();
        f.extras().forEach((k, raw) -> actual.put(k, tree(raw)));
        assertThat(actual).isEqualTo(expected);
        assertThat(f.hasExtras()).isEqualTo(!expected.isEmpty());
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new AssertionError(json, e);
        }
    }

    @Test
    void extrasKeepTheirOrderAndNumbersAsWritten() throws Exception {
        Fields f = ThinEdgeAlarm.parse("tedge/alarms/major/a", "{\"b\":1.50,\"text\":\"t\",\"a\":{\"x\":[1,true,null,\"s\"]}}"
                .getBytes(StandardCharsets.UTF_8)).fields();
        assertThat(f.extras()).containsExactly(Map.entry("b", "1.50"), Map.entry("a", "{\"x\":[1,true,null,\"s\"]}"));
    }

    @Test
    void aPayloadThatIsNotUtf8() {
        assertThatThrownBy(() -> ThinEdgeAlarm.parse("tedge/alarms/major/a", new byte[] {'{', (byte) 0xff, '}'}))
                .hasMessage("Failed to parse as an UTF-8 string the payload received on topic: tedge/alarms/major/a, due to error: "
                        + "invalid utf-8 sequence of 1 bytes from index 1.");
        assertThatThrownBy(() -> ThinEdgeEvent.parse("tedge/events/e", new byte[] {'{', (byte) 0xc3}))
                .hasMessageEndingWith("due to error: incomplete utf-8 byte sequence from index 1.");
    }

    @Test
    void theSnippedPayloadIsFiftyCharacters() {
        String long60 = "{\"text\": 1, \"padding\": \"" + "é".repeat(40) + "\"}";
        assertThatThrownBy(() -> ThinEdgeAlarm.parse("tedge/alarms/major/a", long60.getBytes(StandardCharsets.UTF_8)))
                .hasMessageEndingWith(". Snipped payload: " + long60.substring(0, 50));
    }

    @Test
    void anEmptyChildOfAnEventIsRefused() {
        assertThatThrownBy(() -> ThinEdgeEvent.parse("tedge/events/click/", new byte[0]))
                .hasMessageContaining("failed due to error: Unsupported topic: tedge/events/click/");
    }
}
