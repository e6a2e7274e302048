package io.tedge.mapper.thinedge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 3339 as chrono parses and prints it (thin-edge.io 0.x). */
class TimestampTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            // thin-edge.io vectors (c8y_measurements, thin_edge_json_fixtures, az_aws)
            "2013-06-22T17:03:14.000+02:00       | 2013-06-22T17:03:14+02:00",
            "2013-06-22T17:03:14.123+02:00       | 2013-06-22T17:03:14.123+02:00",
            "2021-04-30T17:03:14.123456789+02:00 | 2021-04-30T17:03:14.123456789+02:00",
            "2021-04-30T17:03:14+02:00           | 2021-04-30T17:03:14+02:00",
            "2021-11-16T17:45:40.571760714+01:00 | 2021-11-16T17:45:40.571760714+01:00",
            "2021-04-23T19:00:00+05:00           | 2021-04-23T19:00:00+05:00",
            // chrono's printing: 0, 3, 6 or 9 fraction digits; Z as +00:00
            "2021-04-30T17:03:14.5+02:00         | 2021-04-30T17:03:14.500+02:00",
            "2021-04-30T17:03:14.1234+02:00      | 2021-04-30T17:03:14.123400+02:00",
            "2021-04-30T17:03:14.123456+02:00    | 2021-04-30T17:03:14.123456+02:00",
            "2021-04-30T17:03:14.1234567891+02:00| 2021-04-30T17:03:14.123456789+02:00",
            "2021-04-30T17:03:14Z                | 2021-04-30T17:03:14+00:00",
            "2021-04-30t17:03:14z                | 2021-04-30T17:03:14+00:00",
            "2021-04-30T17:03:14-00:00           | 2021-04-30T17:03:14+00:00",
            "2021-04-30T17:03:14-05:30           | 2021-04-30T17:03:14-05:30",
            "2020-02-29T00:00:00+00:00           | 2020-02-29T00:00:00+00:00",
            "2016-12-31T23:59:60Z                | 2016-12-31T23:59:60+00:00",
            "0001-01-01T00:00:00+23:59           | 0001-01-01T00:00:00+23:59",
    })
    void rendersAsThinEdge(String in, String out) throws Exception {
        assertThat(Timestamp.parse(in).render()).isEqualTo(out);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            // thin-edge.io vectors
            "2013-06-22 3am                       | input contains invalid characters",
            "2013-06-22                           | premature end of input",
            "2013-06-2217:03:14.000658767+02:00   | input contains invalid characters",
            // more of chrono's cases
            "2021-04-30T17:03:14                  | premature end of input",
            "2021-04-30T17:03                     | premature end of input",
            "2021-04-30T17:03:14+0200             | input contains invalid characters",
            "2021-04-30T17:03:14+02               | premature end of input",
            "2021-04-30T17:03:14+02:60            | input is out of range",
            "2021-04-30T17:03:14+24:00            | input is out of range",
            "2021-04-30T17:03:14Zjunk             | trailing input",
            "2021-04-30T17:03:14.Z                | input contains invalid characters",
            "2021-04-30T17:03:14.                 | premature end of input",
            "21-04-30T17:03:14Z                   | input contains invalid characters",
            "2021-4-30T17:03:14Z                  | input contains invalid characters",
            "2021-13-01T00:00:00Z                 | input is out of range",
            "2021-00-01T00:00:00Z                 | input is out of range",
            "2021-02-29T00:00:00Z                 | input is out of range",
            "2021-04-31T00:00:00Z                 | input is out of range",
            "2021-04-30T24:00:00Z                 | input is out of range",
            "2021-04-30T23:60:00Z                 | input is out of range",
            "2021-04-30T23:59:61Z                 | input is out of range",
            "2021-04-30T23:59:5\u00e9Z            | input contains invalid characters",
    })
    void rejectsWithChronosReason(String in, String reason) {
        assertThatThrownBy(() -> Timestamp.parse(in)).isInstanceOf(Timestamp.InvalidTimestamp.class).hasMessage(reason);
    }

    @Test
    void rejectsEmptyText() {
        assertThatThrownBy(() -> Timestamp.parse("")).hasMessage(Timestamp.TOO_SHORT);
    }

    @Test
    void nowUsesTheClocksOffsetAndPrecision() {
        Instant at = Instant.parse("2021-04-07T19:00:00Z");
        assertThat(Timestamp.now(Clock.fixed(at, ZoneOffset.ofHours(5))).render()).isEqualTo("2021-04-08T00:00:00+05:00");
        assertThat(Timestamp.now(Clock.fixed(at.plusNanos(123_456_000), ZoneOffset.ofHoursMinutes(-3, -30))).render())
                .isEqualTo("2021-04-07T15:30:00.123456-03:30");
        assertThat(Timestamp.now(Clock.fixed(at.plusNanos(1), ZoneOffset.UTC)).render()).isEqualTo("2021-04-07T19:00:00.000000001+00:00");
    }
}
