package io.tedge.mapper.thinedge;

import java.time.Clock;
import java.time.OffsetDateTime;

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
        StringBuilder sb = new StringBuilder(35);
        pad(sb, year, 4).append('-');
        pad(sb, month, 2).append('-');
        pad(sb, day, 2).append('T');
        pad(sb, hour, 2).append(':');
        pad(sb, minute, 2).append(':');
        pad(sb, second, 2);
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
}
