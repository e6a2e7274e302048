package io.tedge.mapper.thinedge;

import java.io.IOException;
import java.io.StringWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The payload of a Thin Edge JSON alarm or event (thin-edge.io 0.5 to 0.12): a JSON object with
 * an optional {@code text} (a string), an optional {@code time} (an RFC 3339 string, read with
 * {@link Timestamp#renderRfc3339() the time crate's rules}) and any other fields, kept in input
 * order as compact JSON text (numbers as written; a repeated field keeps its last value).
 *
 * @param text   the text, or null when absent or null
 * @param time   the time, or null when absent or null
 * @param extras the other fields: name to compact JSON value text, input order; unmodifiable
 */
public record Fields(String text, Timestamp time, Map<String, String> extras) {

    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** Copies the extras. */
    public Fields {
        extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }

    /**
     * Whether the payload has fields other than text and time.
     *
     * @return true if {@link #extras()} is not empty
     */
    public boolean hasExtras() {
        return !extras.isEmpty();
    }

    /**
     * Reads a payload the way thin-edge.io's serde structs do; {@code struct} is the name serde
     * gives the expected type in a type error ({@code ThinEdgeAlarmData}).
     *
     * @throws ThinEdgeJson.InvalidThinEdgeJson with serde_json's text: {@code <reason> at line L column C}
     */
    static Fields read(byte[] in, String struct) throws ThinEdgeJson.InvalidThinEdgeJson {
        try (JsonParser p = JSON.createParser(in)) {
            try {
                return read(in, p, struct);
            } catch (JsonProcessingException e) {
                SerdeText.Located l = SerdeText.syntaxError(in, e, p);
                throw error(in, l.reason(), l.consumed());
            }
        } catch (IOException e) {
            throw new ThinEdgeJson.InvalidThinEdgeJson(e.getMessage());
        }
    }

    private static Fields read(byte[] in, JsonParser p, String struct) throws IOException, ThinEdgeJson.InvalidThinEdgeJson {
        JsonToken t = p.nextToken();
        if (t == null) throw error(in, "EOF while parsing a value", in.length);
        if (t != JsonToken.START_OBJECT) {
            throw error(in, "invalid type: " + SerdeText.describe(p, t) + ", expected struct " + struct,
                    SerdeText.endOfUnexpected(in, p, t));
        }
        String text = null;
        Timestamp time = null;
        boolean seenText = false;
        boolean seenTime = false;
        Map<String, String> extras = new LinkedHashMap<>();
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            int keyEnd = SerdeText.stringEnd(in, SerdeText.start(p));
            JsonToken v = p.nextToken();
            if (name.equals("text")) {
                if (seenText) throw error(in, "duplicate field `text`", keyEnd);
                seenText = true;
                if (v == JsonToken.VALUE_STRING) {
                    text = p.getText();
                } else if (v != JsonToken.VALUE_NULL) {
                    throw error(in, "invalid type: " + SerdeText.describe(p, v) + ", expected a string", SerdeText.endOfUnexpected(in, p, v));
                }
            } else if (name.equals("time")) {
                if (seenTime) throw error(in, "duplicate field `time`", keyEnd);
                seenTime = true;
                if (v == JsonToken.VALUE_STRING) {
                    try {
                        time = Timestamp.parseRfc3339(p.getText());
                    } catch (Timestamp.InvalidTimestamp e) {
                        throw error(in, e.getMessage(), SerdeText.stringEnd(in, SerdeText.start(p)));
                    }
                } else if (v != JsonToken.VALUE_NULL) {
                    throw error(in, "invalid type: " + SerdeText.describe(p, v) + ", expected an RFC3339-formatted `OffsetDateTime`",
                            visitedEnd(in, p, v));
                }
            } else {
                extras.remove(name);
                extras.put(name, copy(p));
            }
        }
        int rest = SerdeText.skipWhitespace(in, SerdeText.start(p) + 1);
        if (rest < in.length) throw error(in, "trailing characters", rest + 1);
        return new Fields(text, time, extras);
    }

    /**
     * Bytes read when serde_json hands a value to a visitor that refuses it (the time crate's):
     * a scalar whole; a container's opening byte, the whitespace after it, and its closing byte
     * when it is empty.
     */
    private static int visitedEnd(byte[] in, JsonParser p, JsonToken t) throws IOException {
        if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) return SerdeText.end(in, p, t);
        int i = SerdeText.skipWhitespace(in, SerdeText.start(p) + 1);
        byte close = (byte) (t == JsonToken.START_OBJECT ? '}' : ']');
        return i < in.length && in[i] == close ? i + 1 : i;
    }

    /** The value at the parser as compact JSON, numbers as written. */
    private static String copy(JsonParser p) throws IOException {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            copyValue(p, g);
        }
        return w.toString();
    }

    private static void copyValue(JsonParser p, JsonGenerator g) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT -> {
                g.writeStartObject();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    g.writeFieldName(p.currentName());
                    p.nextToken();
                    copyValue(p, g);
                }
                g.writeEndObject();
            }
            case START_ARRAY -> {
                g.writeStartArray();
                while (p.nextToken() != JsonToken.END_ARRAY) copyValue(p, g);
                g.writeEndArray();
            }
            case VALUE_STRING -> g.writeString(p.getText());
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> g.writeNumber(p.getText());
            case VALUE_TRUE -> g.writeBoolean(true);
            case VALUE_FALSE -> g.writeBoolean(false);
            case VALUE_NULL -> g.writeNull();
            default -> throw new IOException("unexpected " + t);
        }
    }

    private static ThinEdgeJson.InvalidThinEdgeJson error(byte[] in, String reason, int consumed) {
        return new ThinEdgeJson.InvalidThinEdgeJson(reason + " at " + SerdeText.position(in, consumed).text());
    }
}
