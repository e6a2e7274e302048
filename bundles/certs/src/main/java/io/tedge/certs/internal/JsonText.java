package io.tedge.certs.internal;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

/**
 * The JSON of the Cumulocity calls, with Jackson (the JSON library of the container, also on
 * {@code bin/tedge}'s class path): a string literal, an object of fields, and one string field
 * of the top-level object of a response.
 */
public final class JsonText {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private JsonText() {
    }

    /** A JSON string literal, quotes included. */
    public static String quote(String v) {
        return write(g -> g.writeString(v));
    }

    /** A JSON object of strings and booleans, in the map's order. */
    public static String object(Map<String, ?> fields) {
        return write(g -> {
            g.writeStartObject();
            for (Map.Entry<String, ?> e : fields.entrySet()) {
                if (e.getValue() instanceof Boolean b) g.writeBooleanField(e.getKey(), b);
                else g.writeStringField(e.getKey(), String.valueOf(e.getValue()));
            }
            g.writeEndObject();
        });
    }

    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Writer w) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            w.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * The value of a string field of the top-level object, or null when the text is not a JSON
     * object, the field is missing, or its value is not a string.
     */
    public static String stringField(String json, String field) {
        if (json == null || json.isEmpty()) return null;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals(field)) return v == JsonToken.VALUE_STRING ? p.getText() : null;
                p.skipChildren();
            }
            return null;
        } catch (JsonProcessingException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
