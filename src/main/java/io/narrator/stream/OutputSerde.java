package io.narrator.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The serde of one output topic in one {@link OutputFormat}: it writes that format and reads records in any of the
 * three, told apart by their first byte ({@code C3} single-object Avro, {@code 00} Schema Registry Avro, <code>{</code>
 * JSON). In the {@link OutputFormat#REGISTRY} format the schema's id under the subject {@code <topic>-value} is resolved
 * once, by {@link #prepare()} or the first record. {@code null} maps to {@code null}. Thread-safe.
 */
public final class OutputSerde<T extends SpecificRecordBase> implements Serde<T>, Serializer<T>, Deserializer<T> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OutputFormat format;
    private final Class<T> type;
    private final String subject;
    private final AvroSerde<T> avro;
    private final SchemaRegistryClient registry;
    private final SpecificDatumWriter<T> writer;
    private volatile int schemaId = -1;

    OutputSerde(OutputFormat format, Class<T> type, String topic, SchemaRegistryClient registry) {
        if (format == null || type == null || topic == null) throw new IllegalArgumentException("format, type and topic must not be null");
        if (format == OutputFormat.REGISTRY && registry == null)
            throw new IllegalArgumentException("the registry format of topic " + topic + " needs " + ConfigKey.SCHEMA_REGISTRY_URL.key());
        this.format = format;
        this.type = type;
        this.subject = topic + "-value";
        this.avro = AvroSerde.of(type, registry);
        this.registry = registry;
        this.writer = new SpecificDatumWriter<>(avro.schema(), SpecificData.getForClass(type));
    }

    /** The format this serde writes. */
    public OutputFormat format() {
        return format;
    }

    /** The Schema Registry subject of the topic's values: {@code <topic>-value}. */
    public String subject() {
        return subject;
    }

    /**
     * Resolves what writing needs before the first record: in the registry format, registers the schema under
     * {@link #subject()} (or looks it up) and returns its id; -1 in the other formats.
     *
     * @throws SchemaRegistryClient.SchemaRegistryException when the registry refuses the schema or cannot be reached
     */
    public int prepare() {
        if (format != OutputFormat.REGISTRY) return -1;
        int id = schemaId;
        if (id < 0) {
            id = registry.register(subject, avro.schema());
            schemaId = id;
        }
        return id;
    }

    /** The record in this format; {@code null} stays {@code null}. */
    public byte[] encode(T record) {
        if (record == null) return null;
        return switch (format) {
            case AVRO -> avro.encode(record);
            case JSON -> JsonRecords.toBytes(record);
            case REGISTRY -> registryFramed(prepare(), record);
        };
    }

    private byte[] registryFramed(int id, T record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(ByteBuffer.allocate(AvroSerde.REGISTRY_HEADER_BYTES).put((byte) 0).putInt(id).array());
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException | AvroRuntimeException e) {
            throw new IllegalArgumentException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /**
     * The record in any of the three formats; {@code null} stays {@code null}.
     *
     * @throws AvroSerde.AvroFormatException naming what is wrong when the bytes are not one record of this type in any of them
     *     ({@link AvroSerde.UnknownSchemaException} when they are registry-framed and their schema cannot be had)
     */
    public T decode(byte[] bytes) {
        if (bytes == null) return null;
        int first = 0;
        while (first < bytes.length && (bytes[first] == ' ' || bytes[first] == '\n' || bytes[first] == '\r' || bytes[first] == '\t')) first++;
        if (first < bytes.length && bytes[first] == '{') {
            JsonNode json;
            try {
                json = JSON.readTree(bytes);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new AvroSerde.AvroFormatException("not a JSON " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                throw new AvroSerde.AvroFormatException("not a JSON " + type.getSimpleName() + ": " + e.getMessage(), e);
            }
            try {
                return JsonRecords.fromJson(type, json);
            } catch (IllegalArgumentException | AvroRuntimeException e) {
                throw new AvroSerde.AvroFormatException("not a JSON " + type.getSimpleName() + ": " + e.getMessage(), e);
            }
        }
        return avro.decode(bytes);
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
    public void configure(Map<String, ?> configs, boolean isKey) {}

    @Override
    public void close() {}
}
