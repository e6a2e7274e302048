package io.tedge.json;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads TOML 1.0 into the {@link JsonNode} tree and writes simple tables, replacing
 * jackson-dataformat-toml. The tree is the one {@code TomlMapper.readTree} gives: integers are
 * Integer, Long or BigInteger by value, floats Double, date-times text (the source text, a space
 * between date and time written as {@code T}). Unlike TomlMapper, the TOML rules on redefining
 * tables and keys, date-time ranges and Unicode escapes are enforced as the spec says. Nesting is
 * limited to {@value #MAX_DEPTH} levels, so a hostile file cannot overflow the stack.
 */
public final class Toml {
    /** A TOML document that is not valid; the message starts with {@code line N:}. */
    public static final class TomlException extends Exception {
        private static final long serialVersionUID = 1L;
        private final int line;

        TomlException(int line, String message) {
            super("line " + line + ": " + message);
            this.line = line;
        }

        /** The line (from 1) where the error is. */
        public int line() {
            return line;
        }
    }

    static final int MAX_DEPTH = 100;

    /** How a table came to be, which decides what may still be added to it. */
    private enum Kind {
        /** Created on the way to a header's table ({@code a} for {@code [a.b]}): a header may define it later. */
        IMPLICIT,
        /** Defined by a header (or an element of an array of tables, or the root). */
        DEFINED,
        /** Created by a dotted key: more dotted keys of the same section, and sub-table headers, may add to it. */
        DOTTED,
        /** An array of tables ({@code [[a]]}); the other arrays and inline tables are not in the map: they are closed. */
        TABLES
    }

    /** Date, separator, time, offset: which of them there are is checked after (no repeated group: Java's regex would recurse). */
    private static final Pattern DATE_TIME = Pattern.compile("(?:([0-9]{4})-([0-9]{2})-([0-9]{2}))?([Tt ]?)"
            + "(?:([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\\.[0-9]+)?)?([Zz]|[+-]([0-9]{2}):([0-9]{2}))?");
    private static final Pattern BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private final String s;
    private int pos;
    private int line = 1;
    private final Map<JsonNode, Kind> kinds = new IdentityHashMap<>();

    private Toml(String text) {
        s = text;
    }

    /** The document as an object; empty text gives an empty object. */
    public static ObjectNode parse(String text) throws TomlException {
        return new Toml(text).document();
    }

    // ---------------------------------------------------------------- reading

    private ObjectNode document() throws TomlException {
        ObjectNode root = new ObjectNode();
        kinds.put(root, Kind.DEFINED);
        ObjectNode table = root;
        int depth = 0;
        if (s.startsWith("\uFEFF")) pos++; // a byte order mark, as toml-test accepts
        while (true) {
            skipSpaces();
            int c = peek();
            if (c == -1) return root;
            if (c == '[') {
                boolean array = s.startsWith("[[", pos);
                pos += array ? 2 : 1;
                skipSpaces();
                List<String> key = key();
                skipSpaces();
                String close = array ? "]]" : "]";
                if (!s.startsWith(close, pos)) throw fail("expected '" + close + "' after the table name " + name(key) + ", found " + found());
                pos += close.length();
                // walk down to the table; each [[array]] on the way is the last table of that array
                ObjectNode t = root;
                depth = 0;
                String what = (array ? "[[" : "[") + name(key) + close;
                for (int i = 0; i < key.size(); i++) {
                    boolean last = i == key.size() - 1;
                    JsonNode child = t.get(key.get(i));
                    Kind kind = kinds.get(child);
                    if (child == null) {
                        child = last && array ? new ArrayNode() : new ObjectNode();
                        kinds.put(child, last ? (array ? Kind.TABLES : Kind.DEFINED) : Kind.IMPLICIT);
                        t.set(key.get(i), child);
                    } else if (last && !array && kind == Kind.IMPLICIT) {
                        kinds.put(child, Kind.DEFINED);
                    } else if (last && !array && kind == Kind.DEFINED) {
                        throw fail("the table " + what + " is defined twice");
                    } else if (kind == null || last && (!array || kind != Kind.TABLES)) {
                        throw fail("cannot define " + what + ": " + name(key.subList(0, i + 1)) + " is already "
                                + describe(child, kind));
                    }
                    if (child instanceof ArrayNode a) {
                        child = last ? a.addObject() : a.get(a.size() - 1);
                        if (last) kinds.put(child, Kind.DEFINED);
                        depth++;
                    }
                    t = (ObjectNode) child;
                    checkDepth(++depth);
                }
                table = t;
                endOfLine("after the table name " + name(key));
            } else if (c == '#' || c == '\n' || c == '\r') {
                endOfLine("");
            } else {
                String key = keyValue(table, depth);
                endOfLine("after the value of " + key);
            }
        }
    }

    /** {@code key = value} into the table; returns the key for messages. */
    private String keyValue(ObjectNode table, int depth) throws TomlException {
        List<String> key = key();
        skipSpaces();
        if (peek() != '=') throw fail("expected '=' after the key " + name(key) + ", found " + found());
        pos++;
        skipSpaces();
        ObjectNode t = table;
        for (int i = 0; i < key.size() - 1; i++) {
            JsonNode child = t.get(key.get(i));
            if (child == null) {
                child = new ObjectNode();
                kinds.put(child, Kind.DOTTED);
                t.set(key.get(i), child);
            } else if (kinds.get(child) != Kind.DOTTED) {
                throw fail("cannot set " + name(key) + ": " + name(key.subList(0, i + 1)) + " is already "
                        + describe(child, kinds.get(child)) + " and cannot be extended with a dotted key");
            }
            t = (ObjectNode) child;
            checkDepth(++depth);
        }
        String last = key.get(key.size() - 1);
        if (t.get(last) != null) throw fail("the key " + name(key) + " is defined twice");
        t.set(last, value(depth + 1));
        return name(key);
    }

    /** A key: simple keys (bare, "basic" or 'literal') separated by dots. */
    private List<String> key() throws TomlException {
        List<String> key = new ArrayList<>();
        while (true) {
            int c = peek();
            if (c == '"' || c == '\'') {
                key.add(string(false));
            } else {
                int start = pos;
                while (pos < s.length() && isBare(s.charAt(pos))) pos++;
                if (pos == start) throw fail("expected a key, found " + found());
                key.add(s.substring(start, pos));
            }
            skipSpaces();
            if (peek() != '.') return key;
            pos++;
            skipSpaces();
        }
    }

    private JsonNode value(int depth) throws TomlException {
        int c = peek();
        if (c == '"' || c == '\'') return new TextNode(string(true));
        if (c == '[' || c == '{') {
            checkDepth(depth);
            return c == '[' ? array(depth) : inlineTable(depth);
        }
        int start = pos;
        while (pos < s.length() && isScalar(s.charAt(pos))) pos++;
        // a date, a space and a time is one date-time
        if (s.substring(start, pos).matches("[0-9]{4}-[0-9]{2}-[0-9]{2}") && pos + 1 < s.length() && s.charAt(pos) == ' '
                && Character.isDigit(s.charAt(pos + 1))) {
            pos++;
            while (pos < s.length() && isScalar(s.charAt(pos))) pos++;
        }
        String v = s.substring(start, pos);
        if (v.isEmpty()) throw fail("expected a value, found " + found());
        switch (v) {
            case "true", "false" -> {
                return BooleanNode.of(v.equals("true"));
            }
            case "inf", "+inf", "-inf", "nan", "+nan", "-nan" -> {
                return new NumberNode(v.endsWith("nan") ? Double.NaN : v.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY);
            }
            default -> { }
        }
        JsonNode n = number(v);
        if (n != null) return n;
        if (isDateTime(v)) return new TextNode(v.length() > 10 && v.charAt(10) == ' ' ? v.substring(0, 10) + 'T' + v.substring(11) : v);
        if (v.matches("[0-9]+[-:].*")) {
            throw fail("invalid date or time " + shown(v) + " (as 1979-05-27, 07:32:00, 1979-05-27T07:32:00 or 1979-05-27T07:32:00Z)");
        }
        if (number(v.replace("_", "")) != null) throw fail("invalid number " + shown(v) + ": '_' must be between two digits");
        if (v.matches("[+-]?[0-9].*")) throw fail("invalid number " + shown(v));
        throw fail("invalid value " + shown(v) + " (text must be quoted)");
    }

    /** An integer or float, or null if {@code v} is not one. */
    private JsonNode number(String v) throws TomlException {
        int radix = v.startsWith("0x") ? 16 : v.startsWith("0o") ? 8 : v.startsWith("0b") ? 2 : 10;
        if (radix != 10) return digits(v, 2, radix) == v.length() ? integer(v, v.substring(2).replace("_", ""), radix) : null;
        int start = v.startsWith("+") || v.startsWith("-") ? 1 : 0;
        int end = digits(v, start, 10), integerEnd = end;
        boolean fraction = end > 0 && end < v.length() && v.charAt(end) == '.';
        if (fraction) end = digits(v, end + 1, 10);
        boolean exponent = end > 0 && end < v.length() && (v.charAt(end) == 'e' || v.charAt(end) == 'E');
        if (exponent) end = digits(v, v.startsWith("+", end + 1) || v.startsWith("-", end + 1) ? end + 2 : end + 1, 10);
        if (end != v.length()) return null;
        if (v.charAt(start) == '0' && integerEnd > start + 1) throw fail("invalid number " + shown(v) + ": leading zeros are not allowed");
        String digits = v.replace("_", "");
        return fraction || exponent ? new NumberNode(Double.parseDouble(digits)) : integer(v, digits, 10);
    }

    /** The most digits a 64-bit integer has in each radix (2, 8, 10, 16), leading zeros aside. */
    private static int maxDigits(int radix) {
        return radix == 2 ? 64 : radix == 8 ? 22 : radix == 10 ? 19 : 16;
    }

    /** The end of the digits from {@code i}, each '_' between two digits, or -1 if there is no digit. */
    private static int digits(String v, int i, int radix) {
        int start = i;
        while (i < v.length() && (Character.digit(v.charAt(i), radix) >= 0
                || v.charAt(i) == '_' && i > start && i + 1 < v.length() && Character.digit(v.charAt(i + 1), radix) >= 0)) {
            i++;
        }
        return i == start ? -1 : i;
    }

    /**
     * A TOML integer: 64-bit signed, and an error beyond, as the spec says ("if an integer cannot be
     * represented losslessly, an error must be thrown"). The number of digits is checked before any
     * parsing, so a long run of digits costs nothing (parsing a million of them takes seconds).
     */
    private NumberNode integer(String v, String digits, int radix) throws TomlException {
        int first = digits.startsWith("+") || digits.startsWith("-") ? 1 : 0;
        while (first < digits.length() - 1 && digits.charAt(first) == '0') first++;
        if (digits.length() - first > maxDigits(radix)) throw fail("integer " + shown(v) + " is out of the 64-bit range");
        BigInteger b = new BigInteger(digits, radix);
        if (b.bitLength() > 63) throw fail("integer " + shown(v) + " is out of the 64-bit range");
        return b.bitLength() < 32 ? new NumberNode(b.intValue()) : new NumberNode(b.longValue());
    }

    /** A value for an error message: long ones cut, so that a huge value does not fill the log. */
    static String shown(String v) {
        return v.length() <= 40 ? v : v.substring(0, 40) + "... (" + v.length() + " characters)";
    }

    private boolean isDateTime(String v) throws TomlException {
        Matcher m = DATE_TIME.matcher(v);
        if (!m.matches()) return false;
        boolean date = m.group(1) != null, time = m.group(5) != null;
        if (!date && !time || date && time == m.group(4).isEmpty() || m.group(8) != null && !(date && time)) return false;
        int[] f = new int[11];
        for (int i : new int[] {1, 2, 3, 5, 6, 7, 9, 10}) f[i] = m.group(i) == null ? 0 : Integer.parseInt(m.group(i));
        int days = f[2] == 2 ? (f[1] % 4 == 0 && (f[1] % 100 != 0 || f[1] % 400 == 0) ? 29 : 28) : f[2] == 4 || f[2] == 6 || f[2] == 9 || f[2] == 11 ? 30 : 31;
        if (date && (f[2] < 1 || f[2] > 12 || f[3] < 1 || f[3] > days)) throw fail("invalid date " + shown(v));
        // seconds up to 60 for a leap second (RFC 3339), an offset up to 23:59
        if (f[5] > 23 || f[6] > 59 || f[7] > 60 || f[9] > 23 || f[10] > 59) throw fail("invalid time " + shown(v));
        return true;
    }

    private ArrayNode array(int depth) throws TomlException {
        ArrayNode a = new ArrayNode();
        pos++;
        while (true) {
            skipBlank();
            if (peek() == ']') break;
            a.add(value(depth + 1));
            skipBlank();
            if (peek() == ',') {
                pos++;
            } else if (peek() == ']') {
                break;
            } else {
                throw fail("expected ',' or ']' in the array, found " + found());
            }
        }
        pos++;
        return a;
    }

    private ObjectNode inlineTable(int depth) throws TomlException {
        ObjectNode t = new ObjectNode(); // not in kinds: closed once written
        pos++;
        skipSpaces();
        if (peek() == '}') {
            pos++;
            return t;
        }
        while (true) {
            keyValue(t, depth);
            skipSpaces();
            int c = peek();
            pos++;
            if (c == '}') return t;
            if (c != ',') {
                pos--;
                throw fail("expected ',' or '}' in the inline table (which must be on one line), found " + found());
            }
            skipSpaces();
            if (peek() == '}') throw fail("no ',' is allowed after the last value of an inline table");
        }
    }

    /** A string: basic or literal, multi-line if {@code multiLine} allows it (not for keys). */
    private String string(boolean multiLine) throws TomlException {
        int startLine = line;
        char quote = s.charAt(pos);
        boolean ml = multiLine && s.startsWith(quote == '"' ? "\"\"\"" : "'''", pos);
        pos += ml ? 3 : 1;
        if (ml) newline(); // a line break right after the opening quotes is not part of the text
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= s.length()) throw new TomlException(startLine, "unterminated string");
            char c = s.charAt(pos);
            if (c == quote) {
                int n = 1;
                while (ml && n < 6 && pos + n < s.length() && s.charAt(pos + n) == quote) n++;
                if (!ml || n >= 3) {
                    if (n == 6) throw fail("too many quotes at the end of a multi-line string");
                    b.append(String.valueOf(quote).repeat(Math.max(0, n - 3)));
                    pos += n;
                    return b.toString();
                }
                b.append(String.valueOf(quote).repeat(n));
                pos += n;
            } else if (c == '\n' || c == '\r' && s.startsWith("\r\n", pos)) {
                if (!ml) throw fail("unterminated string (use \"\"\" or ''' for text on several lines)");
                b.append(c == '\r' ? "\r\n" : "\n");
                newline();
            } else if (c < 0x20 && c != '\t' || c == 0x7F) {
                throw fail("control character " + String.format("U+%04X", (int) c) + " in a string (write it as an escape)");
            } else if (c == '\\' && quote == '"') {
                escape(b, ml);
            } else {
                b.append(c);
                pos++;
            }
        }
    }

    private void escape(StringBuilder b, boolean ml) throws TomlException {
        pos++;
        int c = peek();
        if (ml) { // a backslash at the end of a line removes the line break and the blanks after it
            int p = pos;
            while (p < s.length() && (s.charAt(p) == ' ' || s.charAt(p) == '\t')) p++;
            if (s.startsWith("\n", p) || s.startsWith("\r\n", p)) {
                for (pos = p; peek() == ' ' || peek() == '\t' || newline();) {
                    if (peek() == ' ' || peek() == '\t') pos++;
                }
                return;
            }
        }
        pos++;
        switch (c) {
            case 'b' -> b.append('\b');
            case 't' -> b.append('\t');
            case 'n' -> b.append('\n');
            case 'f' -> b.append('\f');
            case 'r' -> b.append('\r');
            case '"' -> b.append('"');
            case '\\' -> b.append('\\');
            case 'u', 'U' -> {
                int n = c == 'u' ? 4 : 8;
                String hex = pos + n <= s.length() ? s.substring(pos, pos + n) : "";
                if (!hex.matches("[0-9A-Fa-f]+")) throw fail("\\" + (char) c + " must be followed by " + n + " hex digits");
                long cp = Long.parseLong(hex, 16);
                if (cp > 0x10FFFF || cp >= 0xD800 && cp <= 0xDFFF) throw fail("\\" + (char) c + hex + " is not a Unicode scalar value");
                b.appendCodePoint((int) cp);
                pos += n;
            }
            default -> {
                pos--;
                throw fail("invalid escape \\" + (c == -1 ? "" : Character.toString(c))
                        + " (allowed: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)");
            }
        }
    }

    private void checkDepth(int depth) throws TomlException {
        if (depth > MAX_DEPTH) throw fail("nested deeper than " + MAX_DEPTH + " levels");
    }

    private int peek() {
        return pos < s.length() ? s.charAt(pos) : -1;
    }

    private void skipSpaces() {
        while (peek() == ' ' || peek() == '\t') pos++;
    }

    /** Consumes a line break (LF or CRLF) if there is one. */
    private boolean newline() {
        int n = s.startsWith("\n", pos) ? 1 : s.startsWith("\r\n", pos) ? 2 : 0;
        pos += n;
        if (n > 0) line++;
        return n > 0;
    }

    /** Spaces, comments and line breaks (in arrays). */
    private void skipBlank() throws TomlException {
        while (true) {
            skipSpaces();
            if (peek() == '#') comment();
            if (!newline()) return;
        }
    }

    private void comment() throws TomlException {
        for (pos++; pos < s.length() && s.charAt(pos) != '\n' && !s.startsWith("\r\n", pos); pos++) {
            char c = s.charAt(pos);
            if (c < 0x20 && c != '\t' || c == 0x7F) throw fail("control character " + String.format("U+%04X", (int) c) + " in a comment");
        }
    }

    private void endOfLine(String after) throws TomlException {
        skipSpaces();
        if (peek() == '#') comment();
        if (peek() != -1 && !newline()) {
            throw fail(peek() == '\r' ? "a carriage return must be followed by a line feed"
                    : "expected the end of the line" + (after.isEmpty() ? "" : " " + after) + ", found " + found());
        }
    }

    private TomlException fail(String message) {
        return new TomlException(line, message);
    }

    private String found() {
        int c = peek();
        if (c == -1) return "the end of the file";
        if (c == '\n' || c == '\r') return "the end of the line";
        return c < 0x20 || c == 0x7F ? String.format("U+%04X", c) : "'" + Character.toString(c) + "'";
    }

    private static String describe(JsonNode n, Kind kind) {
        if (kind == Kind.TABLES) return "an array of tables";
        if (kind == Kind.DOTTED) return "a table defined by dotted keys";
        if (kind != null) return "a table defined by a [table] header";
        return n.isObject() ? "an inline table" : n.isArray() ? "an array" : "a value";
    }

    private static boolean isBare(char c) {
        return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-';
    }

    private static boolean isScalar(char c) {
        return isBare(c) || c == '+' || c == '.' || c == ':';
    }

    /** A key as it would be written in TOML, for messages. */
    private static String name(List<String> key) {
        StringBuilder b = new StringBuilder();
        for (String k : key) b.append(b.length() > 0 ? "." : "").append(key(k));
        return b.toString();
    }

    // ---------------------------------------------------------------- writing

    /**
     * The table as TOML, as TomlMapper writes a flat table: {@code key = value} lines, strings as
     * 'literal' strings where they can be, else "basic" strings with escapes; keys quoted the same
     * way when not bare. Objects among the values are written as {@code [name]} sections after the
     * other keys, objects deeper down as inline tables. Null is written as '' (TOML has no null),
     * lone surrogates as U+FFFD.
     */
    public static String write(ObjectNode table) {
        StringBuilder b = new StringBuilder();
        List<Map.Entry<String, JsonNode>> sections = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = table.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isObject()) sections.add(e);
            else writeMember(b, e);
        }
        for (Map.Entry<String, JsonNode> section : sections) {
            b.append(b.length() > 0 ? "\n" : "").append('[').append(key(section.getKey())).append("]\n");
            for (Iterator<Map.Entry<String, JsonNode>> it = section.getValue().fields(); it.hasNext();) writeMember(b, it.next());
        }
        return b.toString();
    }

    private static void writeMember(StringBuilder b, Map.Entry<String, JsonNode> e) {
        b.append(key(e.getKey())).append(" = ");
        writeValue(b, e.getValue());
        b.append('\n');
    }

    private static void writeValue(StringBuilder b, JsonNode v) {
        if (v instanceof TextNode t) {
            b.append(quote(t.value));
        } else if (v instanceof NumberNode n && n.value instanceof Double d) {
            b.append(d.isNaN() ? "nan" : d.isInfinite() ? (d > 0 ? "inf" : "-inf") : d.toString());
        } else if (v instanceof NumberNode || v instanceof BooleanNode) {
            b.append(v.asText());
        } else if (v instanceof ArrayNode a) {
            b.append('[');
            for (int i = 0; i < a.size(); i++) {
                if (i > 0) b.append(", ");
                writeValue(b, a.get(i));
            }
            b.append(']');
        } else if (v instanceof ObjectNode o) {
            b.append('{');
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                b.append(key(e.getKey())).append(" = ");
                writeValue(b, e.getValue());
                if (it.hasNext()) b.append(", ");
            }
            b.append('}');
        } else {
            b.append("''");
        }
    }

    private static String key(String k) {
        return BARE_KEY.matcher(k).matches() ? k : quote(k);
    }

    /**
     * As TomlMapper: 'literal' if it can be (no ' and no control character but tab), else "basic",
     * with escapes (a tab too) if it has a " a \ or a control character.
     */
    private static String quote(String value) {
        String v = value.replaceAll("[\\uD800-\\uDFFF]", "\uFFFD"); // Java's regex sees a pair as one code point
        if (v.matches("[^'\\x00-\\x08\\x0A-\\x1F\\x7F]*")) return "'" + v + "'";
        if (v.matches("[^\"\\\\\\x00-\\x08\\x0A-\\x1F\\x7F]*")) return '"' + v + '"';
        StringBuilder b = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\b' -> b.append("\\b");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\f' -> b.append("\\f");
                default -> b.append(c < 0x20 || c == 0x7F ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return b.append('"').toString();
    }
}
