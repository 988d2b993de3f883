package io.narrator.stream;

import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde for any generated Avro record, using Avro single-object encoding (two magic bytes, the
 * 8-byte schema fingerprint, then the binary record), so bytes that are not this record type are
 * detected and named rather than misread. {@code null} maps to {@code null} (tombstones).
 */
public final class AvroSerde<T extends SpecificRecordBase> implements Serde<T>, Serializer<T>, Deserializer<T> {

    private final Class<T> type;
    private final BinaryMessageEncoder<T> encoder;
    private final BinaryMessageDecoder<T> decoder;

    private AvroSerde(Class<T> type) {
        this.type = type;
        SpecificData data = SpecificData.getForClass(type);
        Schema schema = data.getSchema(type);
        this.encoder = new BinaryMessageEncoder<>(data, schema);
        this.decoder = new BinaryMessageDecoder<>(data, schema);
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
     * Decodes bytes written by {@link #encode}; {@code null} stays {@code null}.
     *
     * @throws AvroFormatException naming what is wrong when the bytes are not this record type
     */
    public T decode(byte[] bytes) {
        if (bytes == null) return null;
        try {
            return decoder.decode(bytes);
        } catch (BadHeaderException e) {
            throw new AvroFormatException("not Avro single-object encoded " + type.getSimpleName()
                    + " (no C3 01 marker at the start of " + bytes.length + " bytes)", e);
        } catch (MissingSchemaException e) {
            throw new AvroFormatException("Avro record of an unknown schema, not " + type.getSimpleName()
                    + " (fingerprint does not match)", e);
        } catch (IOException | RuntimeException e) {
            throw new AvroFormatException("truncated or corrupt " + type.getSimpleName() + ": " + e, e);
        }
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

    /** Bytes that are not the expected Avro record. */
    public static final class AvroFormatException extends RuntimeException {
        AvroFormatException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
