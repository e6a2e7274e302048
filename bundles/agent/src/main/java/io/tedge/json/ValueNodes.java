package io.tedge.json;

import java.math.BigInteger;
import java.util.Objects;

/** The value nodes: text, number, boolean, null and missing. */
final class ValueNodes {
    private ValueNodes() {
    }

    /**
     * Text as an int, as Jackson's {@code asInt} reads it: digits (with a sign) as an int, or
     * {@code def} when they overflow; other text as a double cut to an int, or {@code def}.
     */
    static int parseInt(String s, int def) {
        String t = s.trim();
        if (!allDigits(t)) {
            try {
                return (int) Double.parseDouble(t);
            } catch (NumberFormatException e) {
                return def;
            }
        }
        try {
            return Integer.parseInt(t.startsWith("+") ? t.substring(1) : t);
        } catch (NumberFormatException e) {
            return def;
        }
    }

    /** Text as a long, as Jackson's {@code asLong} reads it (see {@link #parseInt}). */
    static long parseLong(String s, long def) {
        String t = s.trim();
        if (!allDigits(t)) {
            try {
                return (long) Double.parseDouble(t);
            } catch (NumberFormatException e) {
                return def;
            }
        }
        try {
            return Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
        } catch (NumberFormatException e) {
            return def;
        }
    }

    /** Digits only after an optional sign (also for "", "+" and "-": those are not numbers either way). */
    private static boolean allDigits(String t) {
        for (int i = t.startsWith("+") || t.startsWith("-") ? 1 : 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') return false;
        }
        return true;
    }
}

final class TextNode extends JsonNode {
    final String value;

    TextNode(String value) {
        this.value = Objects.requireNonNull(value);
    }

    @Override
    public String asText() {
        return value;
    }

    @Override
    public String asText(String def) {
        return value;
    }

    @Override
    public String textValue() {
        return value;
    }

    @Override
    public int asInt(int def) {
        return ValueNodes.parseInt(value, def);
    }

    @Override
    public long asLong(long def) {
        return ValueNodes.parseLong(value, def);
    }

    @Override
    public double asDouble() {
        try {
            return Double.parseDouble(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public boolean asBoolean(boolean def) {
        String t = value.trim();
        if (t.equals("true")) return true;
        if (t.equals("false")) return false;
        return def;
    }

    @Override
    public boolean isTextual() {
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TextNode t && t.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}

/** A number: an Integer, Long or BigInteger (integral) or a Double, as read or put. */
final class NumberNode extends JsonNode {
    final Number value;

    NumberNode(Number value) {
        this.value = Objects.requireNonNull(value);
    }

    @Override
    public String asText() {
        return value.toString();
    }

    @Override
    public String asText(String def) {
        return asText();
    }

    @Override
    public int asInt(int def) {
        return value.intValue();
    }

    @Override
    public long asLong(long def) {
        return value.longValue();
    }

    @Override
    public double asDouble() {
        return value.doubleValue();
    }

    @Override
    public boolean asBoolean(boolean def) {
        if (value instanceof BigInteger b) return b.signum() != 0;
        return isIntegralNumber() ? value.longValue() != 0 : def;
    }

    @Override
    public int intValue() {
        return value.intValue();
    }

    @Override
    public long longValue() {
        return value.longValue();
    }

    @Override
    public double doubleValue() {
        return value.doubleValue();
    }

    @Override
    public boolean isNumber() {
        return true;
    }

    @Override
    public boolean isIntegralNumber() {
        return !(value instanceof Double);
    }

    @Override
    public boolean canConvertToLong() {
        if (value instanceof BigInteger b) return b.bitLength() < 64;
        if (value instanceof Double d) return d >= Long.MIN_VALUE && d <= Long.MAX_VALUE;
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NumberNode n && n.value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }
}

final class BooleanNode extends JsonNode {
    static final BooleanNode TRUE = new BooleanNode(true), FALSE = new BooleanNode(false);
    final boolean value;

    private BooleanNode(boolean value) {
        this.value = value;
    }

    static BooleanNode of(boolean b) {
        return b ? TRUE : FALSE;
    }

    @Override
    public String asText() {
        return value ? "true" : "false";
    }

    @Override
    public String asText(String def) {
        return asText();
    }

    @Override
    public int asInt(int def) {
        return value ? 1 : 0;
    }

    @Override
    public long asLong(long def) {
        return value ? 1 : 0;
    }

    @Override
    public double asDouble() {
        return value ? 1 : 0;
    }

    @Override
    public boolean asBoolean(boolean def) {
        return value;
    }

    @Override
    public boolean isBoolean() {
        return true;
    }
}

final class NullNode extends JsonNode {
    static final NullNode INSTANCE = new NullNode();

    private NullNode() {
    }

    @Override
    public String asText() {
        return "null";
    }

    @Override
    public String asText(String def) {
        return def;
    }

    @Override
    public boolean isNull() {
        return true;
    }
}

final class MissingNode extends JsonNode {
    static final MissingNode INSTANCE = new MissingNode();

    private MissingNode() {
    }

    @Override
    public boolean isMissingNode() {
        return true;
    }

    @Override
    public String asText(String def) {
        return def;
    }

    @Override
    public String toString() {
        return "";
    }
}
