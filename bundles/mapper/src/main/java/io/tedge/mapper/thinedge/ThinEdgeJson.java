package io.tedge.mapper.thinedge;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Thin Edge JSON measurements: the parser and validator, an ordered model, and the Thin Edge JSON
 * writer.
 *
 * <p>The rules are thin-edge.io's (0.4.x): the root is an object; each key is a measurement
 * name whose value is a number (a single-value measurement) or an object of numbers (a group, a
 * multi-value measurement); {@code time} (root only, optional) is an RFC 3339 string; the names
 * {@code type} and {@code externalSource} are reserved; at least one measurement, and at least
 * one value per group. Strings, booleans, null, arrays, deeper nesting, numbers too large for a
 * float64 and repeated keys are refused.
 *
 * <p>Numbers are kept as the text they were written with (an integer stays an integer), except
 * a number that underflows a float64 to zero, which becomes {@code 0} (thin-edge.io 0.2.0 does
 * the same).
 *
 * <p>Errors read as thin-edge.io 0.4.x prints them: {@code Invalid JSON: <reason> at line L
 * column C: `<the input from there, up to 80 characters>`}, line and column counted in bytes
 * from 1, the column being that of the last byte read (0 at the start of a line). The reasons
 * are thin-edge.io's where it has one (e.g. {@code expected value}, {@code Empty Thin Edge
 * measurement: it must contain at least one measurement}, {@code Invalid measurement name:
 * "type" is a reserved word.}, {@code Invalid ISO8601 timestamp (...): "<v>": <why>}), except
 * for a number given as {@code time}, which gets 0.2.0's clearer {@code Not a timestamp: ...}
 * text. A payload that is not UTF-8 gets 0.2.0's {@code Invalid UTF8: ...} text.
 *
 * <p>The cloud mappers (c8y, az) share this one parser: they {@link #parse parse} a payload into
 * a {@link Measurement} and write it out in their cloud's format, or as Thin Edge JSON again
 * with {@link #toJson}.
 */
public final class ThinEdgeJson {

    /** Longest excerpt of the input in an error message, in characters. */
    static final int EXCERPT_CHARS = 80;

    /** The name of the optional time of a message, {@value}: an RFC 3339 {@link Timestamp}. */
    public static final String TIME = "time";
    static final String TIME_FORMAT = "YYYY-MM-DDThh:mm:ss.sss.\u00b1hh:mm";

    private static final JsonFactory JSON = JsonFactory.builder().build();

    private ThinEdgeJson() {
    }

    /**
     * One entry of a measurement message, in input order: a {@link Time}, a {@link Single} value
     * or a {@link Group} of values.
     */
    public sealed interface Entry permits Time, Single, Group {
    }

    /**
     * The {@code time} of the message.
     *
     * @param value the time, as parsed
     */
    public record Time(Timestamp value) implements Entry {
    }

    /**
     * A single value: a name and a JSON number, as written in the input. The constructor does not
     * check the number; {@link ThinEdgeJson#parse} only makes valid ones.
     *
     * @param name   the measurement name (or, in a group, the value's key)
     * @param number the JSON number text, copied into the output as it is
     */
    public record Single(String name, String number) implements Entry {
    }

    /**
     * A group of single values (a multi-value measurement).
     *
     * @param name   the group name
     * @param values its values in input order, at least one after a parse; an unmodifiable copy
     */
    public record Group(String name, List<Single> values) implements Entry {
        /** Copies the values. */
        public Group {
            values = List.copyOf(values);
        }
    }

    /**
     * A valid Thin Edge JSON measurement message, as {@link ThinEdgeJson#parse} returns it.
     *
     * @param entries the entries in input order; an unmodifiable copy
     */
    public record Measurement(List<Entry> entries) {
        /** Copies the entries. */
        public Measurement {
            entries = List.copyOf(entries);
        }

        /**
         * Whether the message has its own {@code time}.
         *
         * @return true if one of the entries is a {@link Time}
         */
        public boolean hasTime() {
            return entries.stream().anyMatch(e -> e instanceof Time);
        }
    }

    /** Not Thin Edge JSON; the message is the full error text for the user. */
    public static final class InvalidThinEdgeJson extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidThinEdgeJson(String message) {
            super(message);
        }
    }

    /**
     * Parses and validates one message.
     *
     * @param payload the message as received, UTF-8
     * @return the measurement, entries in input order
     * @throws InvalidThinEdgeJson if the payload is not valid Thin Edge JSON; its message is
     *                             the error text thin-edge.io would give
     */
    public static Measurement parse(byte[] payload) throws InvalidThinEdgeJson {
        return new Reader(payload).read();
    }

    /**
     * Writes the measurement as compact Thin Edge JSON, entries in order, numbers as given, the
     * time re-rendered.
     *
     * @param m       the measurement
     * @param addTime appended as {@code time} when not null (give null if {@code m} has a time)
     * @return the JSON text, UTF-8
     */
    public static byte[] toJson(Measurement m, Timestamp addTime) {
        return write(g -> {
            g.writeStartObject();
            for (Entry e : m.entries()) {
                if (e instanceof Time t) {
                    g.writeStringField(TIME, t.value().render());
                } else if (e instanceof Single s) {
                    g.writeFieldName(s.name());
                    g.writeNumber(s.number());
                } else if (e instanceof Group gr) {
                    g.writeObjectFieldStart(gr.name());
                    for (Single s : gr.values()) {
                        g.writeFieldName(s.name());
                        g.writeNumber(s.number());
                    }
                    g.writeEndObject();
                }
            }
            if (addTime != null) g.writeStringField(TIME, addTime.render());
            g.writeEndObject();
        });
    }

    /** Something that writes one JSON document. */
    interface JsonWriter {
        void write(JsonGenerator g) throws IOException;
    }

    /** Runs the writer on a compact UTF-8 generator and returns the bytes. */
    static byte[] write(JsonWriter writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            writer.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON to memory", e);
        }
        return out.toByteArray();
    }

    /** {@code "text"} with Rust's debug escapes, as thin-edge.io quotes values in its errors. */
    static String quote(String text) {
        return SerdeText.quote(text);
    }

    /** One parse: the payload, and the positions used in error messages. */
    private static final class Reader {
        private final byte[] in;

        Reader(byte[] in) {
            this.in = in;
        }

        Measurement read() throws InvalidThinEdgeJson {
            checkUtf8();
            try (JsonParser p = JSON.createParser(in)) {
                try {
                    return root(p);
                } catch (JsonProcessingException e) {
                    throw syntaxError(e, p);
                }
            } catch (IOException e) {
                throw new InvalidThinEdgeJson("Invalid JSON: " + e.getMessage());
            }
        }

        private Measurement root(JsonParser p) throws IOException, InvalidThinEdgeJson {
            JsonToken t = p.nextToken();
            if (t == null) throw error("EOF while parsing a value", in.length);
            if (t != JsonToken.START_OBJECT) {
                throw error("invalid type: " + describe(p, t) + ", expected ThinEdge JSON", start(p));
            }
            List<Entry> entries = new ArrayList<>();
            Set<String> names = new HashSet<>();
            boolean measurements = false;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                int keyEnd = stringEnd(start(p));
                if (!names.add(name)) throw error("duplicate key " + quote(name), keyEnd);
                if (name.equals("type") || name.equals("externalSource")) {
                    throw error("Invalid measurement name: " + quote(name) + " is a reserved word.", keyEnd);
                }
                JsonToken v = p.nextToken();
                if (name.equals(TIME)) {
                    entries.add(new Time(time(p, v)));
                } else if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
                    entries.add(single(p, name));
                    measurements = true;
                } else if (v == JsonToken.START_OBJECT) {
                    entries.add(group(p, name));
                    measurements = true;
                } else {
                    throw error("invalid type: " + describe(p, v) + ", expected ThinEdge single or multi-value measurement", end(p, v));
                }
            }
            int close = start(p);
            if (!measurements) {
                throw error("Empty Thin Edge measurement: it must contain at least one measurement", close + 1);
            }
            int rest = skipWhitespace(close + 1);
            if (rest < in.length) throw error("trailing characters", rest + 1);
            return new Measurement(entries);
        }

        private Group group(JsonParser p, String name) throws IOException, InvalidThinEdgeJson {
            List<Single> values = new ArrayList<>();
            Set<String> keys = new HashSet<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                int keyEnd = stringEnd(start(p));
                if (!keys.add(key)) throw error("duplicate key " + quote(key), keyEnd);
                JsonToken v = p.nextToken();
                if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
                    values.add(single(p, key));
                } else if (v == JsonToken.START_OBJECT) {
                    // thin-edge.io reports this once it has read up to the nested object's first key
                    throw error("Expect single-value measurement", skipWhitespace(start(p) + 1));
                } else {
                    throw error("invalid type: " + describe(p, v) + ", expected a single-value measurement (a number) in group "
                            + quote(name), end(p, v));
                }
            }
            if (values.isEmpty()) {
                throw error("Empty Thin Edge measurement: " + quote(name) + " must contain at least one measurement", start(p) + 1);
            }
            return new Group(name, values);
        }

        private Single single(JsonParser p, String name) throws IOException, InvalidThinEdgeJson {
            String text = p.getText();
            double value = Double.parseDouble(text);
            if (Double.isInfinite(value)) throw error("number out of range", start(p) + text.length());
            if (value == 0.0 && hasNonZeroDigit(text)) text = "0";
            return new Single(name, text);
        }

        private Timestamp time(JsonParser p, JsonToken v) throws IOException, InvalidThinEdgeJson {
            if (v != JsonToken.VALUE_STRING) {
                throw error("Not a timestamp: the time value must be an ISO8601 timestamp string in the " + TIME_FORMAT
                        + " format, not " + kind(v) + ".", end(p, v));
            }
            String text = p.getText();
            try {
                return Timestamp.parse(text);
            } catch (Timestamp.InvalidTimestamp e) {
                throw error("Invalid ISO8601 timestamp (expected " + TIME_FORMAT + "): " + quote(text) + ": " + e.getMessage(),
                        stringEnd(start(p)));
            }
        }

        private static String describe(JsonParser p, JsonToken t) throws IOException {
            return SerdeText.describe(p, t);
        }

        private static String kind(JsonToken t) {
            return switch (t) {
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "null";
                case START_ARRAY -> "an array";
                case START_OBJECT -> "an object";
                default -> "a " + t.name().toLowerCase(java.util.Locale.ROOT);
            };
        }

        private static boolean hasNonZeroDigit(String number) {
            for (int i = 0; i < number.length(); i++) {
                char c = number.charAt(i);
                if (c == 'e' || c == 'E') return false;
                if (c >= '1' && c <= '9') return true;
            }
            return false;
        }

        private static int start(JsonParser p) {
            return SerdeText.start(p);
        }

        private int end(JsonParser p, JsonToken t) throws IOException {
            return SerdeText.end(in, p, t);
        }

        private int stringEnd(int start) {
            return SerdeText.stringEnd(in, start);
        }

        private int skipWhitespace(int from) {
            return SerdeText.skipWhitespace(in, from);
        }

        private InvalidThinEdgeJson syntaxError(JsonProcessingException e, JsonParser p) {
            SerdeText.Located l = SerdeText.syntaxError(in, e, p);
            return error(l.reason(), l.consumed());
        }

        /**
         * The error once {@code consumed} bytes were read: line and column of the last byte read,
         * and the input from that byte on.
         */
        private InvalidThinEdgeJson error(String reason, int consumed) {
            SerdeText.Position at = SerdeText.position(in, consumed);
            return new InvalidThinEdgeJson("Invalid JSON: " + reason + " at " + at.text() + ": `"
                    + SerdeText.excerpt(in, at.lastByte(), EXCERPT_CHARS) + "`");
        }

        /** Rejects a payload that is not UTF-8, with thin-edge.io 0.2.0's text. */
        private void checkUtf8() throws InvalidThinEdgeJson {
            int[] index = new int[1];
            String what = SerdeText.utf8Error(in, index);
            if (what == null) return;
            String valid = SerdeText.prefix(new String(in, 0, index[0], StandardCharsets.UTF_8), EXCERPT_CHARS);
            throw new InvalidThinEdgeJson("Invalid UTF8: " + what + ": " + valid + "...");
        }
    }
}
