package io.tedge.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopicsTest {

    @ParameterizedTest(name = "{0} ~ {1} = {2}")
    @CsvSource({
            "a/b, a/b, true",
            "a/b, a/c, false",
            "a/+, a/b, true",
            "a/+, a/b/c, false",
            "a/#, a, true",
            "a/#, a/b/c, true",
            "#, a/b, true",
            "+/+, a/b, true",
            "+, a, true",
            "+, a/b, false",
            "a/+/c, a/b/c, true",
            "a/+/c, a/b/d, false",
            "tedge/measurements, tedge/measurements/child, false",
            "tedge/measurements/+, tedge/measurements/child, true",
            "tedge/measurements/+, tedge/measurements, false",
            "#, $SYS/x, false",
            "+/x, $SYS/x, false",
            "$SYS/#, $SYS/x, true",
            "a/b, a/bc, false",
            "a/bc, a/b, false",
            "a//c, a//c, true",
            "a/+/c, a//c, true",
            "az/twin/res/#, az/twin/res/200/?$rid=1, true",
    })
    void matches(String filter, String topic, boolean expected) {
        assertThat(Topics.matches(filter, topic)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"a/#/b", "a/b#", "a+/b", "''"})
    void badFilters(String f) {
        assertThat(Topics.checkFilter(f)).isNotNull();
    }

    @ParameterizedTest
    @CsvSource({"a/#", "#", "+/+/x", "a/b"})
    void goodFilters(String f) {
        assertThat(Topics.checkFilter(f)).isNull();
    }

    @ParameterizedTest
    @CsvSource({"a/+", "a/#", "''"})
    void badTopicNames(String t) {
        assertThat(Topics.checkTopicName(t)).isNotNull();
    }
}
