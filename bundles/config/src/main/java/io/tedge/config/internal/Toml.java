package io.tedge.config.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small TOML reader and writer for tedge.toml: tables, dotted table headers, bare and quoted
 * keys, strings (basic and literal), integers, floats, booleans and arrays. Enough for every
 * tedge.toml thin-edge.io writes, and strict: anything else is an error with its line.
 */
public final class Toml {

    /** A value with the line it came from (0 for values set in code). */
    public record Value(Object value, int line) {
        public String asText() {
            Object v = value;
            if (v instanceof List<?> l) {
                StringBuilder sb = new StringBuilder();
                for (Object o : l) {
                    if (sb.length() > 0) sb.append(',');
                    sb.append(o);
                }
                return sb.toString();
            }
            return String.valueOf(v);
        }
    }

    /** Document: table name ("" for the root) to ordered key/value pairs. */
    public static final class Document {
        private final Map<String, Map<String, Value>> tables = new LinkedHashMap<>();

        public Map<String, Map<String, Value>> tables() {
            return tables;
        }

        public Value get(String table, String key) {
            Map<String, Value> t = tables.get(table);
            return t == null ? null : t.get(key);
        }

        public void put(String table, String key, Value v) {
            tables.computeIfAbsent(table, k -> new LinkedHashMap<>()).put(key, v);
        }

        public Value remove(String table, String key) {
            Map<String, Value> t = tables.get(table);
            if (t == null) return null;
            Value v = t.remove(key);
            if (t.isEmpty()) tables.remove(table);
            return v;
        }
    }

    /** Parse error with a line and column. */
    public static final class TomlException extends Exception {
        private static final long serialVersionUID = 1L;

        public TomlException(String message) {
            super(message);
        }
    }

    private final String s;
    private int pos;
    private int line = 1;

    private Toml(String s) {
        this.s = s;
    }

    public static Document parse(String text) throws TomlException {
        return new Toml(text).document();
    }

    private TomlException error(String what) {
        int col = 1;
        for (int i = pos - 1; i >= 0 && s.charAt(i) != '\n'; i--) col++;
        return new TomlException(what + " at line " + line + " column " + col);
    }

    private Document document() throws TomlException {
        Document doc = new Document();
        String table = "";
        while (true) {
            skipWsAndComments(true);
            if (pos >= s.length()) return doc;
            char c = s.charAt(pos);
            if (c == '[') {
                pos++;
                if (peek() == '[') throw error("arrays of tables ([[...]]) are not supported in tedge.toml");
                skipWs();
                List<String> parts = keyPath();
                skipWs();
                expect(']');
                table = String.join(".", parts);
                if (doc.tables().containsKey(table) && !doc.tables().get(table).isEmpty()) {
                    throw error("duplicate table [" + table + "]");
                }
                doc.tables().computeIfAbsent(table, k -> new LinkedHashMap<>());
                endOfLine();
            } else {
                List<String> parts = keyPath();
                skipWs();
                expect('=');
                skipWs();
                int valueLine = line;
                Object v = value();
                String t = table;
                for (int i = 0; i < parts.size() - 1; i++) t = t.isEmpty() ? parts.get(i) : t + "." + parts.get(i);
                String key = parts.get(parts.size() - 1);
                if (doc.get(t, key) != null) throw error("duplicate key `" + key + "`");
                doc.put(t, key, new Value(v, valueLine));
                endOfLine();
            }
        }
    }

    private char peek() {
        return pos < s.length() ? s.charAt(pos) : '\0';
    }

    private void expect(char c) throws TomlException {
        if (peek() != c) throw error("expected '" + c + "'" + (pos < s.length() ? ", found " + shown(s.charAt(pos)) : ", found end of file"));
        pos++;
    }

    private void skipWs() {
        while (pos < s.length() && (s.charAt(pos) == ' ' || s.charAt(pos) == '\t')) pos++;
    }

