package io.narrator.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.DatumReader;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde for any generated Avro record, using Avro single-object encoding (two marker bytes {@code C3 01}, the
 * 8-byte fingerprint of the writer's schema, then the binary record), so bytes that are not this record type are
 * detected and named rather than misread. {@code null} maps to {@code null} (tombstones).
 *
 * <p>Writes with the current schema; reads a record written with the current schema or any published earlier
 * version of it ({@link SchemaHistory}), resolved to the current one (fields added since take their defaults).
 * It also reads records in the Schema Registry wire format (magic byte {@code 0}, the 4-byte big-endian schema id, the
 * binary record) when it has a {@link SchemaRegistryClient}: the writer's schema is fetched by its id (once) and must be
 * readable as the current one. Reading is bounded by the bytes given ({@link BoundedDecoder}: no declared length or
 * count beyond what the record holds is allocated), and a record must use them all: bytes after a complete record are
 * an error. Thread-safe.
 */
public final class AvroSerde<T extends SpecificRecordBase> implements Serde<T>, Serializer<T>, Deserializer<T> {
    private static final int HEADER_BYTES = 10;
    /** Bytes before the record in the Schema Registry wire format: magic byte 0 and a 4-byte schema id. */
    static final int REGISTRY_HEADER_BYTES = 5;

    private final Class<T> type;
    private final SpecificData data;
    private final Schema schema;
    private final BinaryMessageEncoder<T> encoder;
    /** A reader per known writer schema, by its single-object fingerprint. */
    private final Map<Long, DatumReader<T>> readers = new LinkedHashMap<>();
    /** The registry that resolves schema ids, or null. */
    private final SchemaRegistryClient registry;
    /** Per schema id seen: its reader, or why records with it cannot be read as this type. */
    private final Map<Integer, Object> registryReaders = new ConcurrentHashMap<>();

    private AvroSerde(Class<T> type, SchemaRegistryClient registry) {
        this.type = type;
        this.registry = registry;
        this.data = SpecificData.getForClass(type);
        this.schema = data.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(data, schema);
        List<Schema> writers = Stream.concat(SchemaHistory.load(schema.getName()).versions().stream(), Stream.of(schema)).toList();
        for (Schema writer : writers) {
            requireBoundedItems(writer, writer, new HashSet<>());
            readers.putIfAbsent(SchemaNormalization.parsingFingerprint64(writer), new SpecificDatumReader<>(writer, schema, data));
        }
    }

    /** The serde for a generated record class, e.g. {@code AvroSerde.of(VideoFrame.class)}. */
    public static <T extends SpecificRecordBase> AvroSerde<T> of(Class<T> type) {
        return of(type, null);
    }

    /**
     * The serde for a generated record class that also reads the Schema Registry wire format, looking writer schemas up
     * in {@code registry} (null: such records are refused, saying that no registry is configured).
     */
    public static <T extends SpecificRecordBase> AvroSerde<T> of(Class<T> type, SchemaRegistryClient registry) {
        if (type == null) throw new IllegalArgumentException("type must not be null");
        return new AvroSerde<>(type, registry);
    }

    /** The schema this serde writes and reads into. */
    public Schema schema() {
        return schema;
    }

    /** The record class this serde reads and writes. */
    public Class<T> type() {
        return type;
    }

    /** How many schema versions this serde reads (the published ones and the current one). */
    public int readableVersions() {
        return readers.size();
    }

    /** Encodes a record; {@code null} stays {@code null}. */
    public byte[] encode(T record) {
        if (record == null) return null;
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] out = new byte[buffer.remaining()];
            buffer.get(out);
            return out;
        } catch (IOException | AvroRuntimeException e) {
            throw new IllegalArgumentException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes bytes written by {@link #encode} with this or an earlier published schema, or in the Schema Registry wire
     * format with a schema readable as this one; {@code null} stays {@code null}.
     *
     * @throws AvroFormatException naming what is wrong when the bytes are not one whole record of this type
     * @throws UnknownSchemaException when the bytes are in the Schema Registry wire format and their schema cannot be had
     */
    public T decode(byte[] bytes) {
        if (bytes == null) return null;
        String name = type.getSimpleName();
        if (bytes.length >= 1 && bytes[0] == 0) return decodeRegistryFramed(bytes);
        if (bytes.length < 2 || bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01)
            throw new AvroFormatException("not Avro single-object encoded " + name + " (no C3 01 marker at the start of " + bytes.length
                    + " bytes), nor in the Schema Registry wire format (magic byte 0)", null);
        if (bytes.length < HEADER_BYTES)
            throw new AvroFormatException("truncated or corrupt " + name + ": " + bytes.length + " bytes end inside the 10-byte single-object header", null);
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        DatumReader<T> reader = readers.get(fingerprint);
        if (reader == null)
            throw new AvroFormatException(String.format("Avro record of an unknown schema, not %s (fingerprint %016x matches none of its %d known versions)",
                    name, fingerprint, readers.size()), null);
        return read(reader, bytes, HEADER_BYTES);
    }

    private T decodeRegistryFramed(byte[] bytes) {
        String name = type.getSimpleName();
        if (bytes.length < REGISTRY_HEADER_BYTES)
            throw new AvroFormatException("truncated or corrupt " + name + ": " + bytes.length + " bytes end inside the 5-byte Schema Registry header"
                    + " (magic byte 0, 4-byte schema id)", null);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        return read(registryReader(id), bytes, REGISTRY_HEADER_BYTES);
    }

    @SuppressWarnings("unchecked")
    private DatumReader<T> registryReader(int id) {
        String name = type.getSimpleName();
        if (registry == null)
            throw new UnknownSchemaException(name + " in the Schema Registry wire format (magic byte 0, schema id " + id + "), but no "
                    + ConfigKey.SCHEMA_REGISTRY_URL.key() + " is configured to look its schema up: set it, or produce Avro single-object encoding", null);
        Object known = registryReaders.get(id);
        if (known instanceof DatumReader<?> reader) return (DatumReader<T>) reader;
        if (known instanceof String refused) throw new AvroFormatException(refused, null);
        Schema writer;
        try {
            writer = registry.schema(id);
        } catch (SchemaRegistryClient.SchemaRegistryException e) {
            throw new UnknownSchemaException(name + " with schema id " + id + ": " + e.getMessage()
                    + (e.unreachable() ? "; the record can be replayed once the registry is back" : ""), e);
        }
        SchemaCompatibility.SchemaPairCompatibility compatibility = SchemaCompatibility.checkReaderWriterCompatibility(schema, writer);
        String refused = null;
        if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
            refused = "Avro record of schema id " + id + " (" + writer.getFullName() + "), which cannot be read as " + name + ": "
                    + compatibility.getResult().getIncompatibilities().stream().limit(3)
                            .map(i -> i.getMessage() + " at " + i.getLocation()).collect(Collectors.joining("; "));
        } else {
            try {
                requireBoundedItems(writer, writer, new HashSet<>());
            } catch (IllegalArgumentException e) {
                refused = "Avro record of schema id " + id + ", which " + name + " cannot be read from: " + e.getMessage();
            }
        }
        if (refused != null) {
            registryReaders.put(id, refused);
            throw new AvroFormatException(refused, null);
        }
        DatumReader<T> reader = new SpecificDatumReader<>(writer, schema, data);
        registryReaders.put(id, reader);
        return reader;
    }

    private T read(DatumReader<T> reader, byte[] bytes, int offset) {
        String name = type.getSimpleName();
        BoundedDecoder in = BoundedDecoder.of(bytes, offset, bytes.length - offset);
        T record;
        try {
            record = reader.read(null, in);
        } catch (BoundedDecoder.DeclaredSizeException e) {
            throw new AvroFormatException("truncated or corrupt " + name + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            throw new AvroFormatException("truncated or corrupt " + name + ": " + e, e);
        }
        if (in.remaining() > 0)
            throw new AvroFormatException(in.remaining() + " bytes after a complete " + name + " of " + (bytes.length - in.remaining())
                    + " bytes: a record must be the whole value", null);
        return record;
    }

    /**
     * Checks that every array item of {@code schema} takes at least one byte, so that {@link BoundedDecoder} may bound
     * an array's declared count by the bytes left (map entries always do: each has a key).
     */
    private static void requireBoundedItems(Schema root, Schema schema, Set<String> seen) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!seen.add(schema.getFullName())) return;
                schema.getFields().forEach(f -> requireBoundedItems(root, f.schema(), seen));
            }
            case ARRAY -> {
                if (minimumBytes(schema.getElementType(), new HashSet<>()) == 0)
                    throw new IllegalArgumentException("schema " + root.getFullName() + " has an array of " + schema.getElementType()
                            + ", whose items can take no bytes: its declared counts cannot be bounded by the record's size");
                requireBoundedItems(root, schema.getElementType(), seen);
            }
            case MAP -> requireBoundedItems(root, schema.getValueType(), seen);
            case UNION -> schema.getTypes().forEach(t -> requireBoundedItems(root, t, seen));
            default -> {}
        }
    }

    /** The fewest bytes a value of {@code schema} takes in Avro's binary encoding. */
    private static long minimumBytes(Schema schema, Set<String> visiting) {
        return switch (schema.getType()) {
            case NULL -> 0;
            case FLOAT -> 4;
            case DOUBLE -> 8;
            case FIXED -> schema.getFixedSize();
            case RECORD -> {
                if (!visiting.add(schema.getFullName())) yield 1; // a record inside itself is behind a union or an array: at least a byte
                long sum = schema.getFields().stream().mapToLong(f -> minimumBytes(f.schema(), visiting)).sum();
                visiting.remove(schema.getFullName());
                yield sum;
            }
            default -> 1; // boolean, int, long, enum, string, bytes, union index, array and map end marker
        };
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return encode(data);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return decode(data);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}

    /** Bytes that are not one whole record of the expected type. */
    public static class AvroFormatException extends RuntimeException {
        AvroFormatException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A record in the Schema Registry wire format whose writer schema cannot be had: no registry is configured, the
     * registry does not know its id, or the registry could not be reached.
     */
    public static final class UnknownSchemaException extends AvroFormatException {
        UnknownSchemaException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
