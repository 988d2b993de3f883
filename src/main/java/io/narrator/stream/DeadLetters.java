package io.narrator.stream;

import io.narrator.avro.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns a rejected input record into a {@code DeadLetter} forwarded to the dead-letter sink, and counts it. */
final class DeadLetters {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    /** How many bytes of the original value a dead letter keeps. */
    static final int PAYLOAD_PREFIX_BYTES = 256;

    private DeadLetters() {}

    static void send(ProcessorContext<String, Object> context, NarratorMetrics metrics, Record<byte[], byte[]> record, RejectedRecordException e) {
        RecordMetadata origin = context.recordMetadata().orElseThrow(() -> new IllegalStateException("dead letters need record metadata"));
        send(context, metrics, origin.topic(), origin.partition(), origin.offset(), utf8(record.key()), record.value(), e);
    }

    /** A dead letter for a record processed earlier (its origin noted then), e.g. a frame that waited for a batch. */
    static void send(ProcessorContext<String, Object> context, NarratorMetrics metrics, String topic, int partition, long offset, String key,
            byte[] value, RejectedRecordException e) {
        DeadLetter letter = DeadLetter.newBuilder()
                .setOriginTopic(topic)
                .setOriginPartition(partition)
                .setOriginOffset(offset)
                .setKey(key)
                .setReason(e.reason().name())
                .setMessage(e.getMessage())
                .setPayloadPrefix(ByteBuffer.wrap(value == null ? new byte[0] : Arrays.copyOf(value, Math.min(value.length, PAYLOAD_PREFIX_BYTES))))
                .setPayloadSize(value == null ? -1 : value.length)
                .setTimeMillis(context.currentSystemTimeMs())
                .build();
        metrics.deadLetter(e.reason());
        LOG.warn("dead letter {} from {}-{}@{} key {}: {}", e.reason(), topic, partition, offset, key, e.getMessage());
        context.forward(new Record<String, Object>(key, letter, letter.getTimeMillis()), NarratorTopology.DEAD_LETTER_SINK);
    }

    /**
     * Checks that a record key is a usable stream id: present, valid UTF-8 (two different byte keys must not become
     * one stream by decoding to the same replacement characters), at most {@link StateKeys#MAX_STREAM_ID_BYTES} bytes, no
     * control characters.
     */
    static String requireStreamId(byte[] key) {
        if (key == null || key.length == 0) throw new RejectedRecordException(DeadLetterReason.MISSING_KEY, "the record has no key; the key must be the stream id");
        String id = utf8(key);
        if (id == null)
            throw new RejectedRecordException(DeadLetterReason.INVALID_KEY, "key is not valid UTF-8 (bytes " + hex(key) + "); the key must be the stream id in UTF-8");
        if (key.length > StateKeys.MAX_STREAM_ID_BYTES)
            throw new RejectedRecordException(DeadLetterReason.INVALID_KEY, "stream id is longer than " + StateKeys.MAX_STREAM_ID_BYTES + " bytes");
        if (id.chars().anyMatch(Character::isISOControl))
            throw new RejectedRecordException(DeadLetterReason.INVALID_KEY, "stream id contains control characters");
        return id;
    }

    /**
     * Checks that a record is on its key's partition under murmur2 (Kafka's Java producer and Kafka Streams), so that
     * all of a stream's records meet in one task.
     */
    static void requirePartition(byte[] key, String topic, int partition, int partitions) {
        int expected = BuiltInPartitioner.partitionForKey(key, partitions);
        if (partition != expected)
            throw new RejectedRecordException(DeadLetterReason.WRONG_PARTITION, "key '" + utf8(key) + "' belongs to partition " + expected + " of " + partitions
                    + " of " + topic + " under murmur2 (the Java client's and Kafka Streams' partitioner), but the record is on partition " + partition
                    + ": produce with a murmur2 partitioner (librdkafka: partitioner=murmur2_random)");
    }

    /** The key as text when it is valid UTF-8, else null. */
    static String utf8(byte[] key) {
        if (key == null) return null;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(key)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String hex(byte[] bytes) {
        String shown = HexFormat.ofDelimiter(" ").formatHex(bytes, 0, Math.min(bytes.length, 64));
        return bytes.length > 64 ? shown + " ... (" + bytes.length + " bytes)" : shown;
    }

    /** Checks that the stream id inside a record is its key. */
    static void requireSameStream(String key, String streamId) {
        if (!key.equals(streamId))
            throw new RejectedRecordException(DeadLetterReason.KEY_MISMATCH, "key '" + key + "' but streamId '" + streamId + "'");
    }

    /** Checks an input value's size against {@code max.record.bytes}. */
    static void requireSize(byte[] value, int maxRecordBytes) {
        if (value == null) throw new RejectedRecordException(DeadLetterReason.NOT_AVRO, "the record has no value");
        if (value.length > maxRecordBytes)
            throw new RejectedRecordException(DeadLetterReason.RECORD_TOO_LARGE, value.length + " bytes exceeds max.record.bytes=" + maxRecordBytes);
    }

    /** Decodes an Avro value, naming what is wrong when it is not the expected record. */
    static <T extends org.apache.avro.specific.SpecificRecordBase> T decode(AvroSerde<T> serde, byte[] value) {
        try {
            return serde.decode(value);
        } catch (AvroSerde.UnknownSchemaException e) {
            throw new RejectedRecordException(DeadLetterReason.UNKNOWN_SCHEMA_ID, e.getMessage(), e);
        } catch (AvroSerde.AvroFormatException e) {
            throw new RejectedRecordException(DeadLetterReason.NOT_AVRO, e.getMessage(), e);
        }
    }

    /** Checks an event time against zero and {@code max.timestamp.micros}. */
    static void requireTimestamp(String field, long micros, long maxMicros) {
        if (micros < 0) throw new RejectedRecordException(DeadLetterReason.NEGATIVE_TIMESTAMP, field + " is negative: " + micros + " µs");
        if (micros > maxMicros)
            throw new RejectedRecordException(DeadLetterReason.ABSURD_TIMESTAMP, field + " " + micros + " µs is beyond max.timestamp.micros="
                    + maxMicros + " (nanoseconds sent as microseconds?)");
    }
}