    private void skipWsAndComments(boolean newlines) {
        while (pos < s.length()) {
            char c = s.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\r') {
                pos++;
            } else if (c == '\n' && newlines) {
                pos++;
                line++;
            } else if (c == '#') {
                while (pos < s.length() && s.charAt(pos) != '\n') pos++;
            } else {
                return;
            }
        }
    }

    private void endOfLine() throws TomlException {
        skipWs();
        if (peek() == '#') {
            while (pos < s.length() && s.charAt(pos) != '\n') pos++;
        }
        if (peek() == '\r') pos++;
        if (pos < s.length()) {
            if (s.charAt(pos) != '\n') throw error("expected a new line after the value, found " + shown(s.charAt(pos)));
            pos++;
            line++;
        }
    }

    private List<String> keyPath() throws TomlException {
        List<String> parts = new ArrayList<>();
        while (true) {
            skipWs();
            parts.add(key());
            skipWs();
            if (peek() == '.') {
                pos++;
            } else {
                return parts;
            }
        }
    }

    private String key() throws TomlException {
        char c = peek();
        if (c == '"') return basicString();
        if (c == '\'') return literalString();
        int start = pos;
        while (pos < s.length()) {
            char k = s.charAt(pos);
            if (Character.isLetterOrDigit(k) && k < 128 || k == '_' || k == '-') pos++;
            else break;
        }
        if (start == pos) throw error(pos < s.length() ? "invalid key character '" + s.charAt(pos) + "'" : "expected a key");
        return s.substring(start, pos);
    }

    private Object value() throws TomlException {
        char c = peek();
        switch (c) {
            case '"':
                if (s.startsWith("\"\"\"", pos)) throw error("multi-line strings are not supported in tedge.toml");
                return basicString();
            case '\'':
                return literalString();
            case '[':
                return array();
            case 't':
                if (s.startsWith("true", pos)) {
                    pos += 4;
                    return Boolean.TRUE;
                }
                break;
            case 'f':
                if (s.startsWith("false", pos)) {
                    pos += 5;
                    return Boolean.FALSE;
                }
                break;
            default:
                break;
        }
        int start = pos;
        while (pos < s.length() && "+-0123456789_.eExXabcdefABCDEFoOinf".indexOf(s.charAt(pos)) >= 0) pos++;
        String num = s.substring(start, pos).replace("_", "");
        if (num.isEmpty()) throw error("expected a value");
        try {
            if (num.matches("[+-]?\\d+")) return Long.parseLong(num);
            if (num.startsWith("0x")) return Long.parseLong(num.substring(2), 16);
            if (num.matches("[+-]?(\\d+)(\\.\\d+)?([eE][+-]?\\d+)?")) return Double.parseDouble(num);
        } catch (NumberFormatException e) {
            // fall through
        }
        pos = start;
        throw error("invalid value `" + num + "`");
    }

    private List<Object> array() throws TomlException {
        expect('[');
        List<Object> out = new ArrayList<>();
        while (true) {
            skipWsAndComments(true);
            if (peek() == ']') {
                pos++;
                return out;
            }
            out.add(value());
            skipWsAndComments(true);
            if (peek() == ',') {
                pos++;
            } else if (peek() == ']') {
                pos++;
                return out;
            } else {
                throw error("expected ',' or ']' in array");
            }
        }
    }

    private String literalString() throws TomlException {
        expect('\'');
        int start = pos;
        while (pos < s.length() && s.charAt(pos) != '\'' && s.charAt(pos) != '\n') pos++;
        if (peek() != '\'') throw error("unterminated string");
        String v = s.substring(start, pos);
        pos++;
        return v;
    }

    private String basicString() throws TomlException {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= s.length() || s.charAt(pos) == '\n') throw error("unterminated string");
            char c = s.charAt(pos++);
            if (c == '"') return sb.toString();
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= s.length()) throw error("unterminated string");
            char e = s.charAt(pos++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case 'u', 'U' -> {
                    int n = e == 'u' ? 4 : 8;
                    if (pos + n > s.length()) throw error("invalid unicode escape");
                    try {
                        sb.appendCodePoint(Integer.parseInt(s.substring(pos, pos + n), 16));
                    } catch (IllegalArgumentException ex) {
                        throw error("invalid unicode escape");
                    }
                    pos += n;
                }
                default -> throw error("invalid escape '\\" + e + "'");
            }
        }
    }

    // ---------------------------------------------------------------- writing

    /** Renders the document: root keys first, then one [table] per table, in order. */
    public static String write(Document doc) {
        StringBuilder sb = new StringBuilder();
        Map<String, Value> root = doc.tables().get("");
        if (root != null) {
            for (Map.Entry<String, Value> e : root.entrySet()) line(sb, e.getKey(), e.getValue().value());
        }
        for (Map.Entry<String, Map<String, Value>> t : doc.tables().entrySet()) {
            if (t.getKey().isEmpty() || t.getValue().isEmpty()) continue;
            if (sb.length() > 0) sb.append('\n');
            sb.append('[').append(tableName(t.getKey())).append("]\n");
            for (Map.Entry<String, Value> e : t.getValue().entrySet()) line(sb, e.getKey(), e.getValue().value());
        }
        return sb.toString();
    }

    private static void line(StringBuilder sb, String key, Object v) {
        sb.append(keyText(key)).append(" = ").append(render(v)).append('\n');
    }

    private static String keyText(String key) {
        return key.matches("[A-Za-z0-9_-]+") ? key : quote(key);
    }

    /** A dotted table name with each segment bare or quoted, as the parser reads it back. */
    private static String tableName(String table) {
        StringBuilder sb = new StringBuilder();
        for (String part : table.split("\\.", -1)) {
            if (sb.length() > 0) sb.append('.');
            sb.append(keyText(part));
        }
        return sb.toString();
    }

    private static String render(Object v) {
        if (v instanceof String str) return quote(str);
        if (v instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (Object o : l) {
                if (sb.length() > 1) sb.append(", ");
                sb.append(render(o));
            }
            return sb.append(']').toString();
        }
        return String.valueOf(v);
    }

    /** A TOML basic string literal. */
    public static String quote(String str) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < str.length(); i++) {
            char c = str.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f) sb.append(String.format(java.util.Locale.ROOT, "\\u%04X", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    /** A character for a message: quoted, a line break or other control character by its name. */
    static String shown(char c) {
        return switch (c) {
            case '\n' -> "a line break";
            case '\r' -> "a carriage return";
            case '\t' -> "a tab";
            default -> c < 0x20 ? String.format(java.util.Locale.ROOT, "character U+%04X", (int) c) : "'" + c + "'";
        };
    }
}
