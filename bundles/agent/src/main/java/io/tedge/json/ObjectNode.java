package io.tedge.json;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** A JSON object: members in insertion order; putting a name again replaces its value in place. */
public final class ObjectNode extends JsonNode {
    private final Map<String, JsonNode> members = new LinkedHashMap<>();

    ObjectNode() {
    }

    @Override
    public JsonNode get(String field) {
        return members.get(field);
    }

    @Override
    public boolean isObject() {
        return true;
    }

    @Override
    public int size() {
        return members.size();
    }

    @Override
    public Iterator<JsonNode> elements() {
        return members.values().iterator();
    }

    @Override
    public Iterator<Map.Entry<String, JsonNode>> fields() {
        return members.entrySet().iterator();
    }

    /** Sets a member (null puts JSON null); returns this object. */
    public ObjectNode set(String field, JsonNode value) {
        members.put(field, value == null ? NullNode.INSTANCE : value);
        return this;
    }

    public ObjectNode put(String field, String value) {
        return set(field, value == null ? null : new TextNode(value));
    }

    public ObjectNode put(String field, int value) {
        return set(field, new NumberNode(value));
    }

    public ObjectNode put(String field, long value) {
        return set(field, new NumberNode(value));
    }

    public ObjectNode put(String field, double value) {
        return set(field, new NumberNode(value));
    }

    public ObjectNode put(String field, boolean value) {
        return set(field, BooleanNode.of(value));
    }

    public ObjectNode put(String field, Integer value) {
        return set(field, value == null ? null : new NumberNode(value));
    }

    public ObjectNode put(String field, Long value) {
        return set(field, value == null ? null : new NumberNode(value));
    }

    public ObjectNode put(String field, BigInteger value) {
        return set(field, value == null ? null : new NumberNode(value));
    }

    public ObjectNode putNull(String field) {
        return set(field, null);
    }

    /** A new empty object as a member; returns the new object. */
    public ObjectNode putObject(String field) {
        ObjectNode o = new ObjectNode();
        members.put(field, o);
        return o;
    }

    /** A new empty array as a member; returns the new array. */
    public ArrayNode putArray(String field) {
        ArrayNode a = new ArrayNode();
        members.put(field, a);
        return a;
    }

    /** Removes a member; returns its value or null. */
    public JsonNode remove(String field) {
        return members.remove(field);
    }

    @Override
    public ObjectNode deepCopy() {
        ObjectNode o = new ObjectNode();
        members.forEach((k, v) -> o.members.put(k, v.deepCopy()));
        return o;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ObjectNode n && n.members.equals(members);
    }

    @Override
    public int hashCode() {
        return members.hashCode();
    }
}
