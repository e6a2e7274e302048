package io.tedge.json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Reads and writes the {@link JsonNode} tree with jackson-core's streaming parser and generator.
 * As Jackson's {@code ObjectMapper.readTree}: the first value of the input is read (empty input is
 * the missing node), integers become int, long or big integers by size, other numbers doubles,
 * and a repeated member name keeps the last value. Errors are jackson-core's
 * {@link com.fasterxml.jackson.core.JsonProcessingException}, with the location.
 */
public final class Json {
    /** jackson-core's default limits (nesting depth, number and text lengths) apply. */
    private static final JsonFactory FACTORY = new JsonFactory();

    private Json() {
    }

    public static ObjectNode object() {
        return new ObjectNode();
    }

    public static ArrayNode array() {
        return new ArrayNode();
    }

    public static JsonNode parse(byte[] json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            return read(p);
        }
    }

    public static JsonNode parse(String json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            return read(p);
        }
    }

    public static JsonNode parse(InputStream in) throws IOException {
        try (JsonParser p = FACTORY.createParser(in)) {
            return read(p);
        }
    }

    public static JsonNode parse(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in);
        }
    }

    private static JsonNode read(JsonParser p) throws IOException {
        JsonToken t = p.nextToken();
        if (t == null) return MissingNode.INSTANCE;
        // iterative: the depth is bounded by the parser's nesting limit, not by the stack
        Deque<JsonNode> open = new ArrayDeque<>();
        String name = null;
        for (; t != null; t = p.nextToken()) {
            JsonNode v;
            switch (t) {
                case FIELD_NAME -> {
                    name = p.currentName();
                    continue;
                }
                case START_OBJECT -> v = new ObjectNode();
                case START_ARRAY -> v = new ArrayNode();
                case END_OBJECT, END_ARRAY -> {
                    JsonNode done = open.pop();
                    if (open.isEmpty()) return done;
                    continue;
                }
                case VALUE_STRING -> v = new TextNode(p.getText());
                case VALUE_NUMBER_INT -> v = new NumberNode(switch (p.getNumberType()) {
                    case INT -> p.getIntValue();
                    case LONG -> p.getLongValue();
                    default -> p.getBigIntegerValue();
                });
                case VALUE_NUMBER_FLOAT -> v = new NumberNode(p.getDoubleValue());
                case VALUE_TRUE -> v = BooleanNode.TRUE;
                case VALUE_FALSE -> v = BooleanNode.FALSE;
                case VALUE_NULL -> v = NullNode.INSTANCE;
                default -> throw new IOException("Unexpected JSON token " + t);
            }
            if (open.peek() instanceof ObjectNode o) o.set(name, v);
            else if (open.peek() instanceof ArrayNode a) a.add(v);
            else if (!v.isContainerNode()) return v; // a value alone
            if (v.isContainerNode()) open.push(v);
        }
        throw new com.fasterxml.jackson.core.io.JsonEOFException(p, null, "Unexpected end of JSON input");
    }

    /**
     * The node as compact JSON, UTF-8, as Jackson's {@code writeValueAsBytes} writes it (characters
     * outside the Basic Multilingual Plane as {@code \\u} escapes of their surrogates).
     */
    public static byte[] bytes(JsonNode n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // not from a byte array
        }
        return out.toByteArray();
    }

    /** The node as compact JSON text, as Jackson's {@code writeValueAsString} and {@code toString} write it. */
    public static String text(JsonNode n) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // not from a StringWriter
        }
        return out.toString();
    }

    private static void write(JsonGenerator g, JsonNode n) throws IOException {
        if (n instanceof ObjectNode o) {
            g.writeStartObject();
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                g.writeFieldName(e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (n instanceof ArrayNode a) {
            g.writeStartArray();
            for (JsonNode e : a) write(g, e);
            g.writeEndArray();
        } else if (n instanceof TextNode t) {
            g.writeString(t.value);
        } else if (n instanceof NumberNode num) {
            Number v = num.value;
            if (v instanceof Integer i) g.writeNumber(i);
            else if (v instanceof Long l) g.writeNumber(l);
            else if (v instanceof Double d) g.writeNumber(d);
            else g.writeNumber((java.math.BigInteger) v);
        } else if (n instanceof BooleanNode b) {
            g.writeBoolean(b.value);
        } else {
            g.writeNull(); // null; a missing node is written as null too, as Jackson does
        }
    }
}
