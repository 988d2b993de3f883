package io.narrator.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Collection;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.IndexedRecord;

/**
 * An Avro record as plain JSON for the page's script: records are objects with their fields by name, unions are their
 * value (no Avro JSON type wrapper), arrays and maps as such, enums and strings as strings, bytes as base64, and
 * non-finite doubles as null (JSON has no NaN).
 */
final class AvroJson {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AvroJson() {}

    /** {@code record} with every field of its schema. */
    static ObjectNode of(IndexedRecord record) {
        ObjectNode node = NODES.objectNode();
        for (Schema.Field field : record.getSchema().getFields()) node.set(field.name(), value(record.get(field.pos())));
        return node;
    }

    private static JsonNode value(Object v) {
        if (v == null) return NODES.nullNode();
        if (v instanceof IndexedRecord r) return of(r);
        if (v instanceof CharSequence s) return NODES.textNode(s.toString());
        if (v instanceof Integer i) return NODES.numberNode(i);
        if (v instanceof Long l) return NODES.numberNode(l);
        if (v instanceof Float f) return Float.isFinite(f) ? NODES.numberNode(f) : NODES.nullNode();
        if (v instanceof Double d) return Double.isFinite(d) ? NODES.numberNode(d) : NODES.nullNode();
        if (v instanceof Boolean b) return NODES.booleanNode(b);
        if (v instanceof ByteBuffer b) {
            ByteBuffer copy = b.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            return NODES.textNode(Base64.getEncoder().encodeToString(bytes));
        }
        if (v instanceof byte[] b) return NODES.textNode(Base64.getEncoder().encodeToString(b));
        if (v instanceof Enum<?> e) return NODES.textNode(e.name());
        if (v instanceof GenericContainer c) return NODES.textNode(c.toString()); // GenericEnumSymbol, GenericFixed
        if (v instanceof Collection<?> items) {
            ArrayNode array = NODES.arrayNode();
            items.forEach(item -> array.add(value(item)));
            return array;
        }
        if (v instanceof Map<?, ?> map) {
            ObjectNode object = NODES.objectNode();
            map.forEach((k, item) -> object.set(String.valueOf(k), value(item)));
            return object;
        }
        throw new IllegalArgumentException("no JSON form for an Avro value of type " + v.getClass().getName());
    }
}
