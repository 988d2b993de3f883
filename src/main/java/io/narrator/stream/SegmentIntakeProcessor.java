package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.*;

import io.narrator.avro.VideoSegment;
import io.narrator.ingest.FpsSampler;
import io.narrator.ingest.SegmentDecoder;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Reads raw {@code VideoSegment} bytes: validates them, decodes the segment in memory and keeps the
 * frames the sampler keeps by presentation time, with their vision features computed here, together
 * ({@link FrameKeeper#keepEncoded}); corrupt or truncated segments are dead letters.
 */
final class SegmentIntakeProcessor implements Processor<byte[], byte[], String, Object> {
    private final NarrationEngine engine;
    private final NarratorConfig config;
    private final FpsSampler sampler;
    private final AvroSerde<VideoSegment> serde = AvroSerde.of(VideoSegment.class);
    private ProcessorContext<String, Object> context;
    private FrameKeeper keeper;

    SegmentIntakeProcessor(NarrationEngine engine, NarratorConfig config) {
        this.engine = engine;
        this.config = config;
        this.sampler = config.sampler();
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.keeper = new FrameKeeper(context, engine);
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
            DeadLetters.requireTimestamp("startMicros", segment.getStartMicros(), config.maxTimestampMicros());
            if (segment.getDurationMicros() <= 0)
                throw new RejectedRecordException(INVALID_DURATION, "durationMicros must be positive, got " + segment.getDurationMicros());
            DeadLetters.requireTimestamp("startMicros + durationMicros", segment.getStartMicros() + segment.getDurationMicros(), config.maxTimestampMicros());
            SegmentDecoder.Container container = SegmentDecoder.Container.parse(segment.getContainer()).orElseThrow(() ->
                    new RejectedRecordException(UNKNOWN_ENCODING, "container '" + segment.getContainer() + "' is not one of MPEGTS, FMP4"));
            long last = keeper.lastKept(streamId);
            if (last != FpsSampler.NONE && segment.getStartMicros() + segment.getDurationMicros() <= last) {
                metrics.framesDropped(FpsSampler.Decision.DROP_LATE, 1);
                return; // the whole segment is older than what was kept: not even decoded
            }
            SegmentDecoder.Result result;
            try {
                result = SegmentDecoder.decode(container,
                        segment.getInitSegment() == null ? null : Buffers.toArray(segment.getInitSegment()),
                        Buffers.toArray(segment.getData()), segment.getStartMicros(), sampler, last, config.maxPixels());
            } catch (SegmentDecoder.InvalidSegmentException e) {
                throw new RejectedRecordException(e.tooManyPixels() ? TOO_MANY_PIXELS : CORRUPT_SEGMENT, e.getMessage(), e);
            }
            result.dropped().forEach(metrics::framesDropped);
            for (int i = 0; i < result.decodedFrames(); i++) metrics.frameIn("segments");
            keeper.keepEncoded(streamId, result.kept().stream()
                    .map(k -> new FrameKeeper.Kept(k.timestampMicros(), segment.getSequence(), k.image(), k.decodeMicros()))
                    .toList(), record.timestamp());
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }
}
