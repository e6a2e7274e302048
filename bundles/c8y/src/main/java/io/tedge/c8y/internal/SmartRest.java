package io.tedge.c8y.internal;

/**
 * SmartREST 2.0 CSV lines: fields joined by commas; a field holding a comma, a double quote, a
 * line break, a tab, or leading or trailing spaces is put in double quotes, an inner double quote
 * written {@code \"} (Cumulocity's rule).
 */
final class SmartRest {
    private SmartRest() {
    }

    /** The fields as one CSV line, without a line end. */
    static String line(String... fields) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fields.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(field(fields[i]));
        }
        return sb.toString();
    }

    /**
     * A field always in double quotes, an inner double quote doubled: how thin-edge.io 0.12
     * writes the text of alarms and events and the fields of service monitoring (it quotes
     * always; the doubling is its {@code sanitize_for_smartrest} and plain CSV).
     */
    static String quoted(String value) {
        return '"' + value.replace("\"", "\"\"") + '"';
    }

    static String field(String value) {
        boolean quote = !value.isEmpty() && (Character.isWhitespace(value.charAt(0))
                || Character.isWhitespace(value.charAt(value.length() - 1)));
        for (int i = 0; i < value.length() && !quote; i++) {
            char c = value.charAt(i);
            quote = c == ',' || c == '"' || c == '\n' || c == '\r' || c == '\t';
        }
        return quote ? '"' + value.replace("\"", "\\\"") + '"' : value;
    }
}
