package io.tedge.mapper.thinedge;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * An RFC 3339 timestamp, read and printed the way thin-edge.io 0.x does it (Rust chrono's
 * {@code DateTime::parse_from_rfc3339} and {@code to_rfc3339}), so that a time a device sends
 * comes out as thin-edge.io would send it.
 *
 * <p>Accepted: {@code YYYY-MM-DD}, {@code T} or {@code t}, {@code hh:mm:ss}, an optional
 * fraction of any number of digits (nanoseconds are kept, further digits are dropped), and an
 * offset {@code Z}, {@code z} or {@code ±hh:mm}. A second of 60 (a leap second) is accepted, as
 * chrono does. The errors carry chrono's reasons: {@code premature end of input},
 * {@code input contains invalid characters}, {@code input is out of range},
 * {@code trailing input}.
 *
 * <p>Printed: {@code YYYY-MM-DDThh:mm:ss}, then the fraction with 0, 3, 6 or 9 digits (the
 * shortest of these that holds it exactly: {@code .000} disappears, {@code .5} becomes
 * {@code .500}, {@code .123456789} stays), then the offset as {@code ±hh:mm}, {@code Z}
 * becoming {@code +00:00}.
 *
 * <p>Instances come from {@link #now} or from parsing a message's {@code time}; the
 * constructor does not check the ranges below.
 *
 * @param year          0 to 9999
 * @param month         1 to 12
 * @param day           1 to the length of the month
 * @param hour          0 to 23
 * @param minute        0 to 59
 * @param second        0 to 60
 * @param nano          0 to 999,999,999
 * @param offsetSeconds the offset from UTC, east positive
 */
public record Timestamp(int year, int month, int day, int hour, int minute, int second, int nano, int offsetSeconds) {

    static final String TOO_SHORT = "premature end of input";
    static final String INVALID = "input contains invalid characters";
    static final String OUT_OF_RANGE = "input is out of range";
    static final String TOO_LONG = "trailing input";

    /** A text that is not an RFC 3339 timestamp; the message is the reason only. */
    static final class InvalidTimestamp extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidTimestamp(String reason) {
            super(reason);
        }
    }

    /** Parses an RFC 3339 timestamp. */
    static Timestamp parse(String text) throws InvalidTimestamp {
        Scanner s = new Scanner(text);
        int year = s.number(4);
        s.expect('-');
        int month = s.number(2);
        s.expect('-');
        int day = s.number(2);
        if (s.atEnd()) throw new InvalidTimestamp(TOO_SHORT);
        char sep = s.next();
        if (sep != 'T' && sep != 't') throw new InvalidTimestamp(INVALID);
        int hour = s.number(2);
        s.expect(':');
        int minute = s.number(2);
        s.expect(':');
        int second = s.number(2);
        int nano = 0;
        if (!s.atEnd() && s.peek() == '.') {
            s.next();
            nano = s.fraction();
        }
        int offset = s.offset();
        if (offset <= -86_400 || offset >= 86_400) throw new InvalidTimestamp(OUT_OF_RANGE);
        if (!s.atEnd()) throw new InvalidTimestamp(TOO_LONG);
        if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 60) {
            throw new InvalidTimestamp(OUT_OF_RANGE);
        }
        return new Timestamp(year, month, day, hour, minute, second, nano, offset);
    }

    /**
     * Parses an RFC 3339 timestamp as thin-edge.io 0.5 to 0.12 read the {@code time} of alarms,
     * events and health messages (the Rust {@code time} crate, 0.3): {@code T} or {@code t},
     * {@code Z} or {@code z}, a fraction of one or more digits (beyond nine ignored). A second of
     * 60 is a leap second, accepted only as the last second of a month in UTC, and read as
     * 23:59:59.999999999. The errors are that crate's: {@code the 'year' component could not be
     * parsed}, {@code a character literal was not valid}, {@code month must be in the range
     * 1..=12}, {@code unexpected trailing characters}, ...
     */
    static Timestamp parseRfc3339(String text) throws InvalidTimestamp {
        TimeCrateScanner s = new TimeCrateScanner(text);
        int year = s.digits(4, "year");
        s.literal('-');
        int month = s.digits(2, "month");
        s.literal('-');
        int day = s.digits(2, "day");
        s.literalIgnoreCase('T');
        int hour = s.digits(2, "hour");
        s.literal(':');
        int minute = s.digits(2, "minute");
        s.literal(':');
        int second = s.digits(2, "second");
        int nano = 0;
        if (s.skip('.')) nano = s.subsecond();
        int offset;
        if (s.skipIgnoreCase('Z')) {
            offset = 0;
        } else {
            int sign = s.sign();
            int oh = s.digits(2, "offset hour");
            s.literal(':');
            int om = s.digits(2, "offset minute");
            if (oh > 23) throw new InvalidTimestamp("offset hour must be in the range -23..=23");
            if (om > 59) throw new InvalidTimestamp("offset minute must be in the range -59..=59");
            offset = sign * (oh * 3600 + om * 60);
        }
        if (!s.atEnd()) throw new InvalidTimestamp("unexpected trailing characters");
        boolean leap = second == 60;
        if (leap) {
            second = 59;
            nano = 999_999_999;
        }
        if (month < 1 || month > 12) throw new InvalidTimestamp("month must be in the range 1..=12");
        int days = daysIn(year, month);
        if (day < 1 || day > days) throw new InvalidTimestamp("day must be in the range 1..=" + days + ", given values of other parameters");
        if (hour > 23) throw new InvalidTimestamp("hour must be in the range 0..=23");
        if (minute > 59) throw new InvalidTimestamp("minute must be in the range 0..=59");
        if (second > 59) throw new InvalidTimestamp("second must be in the range 0..=59");
        Timestamp t = new Timestamp(year, month, day, hour, minute, second, nano, offset);
        if (leap) {
            OffsetDateTime utc = t.toOffsetDateTime().withOffsetSameInstant(ZoneOffset.UTC);
            if (utc.getHour() != 23 || utc.getMinute() != 59 || utc.getDayOfMonth() != utc.toLocalDate().lengthOfMonth()) {
                throw new InvalidTimestamp("second must be in the range 0..=59, given values of other parameters");
            }
        }
        return t;
    }

    /**
     * The instant as a timestamp in UTC.
     *
     * @param instant the instant
     * @return the timestamp, offset 0
     */
    public static Timestamp ofInstant(Instant instant) {
        OffsetDateTime t = instant.atOffset(ZoneOffset.UTC);
        return new Timestamp(t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(),
                t.getNano(), 0);
    }

    /**
     * The current time of the clock in UTC.
     *
     * @param clock the clock to read
     * @return the time now, offset 0
     */
    public static Timestamp nowUtc(Clock clock) {
        return ofInstant(clock.instant());
    }

    /**
     * The same time as a Java date-time (a leap second 60 becomes 59.999999999).
     *
     * @return the date-time with its offset
     */
    public OffsetDateTime toOffsetDateTime() {
        boolean leap = second == 60;
        return OffsetDateTime.of(year, month, day, hour, minute, leap ? 59 : second, leap ? 999_999_999 : nano,
                ZoneOffset.ofTotalSeconds(offsetSeconds));
    }

    /**
     * RFC 3339 as thin-edge.io 0.5 to 0.12 print the time of alarms, events and collectd
     * measurements (the Rust {@code time} crate): the fraction with as many digits as it needs
     * ({@code .1}, {@code .776170774}, none when zero), and {@code Z} for the offset 0.
     *
     * @return the text, e.g. {@code 2023-01-25T18:41:14.776170774Z} or {@code 2021-04-23T19:00:00+05:00}
     */
    public String renderRfc3339() {
        StringBuilder sb = dateTime();
        if (nano != 0) {
            int digits = 9;
            int n = nano;
            while (n % 10 == 0) {
                n /= 10;
                digits--;
            }
            sb.append('.');
            pad(sb, n, digits);
        }
        if (offsetSeconds == 0) return sb.append('Z').toString();
        int abs = Math.abs(offsetSeconds);
        sb.append(offsetSeconds < 0 ? '-' : '+');
        pad(sb, abs / 3600, 2).append(':');
        pad(sb, abs / 60 % 60, 2);
        return sb.toString();
    }

    /**
     * The current time of the clock, in the clock's zone offset, with the clock's precision.
     *
     * @param clock the clock to read
     * @return the time now
     */
    public static Timestamp now(Clock clock) {
        OffsetDateTime t = OffsetDateTime.now(clock);
        return new Timestamp(t.getYear(), t.getMonthValue(), t.getDayOfMonth(), t.getHour(), t.getMinute(), t.getSecond(),
                t.getNano(), t.getOffset().getTotalSeconds());
    }

    /**
     * RFC 3339, as chrono's {@code to_rfc3339} prints it.
     *
     * @return the text, e.g. {@code 2021-04-30T17:03:14.500+02:00}
     */
    public String render() {
        StringBuilder sb = dateTime();
        if (nano != 0) {
            sb.append('.');
            if (nano % 1_000_000 == 0) {
                pad(sb, nano / 1_000_000, 3);
            } else if (nano % 1_000 == 0) {
                pad(sb, nano / 1_000, 6);
            } else {
                pad(sb, nano, 9);
            }
        }
        int abs = Math.abs(offsetSeconds);
        sb.append(offsetSeconds < 0 ? '-' : '+');
        pad(sb, abs / 3600, 2).append(':');
        pad(sb, abs / 60 % 60, 2);
        return sb.toString();
    }

    /** {@code YYYY-MM-DDThh:mm:ss}. */
    private StringBuilder dateTime() {
        StringBuilder sb = new StringBuilder(35);
        pad(sb, year, 4).append('-');
        pad(sb, month, 2).append('-');
        pad(sb, day, 2).append('T');
        pad(sb, hour, 2).append(':');
        pad(sb, minute, 2).append(':');
        return pad(sb, second, 2);
    }

    /** The same as {@link #render()}. */
    @Override
    public String toString() {
        return render();
    }

    private static StringBuilder pad(StringBuilder sb, int value, int width) {
        String digits = Integer.toString(value);
        for (int i = digits.length(); i < width; i++) sb.append('0');
        return sb.append(digits);
    }

    private static int daysIn(int year, int month) {
        return switch (month) {
            case 2 -> (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    /** Reads the text left to right, failing with chrono's reasons. */
    private static final class Scanner {
        private final String text;
        private int pos;

        Scanner(String text) {
            this.text = text;
        }

        boolean atEnd() {
            return pos >= text.length();
        }

        char peek() {
            return text.charAt(pos);
        }

        char next() {
            return text.charAt(pos++);
        }

        /** Exactly {@code width} ASCII digits. */
        int number(int width) throws InvalidTimestamp {
            if (text.length() - pos < width) throw new InvalidTimestamp(TOO_SHORT);
            int value = 0;
            for (int i = 0; i < width; i++) {
                char c = next();
                if (c < '0' || c > '9') throw new InvalidTimestamp(INVALID);
                value = value * 10 + (c - '0');
            }
            return value;
        }

        void expect(char c) throws InvalidTimestamp {
            if (atEnd()) throw new InvalidTimestamp(TOO_SHORT);
            if (next() != c) throw new InvalidTimestamp(INVALID);
        }

        /** At least one digit; nanoseconds from the first nine, the others skipped. */
        int fraction() throws InvalidTimestamp {
            if (atEnd()) throw new InvalidTimestamp(TOO_SHORT);
            int value = 0;
            int digits = 0;
            while (!atEnd() && peek() >= '0' && peek() <= '9') {
                char c = next();
                if (digits < 9) {
                    value = value * 10 + (c - '0');
                    digits++;
                }
            }
            if (digits == 0) throw new InvalidTimestamp(INVALID);
            for (int i = digits; i < 9; i++) value *= 10;
            return value;
        }

        /** {@code Z}, {@code z} or {@code ±hh:mm}, in seconds. */
        int offset() throws InvalidTimestamp {
            if (atEnd()) throw new InvalidTimestamp(TOO_SHORT);
            char c = next();
            if (c == 'Z' || c == 'z') return 0;
            if (c != '+' && c != '-') throw new InvalidTimestamp(INVALID);
            int sign = c == '-' ? -1 : 1;
            int hours = number(2);
            expect(':');
            if (text.length() - pos < 2) throw new InvalidTimestamp(TOO_SHORT);
            char m1 = next();
            char m2 = next();
            if (m2 < '0' || m2 > '9' || m1 < '0' || m1 > '9') throw new InvalidTimestamp(INVALID);
            if (m1 > '5') throw new InvalidTimestamp(OUT_OF_RANGE);
            int minutes = (m1 - '0') * 10 + (m2 - '0');
            return sign * (hours * 3600 + minutes * 60);
        }
    }

    /** Reads the text left to right, failing with the Rust time crate's reasons. */
    private static final class TimeCrateScanner {
        private final String text;
        private int pos;

        TimeCrateScanner(String text) {
            this.text = text;
        }

        boolean atEnd() {
            return pos >= text.length();
        }

        int digits(int width, String component) throws InvalidTimestamp {
            if (text.length() - pos < width) throw component(component);
            int value = 0;
            for (int i = 0; i < width; i++) {
                char c = text.charAt(pos + i);
                if (c < '0' || c > '9') throw component(component);
                value = value * 10 + (c - '0');
            }
            pos += width;
            return value;
        }

        void literal(char c) throws InvalidTimestamp {
            if (!skip(c)) throw new InvalidTimestamp("a character literal was not valid");
        }

        void literalIgnoreCase(char c) throws InvalidTimestamp {
            if (!skipIgnoreCase(c)) throw new InvalidTimestamp("a character literal was not valid");
        }

        boolean skip(char c) {
            if (atEnd() || text.charAt(pos) != c) return false;
            pos++;
            return true;
        }

        boolean skipIgnoreCase(char c) {
            if (atEnd() || Character.toUpperCase(text.charAt(pos)) != c) return false;
            pos++;
            return true;
        }

        int sign() throws InvalidTimestamp {
            if (skip('+')) return 1;
            if (skip('-')) return -1;
            throw component("offset hour");
        }

        /** One digit or more; the first nine make the nanoseconds. */
        int subsecond() throws InvalidTimestamp {
            if (atEnd() || text.charAt(pos) < '0' || text.charAt(pos) > '9') throw component("subsecond");
            int value = 0;
            int multiplier = 100_000_000;
            while (!atEnd() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
                value += (text.charAt(pos) - '0') * multiplier;
                multiplier /= 10;
                pos++;
            }
            return value;
        }

        private static InvalidTimestamp component(String name) {
            return new InvalidTimestamp("the '" + name + "' component could not be parsed");
        }
    }
}
