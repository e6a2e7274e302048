package io.tedge.c8y.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import io.tedge.api.Bus;
import io.tedge.api.BusMessage;
import io.tedge.mapper.thinedge.Retained;

/**
 * Service health to Cumulocity service monitoring, as thin-edge.io 0.12's c8y mapper does:
 * {@code tedge/health/<service>} → {@code 102,<device>_<service>,"<type>",<service>,"<status>"}
 * on {@code c8y/s/us}; {@code tedge/health/<child>/<service>} → {@code 102,<device>_<child>_<service>,...}
 * on {@code c8y/s/us/<child>} (the child registered first). The payload's {@code status}
 * ({@code unknown} when missing, empty or unreadable) and {@code type} (default
 * {@code thin-edge.io}) are written in double quotes, control characters removed, an inner
 * double quote doubled. A service whose name contains {@code bridge} (the cloud links) is not
 * reported. {@link #reconcile} reports every service whose health is retained.
 */
final class HealthTranslator {
    static final String TOPIC = "tedge/health/";
    static final List<String> INPUTS = List.of(TOPIC + "+", TOPIC + "+/+");
    static final String DEFAULT_TYPE = "thin-edge.io";
    /** thin-edge.io's limit for a sanitized SmartREST field. */
    static final int MAX_FIELD = 16000;

    private final Children children;
    private volatile String deviceId;

    HealthTranslator(Children children, String deviceId) {
        this.children = children;
        this.deviceId = deviceId;
    }

    void deviceId(String id) {
        this.deviceId = id;
    }

    static boolean accepts(String topic) {
        return topic.startsWith(TOPIC);
    }

    List<BusMessage> map(String topic, byte[] payload) {
        String[] levels = topic.split("/", -1);
        if (levels.length != 3 && levels.length != 4) return List.of();
        String service = levels[levels.length - 1];
        String child = levels.length == 4 ? levels[2] : null;
        if (service.isEmpty() || (child != null && child.isEmpty()) || service.contains("bridge")) return List.of();
        String[] typeAndStatus = read(payload);
        String type = typeAndStatus[0] == null || typeAndStatus[0].isEmpty() ? DEFAULT_TYPE : typeAndStatus[0];
        String status = typeAndStatus[1] == null || typeAndStatus[1].isEmpty() ? "unknown" : typeAndStatus[1];
        List<BusMessage> out = new ArrayList<>(2);
        children.register(child, out);
        String id = deviceId + "_" + (child == null ? "" : child + "_") + service;
        String line = "102," + id + ",\"" + sanitize(type) + "\"," + service + ",\"" + sanitize(status) + "\"";
        out.add(BusMessage.of(child == null ? C8yMapper.SMARTREST_UP : C8yMapper.SMARTREST_UP + "/" + child, line, 1));
        return out;
    }

    /** The retained health of every service, reported. */
    List<BusMessage> reconcile(Bus bus) throws Bus.BusException, InterruptedException {
        List<BusMessage> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : Retained.snapshot(bus, INPUTS, Duration.ofSeconds(10)).entrySet()) {
            out.addAll(map(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** {type, status} of a health payload; nulls when absent, both null when it is not a JSON object. */
    static String[] read(byte[] payload) {
        String type = null;
        String status = null;
        try (JsonParser p = C8yJson.factory().createParser(payload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return new String[2];
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if ((field.equals("type") || field.equals("status")) && v != JsonToken.VALUE_STRING) return new String[2];
                if (field.equals("type")) type = p.getText();
                else if (field.equals("status")) status = p.getText();
                else p.skipChildren();
            }
            if (p.nextToken() != null) return new String[2];
        } catch (IOException e) {
            return new String[2];
        }
        return new String[] {type, status};
    }

    /** thin-edge.io's {@code sanitize_for_smartrest}: no control characters but CR, LF, tab; {@code "} doubled; 16000 bytes at most. */
    static String sanitize(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        int bytes = 0;
        for (int i = 0; i < s.length();) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isISOControl(cp) && cp != '\r' && cp != '\n' && cp != '\t') continue;
            String piece = cp == '"' ? "\"\"" : new String(Character.toChars(cp));
            for (int k = 0; k < piece.length();) {
                int c = piece.codePointAt(k);
                k += Character.charCount(c);
                int n = new String(Character.toChars(c)).getBytes(StandardCharsets.UTF_8).length;
                if (bytes + n > MAX_FIELD) return sb.toString();
                bytes += n;
                sb.appendCodePoint(c);
            }
        }
        return sb.toString();
    }
}
