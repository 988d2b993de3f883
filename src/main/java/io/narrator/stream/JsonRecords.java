package io.narrator.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Avro records as plain JSON objects, one field per schema field in schema order, with no schema and no type wrappers
 * (unlike Avro's own JSON encoding), so that schemaless JSON readers (Kafka Connect's JsonConverter with
 * {@code schemas.enable=false}, ksqlDB's {@code VALUE_FORMAT='JSON'}, {@code json.loads}) see the fields directly:
 * <ul>
 *   <li>string → string; int, long → integer; float, double → number, except NaN and ±infinity, which JSON cannot
 *       hold, as the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}; boolean → true/false;</li>
 *   <li>bytes and fixed → a base64 string (standard alphabet, padded), as JsonConverter writes bytes;</li>
 *   <li>enum → its symbol as a string;</li>
 *   <li>union → the value of its branch with no wrapper: {@code null}, or the value itself;</li>
 *   <li>array → array; map → object; record → object.</li>
 * </ul>
 * Reading back ({@link #fromJson}) takes the same shapes, checks each against the schema, and names the field that does
 * not fit.
 */
public final class JsonRecords {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonRecords() {}

    /** The JSON object of {@code record}, as UTF-8 bytes. */
    public static byte[] toBytes(IndexedRecord record) {
        try {
            return MAPPER.writeValueAsBytes(toJson(record));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write " + record.getSchema().getName() + " as JSON: " + e.getMessage(), e);
        }
    }

    /** The JSON object of {@code record}. */
    public static ObjectNode toJson(IndexedRecord record) {
        return (ObjectNode) toJson(record.getSchema(), record, record.getSchema().getName());
    }

    private static JsonNode toJson(Schema schema, Object value, String path) {
        return switch (schema.getType()) {
            case NULL -> NODES.nullNode();
            case BOOLEAN -> NODES.booleanNode((Boolean) value);
            case INT -> NODES.numberNode((Integer) value);
            case LONG -> NODES.numberNode((Long) value);
            case FLOAT -> finite(((Float) value).doubleValue()) ? NODES.numberNode((Float) value) : NODES.textNode(Float.toString((Float) value));
            case DOUBLE -> finite((Double) value) ? NODES.numberNode((Double) value) : NODES.textNode(Double.toString((Double) value));
            case STRING -> NODES.textNode(value.toString());
            case ENUM -> NODES.textNode(value.toString());
            case BYTES -> {
                ByteBuffer buffer = ((ByteBuffer) value).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                yield NODES.textNode(Base64.getEncoder().encodeToString(bytes));
            }
            case FIXED -> NODES.textNode(Base64.getEncoder().encodeToString(((GenericFixed) value).bytes()));
            case ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                int i = 0;
                for (Object item : (Iterable<?>) value) array.add(toJson(schema.getElementType(), item, path + "[" + i++ + "]"));
                yield array;
            }
            case MAP -> {
                ObjectNode map = NODES.objectNode();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet())
                    map.set(e.getKey().toString(), toJson(schema.getValueType(), e.getValue(), path + "." + e.getKey()));
                yield map;
            }
            case RECORD -> {
                IndexedRecord record = (IndexedRecord) value;
                ObjectNode object = NODES.objectNode();
                for (Schema.Field f : schema.getFields()) object.set(f.name(), toJson(f.schema(), record.get(f.pos()), path + "." + f.name()));
                yield object;
            }
            case UNION -> {
                int branch = GenericData.get().resolveUnion(schema, value);
                yield toJson(schema.getTypes().get(branch), value, path);
            }
        };
    }

    private static boolean finite(double d) {
        return !Double.isNaN(d) && !Double.isInfinite(d);
    }

    /**
     * The record of class {@code type} in a JSON object written by {@link #toJson} (or by anyone else in that shape;
     * fields missing from the object take their schema defaults).
     *
     * @throws IllegalArgumentException naming the field that does not fit the schema
     */
    public static <T extends SpecificRecordBase> T fromJson(Class<T> type, JsonNode json) {
        SpecificData data = SpecificData.getForClass(type);
        Schema schema = data.getSchema(type);
        Object generic = fromJson(schema, json, schema.getName());
        return type.cast(data.deepCopy(schema, generic));
    }

    private static Object fromJson(Schema schema, JsonNode node, String path) {
        switch (schema.getType()) {
            case NULL -> {
                if (node.isNull()) return null;
            }
            case BOOLEAN -> {
                if (node.isBoolean()) return node.booleanValue();
            }
            case INT -> {
                if (node.isIntegralNumber() && node.canConvertToInt()) return node.intValue();
            }
            case LONG -> {
                if (node.isIntegralNumber() && node.canConvertToLong()) return node.longValue();
            }
            case FLOAT, DOUBLE -> {
                Double d = null;
                if (node.isNumber()) d = node.doubleValue();
                else if (node.isTextual() && List.of("NaN", "Infinity", "-Infinity").contains(node.textValue())) d = Double.parseDouble(node.textValue());
                if (d != null) return schema.getType() == Schema.Type.FLOAT ? (Object) d.floatValue() : d;
            }
            case STRING -> {
                if (node.isTextual()) return node.textValue();
            }
            case ENUM -> {
                if (node.isTextual() && schema.hasEnumSymbol(node.textValue())) return new GenericData.EnumSymbol(schema, node.textValue());
            }
            case BYTES, FIXED -> {
                if (node.isTextual()) {
                    byte[] bytes;
                    try {
                        bytes = Base64.getDecoder().decode(node.textValue());
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(path + " is not base64: " + e.getMessage(), e);
                    }
                    if (schema.getType() == Schema.Type.BYTES) return ByteBuffer.wrap(bytes);
                    if (bytes.length != schema.getFixedSize())
                        throw new IllegalArgumentException(path + " has " + bytes.length + " bytes, but " + schema.getFullName() + " is fixed at " + schema.getFixedSize());
                    return new GenericData.Fixed(schema, bytes);
                }
            }
            case ARRAY -> {
                if (node.isArray()) {
                    List<Object> items = new ArrayList<>(node.size());
                    for (int i = 0; i < node.size(); i++) items.add(fromJson(schema.getElementType(), node.get(i), path + "[" + i + "]"));
                    return items;
                }
            }
            case MAP -> {
                if (node.isObject()) {
                    Map<String, Object> map = new LinkedHashMap<>();
                    for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        map.put(e.getKey(), fromJson(schema.getValueType(), e.getValue(), path + "." + e.getKey()));
                    }
                    return map;
                }
            }
            case RECORD -> {
                if (node.isObject()) {
                    GenericData.Record record = new GenericData.Record(schema);
                    for (Schema.Field f : schema.getFields()) {
                        JsonNode field = node.get(f.name());
                        if (field == null) {
                            if (!f.hasDefaultValue()) throw new IllegalArgumentException(path + "." + f.name() + " is missing");
                            record.put(f.pos(), GenericData.get().getDefaultValue(f));
                        } else {
                            record.put(f.pos(), fromJson(f.schema(), field, path + "." + f.name()));
                        }
                    }
                    return record;
                }
            }
            case UNION -> {
                for (Schema branch : schema.getTypes()) {
                    if (fits(branch, node)) return fromJson(branch, node, path);
                }
            }
        }
        throw new IllegalArgumentException(path + " is " + describe(node) + ", not " + describeSchema(schema));
    }

    /** Whether a JSON value has the shape of {@code schema} at its top level (for choosing a union's branch). */
    private static boolean fits(Schema schema, JsonNode node) {
        return switch (schema.getType()) {
            case NULL -> node.isNull();
            case BOOLEAN -> node.isBoolean();
            case INT -> node.isIntegralNumber() && node.canConvertToInt();
            case LONG -> node.isIntegralNumber() && node.canConvertToLong();
            case FLOAT, DOUBLE -> node.isNumber() || node.isTextual() && List.of("NaN", "Infinity", "-Infinity").contains(node.textValue());
            case STRING, BYTES, FIXED -> node.isTextual();
            case ENUM -> node.isTextual() && schema.hasEnumSymbol(node.textValue());
            case ARRAY -> node.isArray();
            case MAP, RECORD -> node.isObject();
            case UNION -> false;
        };
    }

    private static String describe(JsonNode node) {
        String text = node.toString();
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + (text.length() > 40 ? text.substring(0, 40) + "..." : text);
    }

    private static String describeSchema(Schema schema) {
        return schema.getType() == Schema.Type.UNION ? "any of " + schema.getTypes().stream().map(JsonRecords::describeSchema).toList()
                : schema.getType() == Schema.Type.RECORD || schema.getType() == Schema.Type.ENUM ? schema.getFullName()
                : schema.getType().getName();
    }
}
