package io.tedge.c8y.internal.operations;

import java.util.ArrayList;
import java.util.List;

/**
 * SmartREST text as thin-edge.io 0.12's mapper reads and writes it for operations.
 *
 * <ul>
 * <li>{@link #lines}: a {@code c8y/s/ds} payload split on {@code \n}, except inside double quotes
 * (a quoted field may hold a line break).</li>
 * <li>{@link #fields}: one line as CSV: fields split on commas outside double quotes, quotes
 * removed, {@code ""} inside quotes is one quote.</li>
 * <li>{@link #quoted}: a field in double quotes with inner quotes doubled, for the texts of
 * {@code 502} and {@code 503} (thin-edge.io doubles them in a command's output and leaves them
 * as they are in a failure reason, which breaks the line: here both are doubled).</li>
 * </ul>
 */
public final class SmartRestLines {
    private SmartRestLines() {
    }

    public static List<String> lines(String payload) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inQuotes = false;
        for (int i = 0; i < payload.length(); i++) {
            char c = payload.charAt(i);
            if (c == '"') inQuotes = !inQuotes;
            if (c == '\n' && !inQuotes) {
                if (!cur.toString().isBlank()) out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (!cur.toString().isBlank()) out.add(cur.toString());
        return out;
    }

    public static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inQuotes = false;
        String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        for (int i = 0; i < l.length(); i++) {
            char c = l.charAt(i);
            if (inQuotes) {
                if (c == '"' && i + 1 < l.length() && l.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    inQuotes = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                inQuotes = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    /** {@code "text"} with inner quotes doubled. */
    public static String quoted(String text) {
        return '"' + text.replace("\"", "\"\"") + '"';
    }

    /**
     * A command's output as thin-edge.io hands it to Cumulocity (its {@code sanitize_for_smartrest}):
     * control characters other than CR, LF and TAB dropped, {@code "} doubled, then cut to
     * {@code maxBytes} of UTF-8 (never inside a character or between the two quotes of a pair).
     * The caller puts the result in double quotes.
     */
    public static String sanitize(String text, int maxBytes) {
        StringBuilder sb = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isISOControl(cp) && cp != '\r' && cp != '\n' && cp != '\t') continue;
            String s = cp == '"' ? "\"\"" : new String(Character.toChars(cp));
            int n = s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (bytes + n > maxBytes) break;
            bytes += n;
            sb.append(s);
        }
        return sb.toString();
    }
}
