package io.tedge.mapper.internal.collectd;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One value of a collectd MQTT message, as thin-edge.io 0.12's collectd mapper reads it: topic
 * {@code collectd/<host>/<group>/<key>}, payload {@code <epoch[.fraction]>:<value>[:<value>...]}
 * (one trailing NUL byte trimmed); several values become the keys {@code <key>_val1},
 * {@code <key>_val2}, ...
 *
 * @param group      the metric group (collectd's plugin), the measurement group
 * @param key        the metric key
 * @param value      the value
 * @param epochNanos the collectd time, nanoseconds since the epoch (as upstream computes it:
 *                   the whole seconds plus the fraction times 1e9, truncated)
 * @param position   the journal position of the message, or -1 (QoS 0)
 */
record CollectdMessage(String group, String key, double value, long epochNanos, long position) {

    /** A message that cannot be read; the text is upstream's. */
    static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message);
        }
    }

    /** What Rust's {@code f64::from_str} accepts (no spaces, no hex, no type suffix). */
    private static final Pattern FLOAT = Pattern.compile("[+-]?(?:(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?|(?i:inf|infinity|nan))");

    static List<CollectdMessage> parse(String topic, byte[] payload, long position) throws Invalid {
        String[] levels = topic.split("/", -1);
        if (levels.length != 4) {
            throw new Invalid("Message received on invalid collectd topic: " + topic
                    + ". Collectd message topics must be in the format collectd/<hostname>/<metric-plugin-name>/<metric-key>");
        }
        int length = payload.length > 0 && payload[payload.length - 1] == 0 ? payload.length - 1 : payload.length;
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(payload, 0, length)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new Invalid("Non UTF-8 payload: " + bytes(payload, length));
        }
        String[] parts = text.split(":", -1);
        if (parts.length <= 1) throw invalidPayload(topic, "Invalid payload: " + text + ". Expected payload format: <timestamp>:<value>");
        double ts = number(parts[0]);
        if (Double.isNaN(ts) || Double.isInfinite(ts)) {
            throw invalidPayload(topic, "Invalid measurement timestamp: " + parts[0] + ". Epoch time value expected");
        }
        long seconds = (long) ts;
        long nanos = Math.max(0, (long) ((ts - (double) seconds) * 1.0e9));
        long epochNanos = seconds * 1_000_000_000L + nanos;
        List<CollectdMessage> out = new ArrayList<>(parts.length - 1);
        for (int i = 1; i < parts.length; i++) {
            double v = number(parts[i]);
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                throw invalidPayload(topic, "Invalid measurement value: " + parts[i] + ". Must be a number");
            }
            String key = parts.length > 2 ? levels[3] + "_val" + i : levels[3];
            out.add(new CollectdMessage(levels[2], key, v, epochNanos, position));
        }
        return out;
    }

    /** A number as Rust parses an f64; NaN when it is not one. */
    private static double number(String s) {
        if (!FLOAT.matcher(s).matches()) return Double.NaN;
        String lower = s.toLowerCase(java.util.Locale.ROOT);
        if (lower.endsWith("inf") || lower.endsWith("infinity")) return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        if (lower.endsWith("nan")) return Double.NaN;
        return Double.parseDouble(s);
    }

    private static Invalid invalidPayload(String topic, String error) {
        return new Invalid("Invalid payload received on topic: " + topic + ". Error: " + error);
    }

    /** Rust's debug form of a byte vector: {@code [49, 50, 255]}. */
    private static String bytes(byte[] payload, int length) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(payload[i] & 0xff);
        }
        return sb.append(']').toString();
    }

    /**
     * A finite double as serde_json writes it (Rust's ryu): the shortest digits that read back
     * as the same double; {@code 50.0}, {@code 32.5}, {@code 0.001}, {@code 1e30},
     * {@code 3.402823669209385e38}, {@code 1.5e-7}.
     */
    static String json(double v) {
        if (v == 0) return (1 / v < 0) ? "-0.0" : "0.0";
        BigDecimal exact = new BigDecimal(v);
        BigDecimal shortest = exact;
        for (int p = 1; p <= 17; p++) {
            BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            if (r.doubleValue() == v) {
                shortest = r;
                break;
            }
        }
        String digits = shortest.unscaledValue().abs().toString();
        int trailing = 0;
        while (digits.length() - trailing > 1 && digits.charAt(digits.length() - 1 - trailing) == '0') trailing++;
        digits = digits.substring(0, digits.length() - trailing);
        int length = digits.length();
        // value = digits * 10^k
        int k = -shortest.scale() + trailing;
        int kk = length + k; // the position of the decimal point
        StringBuilder sb = new StringBuilder();
        if (v < 0) sb.append('-');
        if (k >= 0 && kk <= 16) {
            sb.append(digits);
            for (int i = 0; i < k; i++) sb.append('0');
            sb.append(".0");
        } else if (kk > 0 && kk <= 16) {
            sb.append(digits, 0, kk).append('.').append(digits, kk, length);
        } else if (kk > -5 && kk <= 0) {
            sb.append("0.");
            for (int i = kk; i < 0; i++) sb.append('0');
            sb.append(digits);
        } else if (length == 1) {
            sb.append(digits).append('e').append(kk - 1);
        } else {
            sb.append(digits.charAt(0)).append('.').append(digits, 1, length).append('e').append(kk - 1);
        }
        return sb.toString();
    }
}
