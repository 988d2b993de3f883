package io.narrator.stream;

import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import io.narrator.ingest.EncodedFrame;
import io.narrator.ingest.EncodedSegment;
import io.narrator.ingest.IngestException;
import io.narrator.ingest.IngestSink;
import java.nio.ByteBuffer;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The {@link IngestSink} of {@code narrator ingest}: publishes frames as {@code VideoFrame} and segments as
 * {@code VideoSegment} Avro records to the configured topics, keyed by stream id, with an idempotent
 * producer ({@code acks=all}). A failed send is reported by the next call (or by {@link #close()}) as an
 * {@link IngestException} naming the topic, so ingest stops instead of silently losing video.
 */
public final class KafkaIngestSink implements IngestSink {
    private final Producer<String, byte[]> producer;
    private final Topics topics;
    private final AtomicReference<IngestException> failure = new AtomicReference<>();
    private long frames;
    private long segments;
    private boolean closed;

    /** A sink over an existing producer (closed with the sink). */
    public KafkaIngestSink(Producer<String, byte[]> producer, Topics topics) {
        if (producer == null || topics == null) throw new IllegalArgumentException("producer and topics must not be null");
        this.producer = producer;
        this.topics = topics;
    }

    /** A sink with its own producer for the cluster and topics of {@code config}; records up to {@code max.record.bytes}. */
    public static KafkaIngestSink create(NarratorConfig config) {
        Properties p = config.clientProperties();
        p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(config.maxRecordBytes() + (64 << 10)));
        p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "narrator-ingest");
        try {
            return new KafkaIngestSink(new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer()), Topics.from(config));
        } catch (KafkaException e) {
            throw new IllegalArgumentException("cannot create a Kafka producer: " + rootMessage(e), e);
        }
    }

    @Override
    public void onFrame(EncodedFrame frame) {
        VideoFrame record = VideoFrame.newBuilder()
                .setStreamId(frame.streamId())
                .setSequence(frame.sequence())
                .setTimestampMicros(frame.timestampMicros())
                .setEncoding(frame.encoding().name())
                .setWidth(frame.width())
                .setHeight(frame.height())
                .setData(ByteBuffer.wrap(frame.bytes()))
                .build();
        send(topics.frames(), frame.streamId(), topics.frames().valueSerde().serializer().serialize(topics.frames().name(), record));
        frames++;
    }

    @Override
    public void onSegment(EncodedSegment segment) {
        VideoSegment record = VideoSegment.newBuilder()
                .setStreamId(segment.streamId())
                .setSequence(segment.sequence())
                .setStartMicros(segment.startMicros())
                .setDurationMicros(segment.durationMicros())
                .setContainer(segment.container().name())
                .setInitSegment(segment.initSegment() == null ? null : ByteBuffer.wrap(segment.initSegment()))
                .setData(ByteBuffer.wrap(segment.bytes()))
                .build();
        send(topics.segments(), segment.streamId(), topics.segments().valueSerde().serializer().serialize(topics.segments().name(), record));
        segments++;
    }

    /** Frames handed to the producer so far. */
    public long frames() {
        return frames;
    }

    /** Segments handed to the producer so far. */
    public long segments() {
        return segments;
    }

    /** Sends what is buffered and waits for the broker's acknowledgements; reports a failed send. */
    public void flush() {
        producer.flush();
        rethrow();
    }

    /** Flushes, then closes the producer; reports a send that failed. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            producer.flush();
        } finally {
            producer.close();
        }
        rethrow();
    }

    private void send(Topic<String, ?> topic, String key, byte[] value) {
        rethrow();
        if (closed) throw new IllegalStateException("this sink is closed");
        try {
            producer.send(new ProducerRecord<>(topic.name(), key, value), (metadata, e) -> {
                if (e != null) failure.compareAndSet(null, new IngestException("cannot publish to Kafka topic " + topic.name() + ": " + rootMessage(e), e));
            });
        } catch (KafkaException e) {
            throw new IngestException("cannot publish to Kafka topic " + topic.name() + ": " + rootMessage(e), e);
        }
    }

    private void rethrow() {
        IngestException e = failure.get();
        if (e != null) throw e;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }
}
