package io.narrator.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
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
 * Reading is bounded by the bytes given ({@link BoundedDecoder}: no declared length or count beyond what the record
 * holds is allocated), and a record must use them all: bytes after a complete record are an error.
 */
public final class AvroSerde<T extends SpecificRecordBase> implements Serde<T>, Serializer<T>, Deserializer<T> {
    private static final int HEADER_BYTES = 10;

    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    /** A reader per known writer schema, by its single-object fingerprint. */
    private final Map<Long, DatumReader<T>> readers = new LinkedHashMap<>();

    private AvroSerde(Class<T> type) {
        this.type = type;
        SpecificData data = SpecificData.getForClass(type);
        Schema schema = data.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(data, schema);
        List<Schema> writers = Stream.concat(SchemaHistory.load(schema.getName()).versions().stream(), Stream.of(schema)).toList();
        for (Schema writer : writers) {
            requireBoundedItems(writer, writer, new HashSet<>());
            readers.putIfAbsent(SchemaNormalization.parsingFingerprint64(writer), new SpecificDatumReader<>(writer, schema, data));
        }
    }

    /** The serde for a generated record class, e.g. {@code AvroSerde.of(VideoFrame.class)}. */
    public static <T extends SpecificRecordBase> AvroSerde<T> of(Class<T> type) {
        if (type == null) throw new IllegalArgumentException("type must not be null");
        return new AvroSerde<>(type);
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
     * Decodes bytes written by {@link #encode} with this or an earlier published schema; {@code null} stays
     * {@code null}.
     *
     * @throws AvroFormatException naming what is wrong when the bytes are not one whole record of this type
     */
    public T decode(byte[] bytes) {
        if (bytes == null) return null;
        String name = type.getSimpleName();
        if (bytes.length < 2 || bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01) {
            if (bytes.length >= 5 && bytes[0] == 0)
                throw new AvroFormatException("not Avro single-object encoded " + name + ": the bytes start like the Schema Registry wire format"
                        + " (magic byte 0, schema id " + ByteBuffer.wrap(bytes, 1, 4).getInt() + "), which Narrator does not read; produce single-object"
                        + " encoding (C3 01, schema fingerprint, record)", null);
            throw new AvroFormatException("not Avro single-object encoded " + name + " (no C3 01 marker at the start of " + bytes.length + " bytes)", null);
        }
        if (bytes.length < HEADER_BYTES)
            throw new AvroFormatException("truncated or corrupt " + name + ": " + bytes.length + " bytes end inside the 10-byte single-object header", null);
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        DatumReader<T> reader = readers.get(fingerprint);
        if (reader == null)
            throw new AvroFormatException(String.format("Avro record of an unknown schema, not %s (fingerprint %016x matches none of its %d known versions)",
                    name, fingerprint, readers.size()), null);
        BoundedDecoder in = BoundedDecoder.of(bytes, HEADER_BYTES, bytes.length - HEADER_BYTES);
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
    public static final class AvroFormatException extends RuntimeException {
        AvroFormatException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
