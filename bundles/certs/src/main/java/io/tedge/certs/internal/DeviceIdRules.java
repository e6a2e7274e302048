package io.tedge.certs.internal;

import java.nio.charset.StandardCharsets;

/** thin-edge.io's device id rules (0.2.2 and later): 1 to 64 characters of a small set. */
public final class DeviceIdRules {
    public static final int MAX_CN_SIZE = 64;
    private static final String SPECIAL = "'=(),-.?_*@!%";

    private DeviceIdRules() {
    }

    /** Null when the id is valid, else thin-edge.io's error text. */
    public static String check(String id) {
        if (id == null || id.isEmpty()) return "The empty string cannot be used as a name";
        // thin-edge.io counts UTF-8 bytes (Rust's str::len)
        if (id.getBytes(StandardCharsets.UTF_8).length > MAX_CN_SIZE) {
            return "The string '" + rustDebug(id) + "' is more than " + MAX_CN_SIZE + " characters long and cannot be used as a name";
        }
        for (int i = 0; i < id.length(); i++) {
            if (!allowed(id.charAt(i))) {
                return "The string '" + rustDebug(id)
                        + "' contains characters which cannot be used in a name [use only A-Z, a-z, 0-9, ' = ( ) , - . ? % * _ ! @]";
            }
        }
        return null;
    }

    public static boolean allowed(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || SPECIAL.indexOf(c) >= 0;
    }

    /** A string as Rust's {@code {:?}} prints it: in double quotes, with escapes. */
    static String rustDebug(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        s.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case 0 -> sb.append("\\0");
                default -> {
                    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) sb.append("\\u{").append(Integer.toHexString(cp)).append('}');
                    else sb.appendCodePoint(cp);
                }
            }
        });
        return sb.append('"').toString();
    }
}
