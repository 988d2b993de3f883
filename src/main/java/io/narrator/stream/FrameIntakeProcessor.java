package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.*;

import io.narrator.avro.VideoFrame;
import io.narrator.ingest.FpsSampler;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads raw {@code VideoFrame} bytes: validates them (dead-lettering what is unusable; an image's header is
 * checked here), samples by event time before decoding, and lets the kept frames wait briefly to be decoded
 * and go through the vision encoder in batches ({@code vision.batch.max}, {@code vision.batch.wait.ms}; see
 * {@link FrameKeeper}). A kept frame whose pixels turn out not to decode becomes a dead letter then.
 */
final class FrameIntakeProcessor implements Processor<String, byte[], String, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(FrameIntakeProcessor.class);
    private final NarrationEngine engine;
    private final NarratorConfig config;
    private final FpsSampler sampler;
    private final AvroSerde<VideoFrame> serde = AvroSerde.of(VideoFrame.class);
    private ProcessorContext<String, Object> context;
    private FrameKeeper keeper;

    FrameIntakeProcessor(NarrationEngine engine, NarratorConfig config) {
        this.engine = engine;
        this.config = config;
        this.sampler = config.sampler();
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.context = context;
        this.keeper = new FrameKeeper(context, engine.narration(), engine.metrics(), config.visionBatchMax(), this::decode,
                (frame, e) -> DeadLetters.send(context, engine.metrics(), config.topics().frames(), frame.partition(), frame.offset(),
                        frame.streamId(), frame.record(), e));
        context.schedule(Duration.ofMillis(config.visionBatchWaitMs()), PunctuationType.WALL_CLOCK_TIME, now -> keeper.flush());
        List<FrameKeeper.Waiting> waiting = keeper.waitingFrames();
        waiting.forEach(keeper::resume);
        if (!waiting.isEmpty())
            LOG.info("task {}: {} kept frames were waiting for the vision encoder at the last commit", context.taskId(), waiting.size());
    }

    @Override
    public void process(Record<String, byte[]> record) {
        NarratorMetrics metrics = engine.metrics();
        metrics.frameIn("frames");
        try {
            String streamId = DeadLetters.requireStreamId(record.key());
            DeadLetters.requireSize(record.value(), config.maxRecordBytes());
            VideoFrame frame = DeadLetters.decode(serde, record.value());
            DeadLetters.requireSameStream(streamId, frame.getStreamId());
            DeadLetters.requireTimestamp("timestampMicros", frame.getTimestampMicros(), config.maxTimestampMicros());
            FrameEncoding encoding = encoding(frame);
            ImageDecoder.checkDeclared(encoding, frame.getWidth(), frame.getHeight(), frame.getData().remaining(), config.maxPixels());
            FpsSampler.Decision decision = sampler.decide(keeper.lastKept(streamId), frame.getTimestampMicros());
            if (decision != FpsSampler.Decision.KEEP) {
                metrics.framesDropped(decision, 1);
                return;
            }
            ImageDecoder.checkHeader(encoding, Buffers.toArray(frame.getData()), frame.getWidth(), frame.getHeight(), config.maxPixels());
            RecordMetadata origin = context.recordMetadata().orElseThrow(() -> new IllegalStateException("frames need record metadata"));
            keeper.defer(new FrameKeeper.Waiting(streamId, frame.getTimestampMicros(), origin.partition(), origin.offset(), record.timestamp(),
                    record.value()));
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }

    /** Decodes a kept frame's image (its record passed every check in {@link #process}). */
    private FrameKeeper.Kept decode(FrameKeeper.Waiting waiting) {
        VideoFrame frame = DeadLetters.decode(serde, waiting.record());
        long start = System.nanoTime();
        BufferedImage image = ImageDecoder.decode(encoding(frame), Buffers.toArray(frame.getData()), frame.getWidth(), frame.getHeight(),
                config.maxPixels());
        return new FrameKeeper.Kept(frame.getTimestampMicros(), frame.getSequence(), image, (System.nanoTime() - start) / 1000);
    }

    private static FrameEncoding encoding(VideoFrame frame) {
        return FrameEncoding.parse(frame.getEncoding()).orElseThrow(() -> new RejectedRecordException(
                UNKNOWN_ENCODING, "encoding '" + frame.getEncoding() + "' is not one of JPEG, PNG, RAW_RGB24"));
    }
}
