package io.tedge.c8y.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

/** Writes the Cumulocity JSON documents of the mapper, compact UTF-8. */
final class C8yJson {
    private static final JsonFactory JSON = JsonFactory.builder().build();

    private C8yJson() {
    }

    interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    static byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON to memory", e);
        }
        return out.toByteArray();
    }

    /** {@code "externalSource":{"externalId":"<child>","type":"c8y_Serial"}}. */
    static void externalSource(JsonGenerator g, String child) throws IOException {
        g.writeObjectFieldStart("externalSource");
        g.writeStringField("externalId", child);
        g.writeStringField("type", "c8y_Serial");
        g.writeEndObject();
    }

    /** The extra fields (compact JSON values), except those named in {@code skip}. */
    static void extras(JsonGenerator g, Map<String, String> extras, String... skip) throws IOException {
        outer:
        for (Map.Entry<String, String> e : extras.entrySet()) {
            for (String s : skip) {
                if (s.equals(e.getKey())) continue outer;
            }
            g.writeFieldName(e.getKey());
            g.writeRawValue(e.getValue());
        }
    }

    static JsonFactory factory() {
        return JSON;
    }
}
