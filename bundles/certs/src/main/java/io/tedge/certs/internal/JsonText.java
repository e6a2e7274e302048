package io.tedge.certs.internal;

/**
 * Just enough JSON for the Cumulocity calls: quote a string, and read one string field of the
 * top-level object of a response. Nested values are skipped, not interpreted.
 */
public final class JsonText {
    private final String s;
    private int i;

    private JsonText(String s) {
        this.s = s;
    }

    /** A JSON string literal, quotes included. */
    public static String quote(String v) {
        StringBuilder sb = new StringBuilder(v.length() + 16).append('"');
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    /**
     * The value of a string field of the top-level object, or null when the text is not a JSON
     * object, the field is missing, or its value is not a string.
     */
    public static String stringField(String json, String field) {
        if (json == null) return null;
        try {
            return new JsonText(json).find(field);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return null;
        }
    }

    private String find(String field) {
        ws();
        expect('{');
        ws();
        if (peek() == '}') return null;
        while (true) {
            ws();
            String key = string();
            ws();
            expect(':');
            ws();
            if (key.equals(field)) return peek() == '"' ? string() : null;
            skipValue();
            ws();
            char c = s.charAt(i++);
            if (c == '}') return null;
            if (c != ',') throw new IllegalArgumentException("expected ','");
        }
    }

    private char peek() {
        return s.charAt(i);
    }

    private void expect(char c) {
        if (s.charAt(i++) != c) throw new IllegalArgumentException("expected " + c);
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private String string() {
        expect('"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            char c = s.charAt(i++);
            if (c == '"') return sb.toString();
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> sb.append(e);
            }
        }
    }

    private void skipValue() {
        char c = peek();
        if (c == '"') {
            string();
        } else if (c == '{' || c == '[') {
            int depth = 0;
            do {
                char d = peek();
                if (d == '"') {
                    string();
                    continue;
                }
                if (d == '{' || d == '[') depth++;
                else if (d == '}' || d == ']') depth--;
                i++;
            } while (depth > 0);
        } else {
            while (i < s.length() && ",}] \t\r\n".indexOf(s.charAt(i)) < 0) i++;
        }
    }
}
