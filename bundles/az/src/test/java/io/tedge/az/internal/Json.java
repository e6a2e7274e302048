package io.tedge.az.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * JSON comparisons of the test vectors: {@code json_eq} (same tree, object keys in any order,
 * numbers compared as written, so 23 and 23.0 differ as in serde_json) and
 * {@code whitespace_insensitive} (the texts without whitespace).
 */
final class Json {
    private static final JsonFactory JSON = new JsonFactory();

    private Json() {
    }

    /** A number as written. */
    record Num(String text) {
    }

    /** The JSON tree: maps, lists, strings, Num, Boolean, null. */
    static Object tree(String json) {
        try (JsonParser p = JSON.createParser(json)) {
            Object v = value(p, p.nextToken());
            if (p.nextToken() != null) throw new IllegalArgumentException("trailing content in " + json);
            return v;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    m.put(k, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                JsonToken n;
                while ((n = p.nextToken()) != JsonToken.END_ARRAY) l.add(value(p, n));
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return new Num(p.getText());
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IllegalArgumentException("unexpected " + t);
        }
    }

    static String withoutWhitespace(String s) {
        return s.replaceAll("\\s", "");
    }
}
