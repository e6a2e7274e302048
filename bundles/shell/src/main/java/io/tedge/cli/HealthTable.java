package io.tedge.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The health table of {@code tedge status}: every service's retained health on
 * {@code tedge/health/<service>} (and {@code tedge/health/<child>/<service>}), one line each,
 * in topic order: {@code <service> <status> pid=<pid> since=<time>}.
 */
final class HealthTable {
    private static final String TOPIC = "tedge/health/";

    private HealthTable() {
    }

    /** One service's health. */
    record Health(String status, String pid, String time) {
    }

    /** Prints the table of the retained health messages, {@code [topic, payload]} each. */
    static void print(PrintStream out, List<String[]> healths) {
        if (healths.isEmpty()) {
            out.println("No service health (" + TOPIC + "<service>) published.");
            return;
        }
        out.println("Services (tedge/health):");
        int width = healths.stream().mapToInt(h -> h[0].length() - TOPIC.length()).max().orElse(10);
        for (String[] h : healths) {
            Health health = parse(h[1]);
            out.printf("  %-" + width + "s %-8s pid=%s since=%s%n", h[0].substring(TOPIC.length()), health.status(), health.pid(), health.time());
        }
    }

    /** The health JSON ({@code {"pid","status","time"}}); missing fields as {@code -}; a payload that is no JSON object as the status. */
    static Health parse(String json) {
        Map<String, Object> m = JsonText.object(json);
        if (m.isEmpty()) return new Health(json.isBlank() ? "-" : json.strip(), "-", "-");
        Object time = m.get("time");
        return new Health(JsonText.text(m, "status", "-"), JsonText.text(m, "pid", "-"),
                time instanceof Long seconds ? Instant.ofEpochSecond(seconds).toString() : JsonText.text(m, "time", "-"));
    }
}
