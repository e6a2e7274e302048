package io.tedge.mapper.internal.collectd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.tedge.mapper.thinedge.Timestamp;

/**
 * collectd messages over {@code vectors/collectd-0.12.jsonl}: upstream's collectd parse cases
 * (collectd-001 to 022; 0.12 reads several values as 2.0.1 does) and cases of ours. Values are
 * compared as serde_json prints them, times as the time crate does.
 */
class CollectdMessageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = CollectdMessageTest.class.getResourceAsStream("/vectors/collectd-0.12.jsonl")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) continue;
                JsonNode v = JSON.readTree(line);
                out.add(Arguments.of(v.get("case").asText(), v));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void asThinEdge012(String name, JsonNode v) throws Exception {
        String topic = v.get("topic").asText();
        byte[] payload = v.get("payload").asText().getBytes(StandardCharsets.UTF_8);
        if (v.has("error")) {
            assertThatThrownBy(() -> CollectdMessage.parse(topic, payload, -1)).hasMessage(v.get("error").asText());
            return;
        }
        List<CollectdMessage> got = CollectdMessage.parse(topic, payload, 7);
        List<List<String>> actual = new ArrayList<>();
        for (CollectdMessage m : got) {
            assertThat(m.position()).isEqualTo(7);
            actual.add(List.of(m.group(), m.key(), CollectdMessage.json(m.value()),
                    Timestamp.ofInstant(Instant.ofEpochSecond(0, m.epochNanos())).renderRfc3339()));
        }
        List<List<String>> expected = new ArrayList<>();
        for (JsonNode row : v.get("values")) {
            List<String> r = new ArrayList<>();
            row.forEach(c -> r.add(c.asText()));
            expected.add(r);
        }
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void aPayloadThatIsNotUtf8() {
        assertThatThrownBy(() -> CollectdMessage.parse("collectd/h/g/k", new byte[] {'1', ':', (byte) 0xff, 0}, -1))
                .hasMessage("Non UTF-8 payload: [49, 58, 255]");
    }

    @Test
    void numbersAsSerdeJsonPrintsThem() {
        assertThat(CollectdMessage.json(50)).isEqualTo("50.0");
        assertThat(CollectdMessage.json(0.001)).isEqualTo("0.001");
        assertThat(CollectdMessage.json(0.00001)).isEqualTo("0.00001");
        assertThat(CollectdMessage.json(0.000001)).isEqualTo("1e-6");
        assertThat(CollectdMessage.json(1.5e-7)).isEqualTo("1.5e-7");
        assertThat(CollectdMessage.json(1e16)).isEqualTo("1e16");
        assertThat(CollectdMessage.json(1234567890123456.0)).isEqualTo("1234567890123456.0");
        assertThat(CollectdMessage.json(-0.0)).isEqualTo("-0.0");
        assertThat(CollectdMessage.json(0.1 + 0.2)).isEqualTo("0.30000000000000004");
    }
}
