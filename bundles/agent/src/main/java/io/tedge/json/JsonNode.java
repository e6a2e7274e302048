package io.tedge.json;

import java.util.Collections;
import java.util.Iterator;
import java.util.Map;

/**
 * A JSON value of a small tree model: objects, arrays, text, numbers, booleans, null, and a
 * "missing" node that {@link #path} returns for what is not there. The accessors behave as
 * Jackson's tree model does ({@code asText}, {@code asInt}, {@code path}, {@code get}), so that
 * device management reads and builds its messages without jackson-databind (which loads about 600
 * classes, some 7 MiB of RSS in a small JVM). Parsing and writing are in {@link Json}, on
 * jackson-core's streaming parser and generator. Not thread safe.
 */
public abstract class JsonNode implements Iterable<JsonNode> {
    JsonNode() {
    }

    /** The member of an object, or null (also for anything that is not an object). */
    public JsonNode get(String field) {
        return null;
    }

    /** The element of an array, or null (also for anything that is not an array). */
    public JsonNode get(int index) {
        return null;
    }

    /** The member of an object, or the missing node: never null. */
    public JsonNode path(String field) {
        JsonNode n = get(field);
        return n == null ? MissingNode.INSTANCE : n;
    }

    /** The element of an array, or the missing node: never null. */
    public JsonNode path(int index) {
        JsonNode n = get(index);
        return n == null ? MissingNode.INSTANCE : n;
    }

    public boolean has(String field) {
        return get(field) != null;
    }

    /** The node at a JSON pointer ({@code /a/0/b}, RFC 6901), or the missing node. */
    public JsonNode at(String pointer) {
        if (pointer.isEmpty()) return this;
        if (pointer.charAt(0) != '/') throw new IllegalArgumentException("Invalid JSON pointer: " + pointer);
        JsonNode n = this;
        for (String raw : pointer.substring(1).split("/", -1)) {
            String token = raw.replace("~1", "/").replace("~0", "~");
            if (n.isArray()) {
                // an index is 0 or digits without a leading zero or a sign (RFC 6901)
                if (!token.matches("0|[1-9][0-9]{0,9}")) return MissingNode.INSTANCE;
                long i = Long.parseLong(token);
                if (i > Integer.MAX_VALUE) return MissingNode.INSTANCE;
                n = n.path((int) i);
            } else {
                n = n.path(token);
            }
            if (n.isMissingNode()) return n;
        }
        return n;
    }

    /** Text for a text node, the number or boolean as text, {@code "null"} for null, else empty. */
    public String asText() {
        return "";
    }

    /** {@link #asText()}, or {@code def} for null and the missing node. */
    public String asText(String def) {
        return asText();
    }

    /** The text of a text node, else null. */
    public String textValue() {
        return null;
    }

    public int asInt() {
        return asInt(0);
    }

    /** The number (a text that is a number is read), else {@code def}. */
    public int asInt(int def) {
        return def;
    }

    public long asLong() {
        return asLong(0);
    }

    public long asLong(long def) {
        return def;
    }

    public double asDouble() {
        return 0;
    }

    public boolean asBoolean() {
        return asBoolean(false);
    }

    public boolean asBoolean(boolean def) {
        return def;
    }

    public int intValue() {
        return 0;
    }

    public long longValue() {
        return 0;
    }

    public double doubleValue() {
        return 0;
    }

    public boolean isTextual() {
        return false;
    }

    public boolean isObject() {
        return false;
    }

    public boolean isArray() {
        return false;
    }

    public boolean isContainerNode() {
        return isObject() || isArray();
    }

    public boolean isValueNode() {
        return !isContainerNode() && !isMissingNode();
    }

    public boolean isMissingNode() {
        return false;
    }

    public boolean isNull() {
        return false;
    }

    public boolean isNumber() {
        return false;
    }

    public boolean isIntegralNumber() {
        return false;
    }

    public boolean isBoolean() {
        return false;
    }

    /** Whether the value is a number that fits a long. */
    public boolean canConvertToLong() {
        return false;
    }

    /** The number of members or elements; 0 for anything else. */
    public int size() {
        return 0;
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    /** The elements of an array or the values of an object. */
    public Iterator<JsonNode> elements() {
        return Collections.emptyIterator();
    }

    /** The members of an object, in order. */
    public Iterator<Map.Entry<String, JsonNode>> fields() {
        return Collections.emptyIterator();
    }

    @Override
    public Iterator<JsonNode> iterator() {
        return elements();
    }

    /** A deep copy (value nodes are immutable and shared). */
    public JsonNode deepCopy() {
        return this;
    }

    /** The node as compact JSON. */
    @Override
    public String toString() {
        return Json.text(this);
    }
}
