package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.*;

import io.narrator.avro.VideoSegment;
import io.narrator.ingest.FpsSampler;
import io.narrator.ingest.SegmentDecoder;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Reads raw {@code VideoSegment} bytes: validates them (a duration up to {@code max.segment.seconds}, the start
 * against its stream's clock), decodes the segment in memory and keeps the frames the sampler keeps by presentation
 * time as the vision encoder's input (not as images: a segment's kept frames take what the model reads of them), and
 * computes their features here, together ({@link FrameKeeper#keepEncoded}); corrupt or truncated
 * segments, and segments whose presentation times disagree with their duration, are dead letters.
 */
final class SegmentIntakeProcessor implements Processor<byte[], byte[], String, Object> {
    private final NarrationEngine engine;
    private final NarratorConfig config;
    private final FpsSampler sampler;
    private final AvroSerde<VideoSegment> serde;
    private ProcessorContext<String, Object> context;
    private FrameKeeper keeper;

    SegmentIntakeProcessor(NarrationEngine engine, NarratorConfig config, AvroSerde<VideoSegment> serde) {
        this.engine = engine;
        this.serde = serde;
        this.config = config;
        this.sampler = config.sampler();
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.keeper = new FrameKeeper(context, engine, config);
    }

    private org.apache.kafka.streams.processor.api.RecordMetadata origin() {
        return context.recordMetadata().orElseThrow(() -> new IllegalStateException("input records have metadata"));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        NarratorMetrics metrics = engine.metrics();
        try {
            String streamId = DeadLetters.requireStreamId(record.key());
            DeadLetters.requirePartition(record.key(), origin().topic(), origin().partition(), config.topicPartitions());
            DeadLetters.requireSize(record.value(), config.maxRecordBytes());
            VideoSegment segment = DeadLetters.decode(serde, record.value());
            DeadLetters.requireSameStream(streamId, segment.getStreamId());
            long start = segment.getStartMicros();
            long duration = segment.getDurationMicros();
            DeadLetters.requireTimestamp("startMicros", start, config.maxTimestampMicros());
            if (duration <= 0) throw new RejectedRecordException(INVALID_DURATION, "durationMicros must be positive, got " + duration);
            if (duration > config.maxSegmentSeconds() * 1_000_000L)
                throw new RejectedRecordException(INVALID_DURATION, String.format(java.util.Locale.ROOT,
                        "durationMicros %d (%.1f s) is longer than max.segment.seconds=%d", duration, duration / 1e6, config.maxSegmentSeconds()));
            if (duration > config.maxTimestampMicros() - start) // start <= max.timestamp.micros: no overflow
                throw new RejectedRecordException(ABSURD_TIMESTAMP, "startMicros + durationMicros = " + start + " + " + duration
                        + " µs is beyond max.timestamp.micros=" + config.maxTimestampMicros());
            SegmentDecoder.Container container = SegmentDecoder.Container.parse(segment.getContainer()).orElseThrow(() ->
                    new RejectedRecordException(UNKNOWN_ENCODING, "container '" + segment.getContainer() + "' is not one of MPEGTS, FMP4"));
            StreamClocks.Admission admission = keeper.admit(streamId, "startMicros", start);
            long last = keeper.lastKept(streamId, admission);
            if (last != FpsSampler.NONE && start + duration <= last) {
                metrics.framesDropped(FpsSampler.Decision.DROP_LATE, 1);
                return; // the whole segment is older than what was kept: not even decoded
            }
            SegmentDecoder.Decoded<float[]> result;
            try {
                result = SegmentDecoder.decode(new SegmentDecoder.Segment(container,
                        segment.getInitSegment() == null ? null : Buffers.toArray(segment.getInitSegment()),
                        Buffers.toArray(segment.getData()), start, duration), sampler, last, config.maxPixels(), engine.narration()::visionInput);
            } catch (SegmentDecoder.InvalidSegmentException e) {
                throw new RejectedRecordException(switch (e.problem()) {
                    case CORRUPT -> CORRUPT_SEGMENT;
                    case TOO_MANY_PIXELS -> TOO_MANY_PIXELS;
                    case DURATION_MISMATCH -> DURATION_MISMATCH;
                }, e.getMessage(), e);
            }
            result.dropped().forEach(metrics::framesDropped);
            for (int i = 0; i < result.decodedFrames(); i++) metrics.frameIn("segments");
            keeper.keepEncoded(streamId, result.kept().stream()
                    .map(k -> new FrameKeeper.Prepared(k.timestampMicros(), segment.getSequence(), k.frame(), k.decodeMicros()))
                    .toList(), record.timestamp(), admission);
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }
}
