package io.tedge.mapper.thinedge;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The words and positions of Rust's serde_json errors, which thin-edge.io prints, for a payload
 * read with Jackson: the reason serde gives for a syntax error, how serde describes an
 * unexpected value, and the line and column serde reports (counted in bytes from 1, the column
 * being that of the last byte read, 0 at the start of a line).
 */
final class SerdeText {
    private SerdeText() {
    }

    /** A reason and how many bytes of the input serde had read when it gave it. */
    record Located(String reason, int consumed) {
    }

    /** Line and column once {@code consumed} bytes were read, and the offset of that last byte. */
    record Position(int line, int column, int lastByte) {
        String text() {
            return "line " + line + " column " + column;
        }
    }

    static Position position(byte[] in, int consumed) {
        int end = Math.min(Math.max(consumed, 0), in.length);
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < end; i++) {
            if (in[i] == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        int column = end - lineStart;
        return new Position(line, column, Math.min(lineStart + Math.max(column - 1, 0), in.length));
    }

    /** {@code "text"} with Rust's debug escapes, as thin-edge.io quotes values in its errors. */
    static String quote(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        sb.append("\\u{").append(Integer.toHexString(c)).append('}');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** The value at the parser as serde describes an unexpected one. */
    static String describe(JsonParser p, JsonToken t) throws IOException {
        return switch (t) {
            case VALUE_STRING -> "string " + quote(p.getText());
            case VALUE_TRUE -> "boolean `true`";
            case VALUE_FALSE -> "boolean `false`";
            case VALUE_NULL -> "null";
            case VALUE_NUMBER_INT -> "integer `" + p.getText() + "`";
            case VALUE_NUMBER_FLOAT -> "floating point `" + rustDisplay(p.getDoubleValue()) + "`";
            case START_ARRAY -> "sequence";
            case START_OBJECT -> "map";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }

    /**
     * A double as Rust's {@code Display} prints it: the shortest digits that read back as the
     * same double, never an exponent, no fraction when integral ({@code 1500}, {@code 1.5},
     * {@code 0.0000001}).
     */
    static String rustDisplay(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "inf" : "-inf";
        if (v == 0) return (1 / v < 0) ? "-0" : "0";
        java.math.BigDecimal exact = new java.math.BigDecimal(v);
        for (int p = 1; p <= 17; p++) {
            java.math.BigDecimal r = exact.round(new java.math.MathContext(p, java.math.RoundingMode.HALF_EVEN));
            if (r.doubleValue() == v) return r.stripTrailingZeros().toPlainString();
        }
        return exact.stripTrailingZeros().toPlainString();
    }

    /** Byte offset where the current token starts. */
    static int start(JsonParser p) {
        return (int) p.currentTokenLocation().getByteOffset();
    }

    /** The offset just after the JSON string that starts (with its quote) at {@code start}. */
    static int stringEnd(byte[] in, int start) {
        int i = start + 1;
        while (i < in.length) {
            byte b = in[i];
            if (b == '\\') {
                i += 2;
            } else if (b == '"') {
                return i + 1;
            } else {
                i++;
            }
        }
        return in.length;
    }

    /** Bytes read once the token at the parser is read (containers: their first byte only). */
    static int end(byte[] in, JsonParser p, JsonToken t) throws IOException {
        int s = start(p);
        return switch (t) {
            case VALUE_STRING -> stringEnd(in, s);
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT, VALUE_TRUE, VALUE_FALSE, VALUE_NULL -> s + p.getText().length();
            default -> s + 1;
        };
    }

    /**
     * Bytes read when serde finds a value of the wrong type where it expected another: a scalar
     * is read whole, a container not at all.
     */
    static int endOfUnexpected(byte[] in, JsonParser p, JsonToken t) throws IOException {
        return t == JsonToken.START_ARRAY || t == JsonToken.START_OBJECT ? start(p) : end(in, p, t);
    }

    static int skipWhitespace(byte[] in, int from) {
        int i = from;
        while (i < in.length && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r')) i++;
        return i;
    }

    /** Maps a Jackson syntax error to serde's words, at Jackson's position. */
    static Located syntaxError(byte[] in, JsonProcessingException e, JsonParser p) {
        JsonLocation loc = e.getLocation() != null ? e.getLocation() : p.currentLocation();
        long offset = loc == null ? -1 : loc.getByteOffset();
        if (offset < 0 && loc != null) offset = offsetOf(in, loc.getLineNr(), loc.getColumnNr());
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        boolean eof = message.contains("end-of-input");
        int consumed = eof || offset < 0 || offset >= in.length ? in.length : (int) offset + 1;
        if (!eof && message.startsWith("Non-standard token '")) {
            // Jackson points after such a token; serde (and so thin-edge.io) at its first character
            int close = message.indexOf('\'', 20);
            if (close > 20) consumed = Math.max(1, consumed - (close - 20));
        }
        return new Located(reason(message, eof), consumed);
    }

    private static String reason(String message, boolean eof) {
        if (eof) {
            if (message.contains("close marker for Object")) return "EOF while parsing an object";
            if (message.contains("close marker for Array")) return "EOF while parsing a list";
            if (message.contains("VALUE_STRING") || message.contains("in field name")) return "EOF while parsing a string";
            return "EOF while parsing a value";
        }
        if (message.startsWith("Unrecognized token") || message.contains("expected a valid value")
                || message.startsWith("Non-standard token")) {
            return "expected value";
        }
        if (message.contains("comma to separate Object entries")) return "expected `,` or `}`";
        if (message.contains("comma to separate Array entries")) return "expected `,` or `]`";
        if (message.contains("a colon to separate field name and value")) return "expected `:`";
        if (message.contains("double-quote to start field name")) {
            return message.startsWith("Unexpected character ('}'") ? "trailing comma" : "key must be a string";
        }
        if (message.startsWith("Unexpected close marker")) {
            return message.contains("expected '}'") ? "expected `,` or `}`" : "expected `,` or `]`";
        }
        if (message.startsWith("Illegal unquoted character")) {
            return "control character (\\u0000-\\u001F) found while parsing a string";
        }
        if (message.contains("character escape") || message.contains("escape sequence")) return "invalid escape";
        if (message.contains("numeric value") || message.startsWith("Invalid numeric value")) return "invalid number";
        message = message.replaceAll(", from `[^`]*`", "");
        int cut = message.indexOf(" (start marker at");
        if (cut < 0) cut = message.indexOf(" (for ");
        if (cut < 0) cut = message.indexOf('\n');
        return cut < 0 ? message : message.substring(0, cut);
    }

    private static long offsetOf(byte[] in, int line, int column) {
        if (line < 1 || column < 1) return -1;
        int l = 1;
        int i = 0;
        while (i < in.length && l < line) {
            if (in[i] == '\n') l++;
            i++;
        }
        return i + column - 1L;
    }

    /**
     * Null when the payload is UTF-8, else Rust's {@code Utf8Error} text: {@code invalid utf-8
     * sequence of N bytes from index I} or {@code incomplete utf-8 byte sequence from index I}.
     * {@code index[0]} gets the index of the first invalid byte.
     */
    static String utf8Error(byte[] in, int[] index) {
        int i = 0;
        int n = in.length;
        while (i < n) {
            int b = in[i] & 0xff;
            if (b < 0x80) {
                i++;
                continue;
            }
            int width;
            int lo = 0x80;
            int hi = 0xbf;
            if (b >= 0xc2 && b <= 0xdf) {
                width = 2;
            } else if (b >= 0xe0 && b <= 0xef) {
                width = 3;
                if (b == 0xe0) lo = 0xa0;
                if (b == 0xed) hi = 0x9f;
            } else if (b >= 0xf0 && b <= 0xf4) {
                width = 4;
                if (b == 0xf0) lo = 0x90;
                if (b == 0xf4) hi = 0x8f;
            } else {
                return utf8Text(i, 1, index);
            }
            for (int k = 1; k < width; k++) {
                if (i + k >= n) return utf8Text(i, 0, index);
                int c = in[i + k] & 0xff;
                if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xbf)) return utf8Text(i, k, index);
            }
            i += width;
        }
        return null;
    }

    /** {@code length} 0: the input ends inside a sequence. */
    private static String utf8Text(int i, int length, int[] index) {
        if (index != null && index.length > 0) index[0] = i;
        return length == 0 ? "incomplete utf-8 byte sequence from index " + i
                : "invalid utf-8 sequence of " + length + " bytes from index " + i;
    }

    /** At most {@code chars} code points of the text. */
    static String prefix(String text, int chars) {
        if (text.codePointCount(0, text.length()) <= chars) return text;
        return text.substring(0, text.offsetByCodePoints(0, chars));
    }

    /** The input from a byte offset on, at most {@code chars} code points. */
    static String excerpt(byte[] in, int from, int chars) {
        return prefix(new String(in, from, in.length - from, StandardCharsets.UTF_8), chars);
    }
}
