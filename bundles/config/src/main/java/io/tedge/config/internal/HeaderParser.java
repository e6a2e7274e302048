package io.tedge.config.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses OSGi manifest headers such as {@code Provide-Capability}: comma separated clauses of
 * {@code name;attr=value;attr:Type=value;directive:=value}, values optionally in double quotes
 * with backslash escapes.
 */
public final class HeaderParser {
    private HeaderParser() {
    }

    public record Clause(String name, Map<String, Object> attributes, Map<String, String> directives) {
    }

    public static List<Clause> parse(String header) {
        List<Clause> out = new ArrayList<>();
        int[] pos = {0};
        int n = header.length();
        while (pos[0] < n) {
            String name = token(header, pos, ";,").trim();
            Map<String, Object> attrs = new LinkedHashMap<>();
            Map<String, String> dirs = new LinkedHashMap<>();
            while (pos[0] < n && header.charAt(pos[0]) == ';') {
                pos[0]++;
                String k = token(header, pos, ":=;,").trim();
                boolean directive = false;
                if (pos[0] < n && header.charAt(pos[0]) == ':') {
                    pos[0]++;
                    if (pos[0] < n && header.charAt(pos[0]) == '=') {
                        directive = true;
                    } else {
                        token(header, pos, "=;,"); // attribute type, e.g. :List<String>; values kept as text
                    }
                }
                if (pos[0] < n && header.charAt(pos[0]) == '=') {
                    pos[0]++;
                    String v = value(header, pos);
                    if (directive) dirs.put(k, v);
                    else attrs.put(k, v);
                }
            }
            if (!name.isEmpty()) out.add(new Clause(name, attrs, dirs));
            if (pos[0] < n && header.charAt(pos[0]) == ',') pos[0]++;
        }
        return out;
    }

    private static String token(String s, int[] pos, String stops) {
        int start = pos[0];
        while (pos[0] < s.length() && stops.indexOf(s.charAt(pos[0])) < 0) pos[0]++;
        return s.substring(start, pos[0]);
    }

    private static String value(String s, int[] pos) {
        while (pos[0] < s.length() && Character.isWhitespace(s.charAt(pos[0]))) pos[0]++;
        if (pos[0] < s.length() && s.charAt(pos[0]) == '"') {
            pos[0]++;
            StringBuilder sb = new StringBuilder();
            while (pos[0] < s.length()) {
                char c = s.charAt(pos[0]++);
                if (c == '\\' && pos[0] < s.length()) {
                    sb.append(s.charAt(pos[0]++));
                } else if (c == '"') {
                    break;
                } else {
                    sb.append(c);
                }
            }
            while (pos[0] < s.length() && s.charAt(pos[0]) != ';' && s.charAt(pos[0]) != ',') pos[0]++;
            return sb.toString();
        }
        return token(s, pos, ";,").trim();
    }
}
