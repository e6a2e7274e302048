package io.tedge.json;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** A JSON array. */
public final class ArrayNode extends JsonNode {
    private final List<JsonNode> elements = new ArrayList<>();

    ArrayNode() {
    }

    @Override
    public JsonNode get(int index) {
        return index >= 0 && index < elements.size() ? elements.get(index) : null;
    }

    @Override
    public boolean isArray() {
        return true;
    }

    @Override
    public int size() {
        return elements.size();
    }

    @Override
    public Iterator<JsonNode> elements() {
        return elements.iterator();
    }

    /** Adds an element (null adds JSON null); returns this array. */
    public ArrayNode add(JsonNode value) {
        elements.add(value == null ? NullNode.INSTANCE : value);
        return this;
    }

    public ArrayNode add(String value) {
        return add(value == null ? null : new TextNode(value));
    }

    public ArrayNode add(int value) {
        return add(new NumberNode(value));
    }

    public ArrayNode add(long value) {
        return add(new NumberNode(value));
    }

    public ArrayNode add(double value) {
        return add(new NumberNode(value));
    }

    public ArrayNode add(boolean value) {
        return add(BooleanNode.of(value));
    }

    /** A new empty object as the last element; returns the new object. */
    public ObjectNode addObject() {
        ObjectNode o = new ObjectNode();
        elements.add(o);
        return o;
    }

    /** A new empty array as the last element; returns the new array. */
    public ArrayNode addArray() {
        ArrayNode a = new ArrayNode();
        elements.add(a);
        return a;
    }

    @Override
    public ArrayNode deepCopy() {
        ArrayNode a = new ArrayNode();
        for (JsonNode e : elements) a.elements.add(e.deepCopy());
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ArrayNode n && n.elements.equals(elements);
    }

    @Override
    public int hashCode() {
        return elements.hashCode();
    }
}
