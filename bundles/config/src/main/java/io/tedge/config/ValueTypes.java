package io.tedge.config;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Validation and normalisation of values by type, with thin-edge.io's error texts where it has
 * them. {@link #normalize} returns the canonical text of a valid value or throws with a message
 * that says what is wrong.
 */
public final class ValueTypes {
    private ValueTypes() {
    }

    private static final Pattern HOST = Pattern.compile("(?i)[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*\\.?");
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern IPV6 = Pattern.compile("(?i)[0-9a-f:.]*:[0-9a-f:.]*");
    private static final Pattern SIZE = Pattern.compile("(?i)(\\d+)\\s*([kmg]i?b?|b)?");
    private static final Pattern DEFAULT_PORT = Pattern.compile(".*:(\\d{1,5})");

    public static String normalize(ConfigKeyDef def, String value) throws ConfigException {
        String type = def.type();
        if (type.startsWith("choice:")) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (def.choices().contains(v)) return v;
            throw new ConfigException("Invalid value '" + value + "'. Supported values are: " + String.join(", ", def.choices()));
        }
        switch (type) {
            case "string":
                return value;
            case "path":
                if (value.isBlank()) throw new ConfigException("A path cannot be empty.");
                return value;
            case "url":
                return connectUrl(value);
            case "port":
                return Integer.toString(port(value));
            case "flag":
                return Boolean.toString(flag(value));
            case "host_port":
                return hostPort(value, defaultPort(def));
            case "ip":
                return ip(value);
            case "int":
                try {
                    return Long.toString(Long.parseLong(value.trim()));
                } catch (NumberFormatException e) {
                    throw new ConfigException("Invalid integer: '" + value + "'.");
                }
            case "size":
                return sizeText(value);
            case "level":
                String l = value.trim().toLowerCase(Locale.ROOT);
                if (l.equals("error") || l.equals("warn") || l.equals("info") || l.equals("debug") || l.equals("trace")) return l;
                throw new ConfigException("Invalid log level: '" + value + "'. Supported values are: error, warn, info, debug, trace");
            case "derived":
                return value;
            default:
                throw new ConfigException("Unknown value type '" + type + "'");
        }
    }

    /** thin-edge.io's ConnectUrl: a host name, with neither scheme nor port. */
    public static String connectUrl(String value) throws ConfigException {
        String v = value.trim();
        boolean ok = !v.isEmpty() && !v.contains("://") && (HOST.matcher(v).matches() || IPV4.matcher(v).matches()
                || (v.startsWith("[") && v.endsWith("]") && IPV6.matcher(v.substring(1, v.length() - 1)).matches()));
        if (!ok) {
            throw new ConfigException("Provided URL: '" + value + "' contains scheme or port.\n"
                    + "         Provided URL should contain only domain, eg: 'subdomain.cumulocity.com'.");
        }
        return v;
    }

    public static int port(String value) throws ConfigException {
        try {
            int p = Integer.parseInt(value.trim());
            if (p >= 1 && p <= 65535) return p;
        } catch (NumberFormatException e) {
            // below
        }
        throw new ConfigException("Invalid port number: '" + value + "'.");
    }

    public static boolean flag(String value) throws ConfigException {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("true")) return true;
        if (v.equals("false")) return false;
        throw new ConfigException("Failed to parse flag: " + value + ". Supported values are: true, false");
    }

    /**
     * host[:port]; with a default port >= 0 the port is appended when absent. IPv6 hosts go in
     * brackets.
     */
    public static String hostPort(String value, int defaultPort) throws ConfigException {
        String v = value.trim();
        String host = v;
        String port = null;
        if (v.startsWith("[")) {
            int end = v.indexOf(']');
            if (end < 0) throw new ConfigException("Invalid host:port '" + value + "': missing ']' after the IPv6 address.");
            host = v.substring(0, end + 1);
            if (end + 1 < v.length()) {
                if (v.charAt(end + 1) != ':') throw new ConfigException("Invalid host:port '" + value + "'.");
                port = v.substring(end + 2);
            }
        } else {
            int c = v.lastIndexOf(':');
            if (c >= 0) {
                host = v.substring(0, c);
                port = v.substring(c + 1);
            }
        }
        if (host.isEmpty() || host.contains("://") || host.contains("/")
                || !(HOST.matcher(host).matches() || IPV4.matcher(host).matches() || host.startsWith("["))) {
            throw new ConfigException("Invalid host:port '" + value + "': expected a host name or IP address with an optional port, eg: 'example.com:8883'.");
        }
        if (port != null) {
            try {
                return host + ":" + port(port);
            } catch (ConfigException e) {
                throw new ConfigException("Invalid host:port '" + value + "': " + e.getMessage());
            }
        }
        return defaultPort >= 0 ? host + ":" + defaultPort : host;
    }

    /** The port that ends a host_port key's default ({@code ${c8y.url}:8883} gives 8883), else -1. */
    static int defaultPort(ConfigKeyDef def) {
        String d = def.defaultValue();
        var m = d == null ? null : DEFAULT_PORT.matcher(d);
        return m != null && m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    public static String ip(String value) throws ConfigException {
        String v = value.trim();
        if (IPV4.matcher(v).matches() || (IPV6.matcher(v).matches() && v.length() >= 2)) return v;
        throw new ConfigException("Invalid IP address: '" + value + "'. Expected an IPv4 or IPv6 address, eg: '127.0.0.1'.");
    }

    /**
     * A valid size as the user wrote it ({@code 128M} stays {@code 128M}, not 134217728), spaces
     * removed; {@link #size} gives its bytes.
     */
    public static String sizeText(String value) throws ConfigException {
        size(value);
        return value.trim().replaceAll("\\s+", "");
    }

    /** Bytes, with an optional k, M or G suffix (powers of 1024). */
    public static long size(String value) throws ConfigException {
        var m = SIZE.matcher(value.trim());
        if (m.matches()) {
            try {
                long n = Long.parseLong(m.group(1));
                String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
                if (unit.startsWith("k")) n = Math.multiplyExact(n, 1024L);
                else if (unit.startsWith("m")) n = Math.multiplyExact(n, 1024L * 1024);
                else if (unit.startsWith("g")) n = Math.multiplyExact(n, 1024L * 1024 * 1024);
                if (n > 0) return n;
            } catch (NumberFormatException | ArithmeticException e) {
                // too large: below
            }
        }
        throw new ConfigException("Invalid size: '" + value + "'. Expected a number of bytes with an optional unit, eg: 64M or 512k.");
    }
}
