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

/**
 * Reads raw {@code VideoFrame} bytes: validates them (dead-lettering what is unusable), samples by
 * event time before decoding, and decodes only the kept frames, which then wait briefly to go through the
 * vision encoder in batches ({@code vision.batch.max}, {@code vision.batch.wait.ms}; see {@link FrameKeeper}).
 */
final class FrameIntakeProcessor implements Processor<String, byte[], String, Object> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FrameIntakeProcessor.class);
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
        this.keeper = new FrameKeeper(context, engine.narration(), engine.metrics(), config.visionBatchMax());
        if (config.visionBatchMax() > 1) {
            context.schedule(Duration.ofMillis(config.visionBatchWaitMs()), PunctuationType.WALL_CLOCK_TIME, now -> keeper.flush());
            resumeWaitingFrames();
        }
    }

    /** Frames kept but not yet encoded at the last commit (this task ran elsewhere, or crashed): decoded again, encoded at the first flush. */
    private void resumeWaitingFrames() {
        List<byte[]> records = keeper.waitingRecords();
        for (byte[] value : records) {
            VideoFrame frame = serde.decode(value);
            try {
                FrameEncoding encoding = FrameEncoding.parse(frame.getEncoding()).orElseThrow();
                BufferedImage image = ImageDecoder.decode(
                        encoding, Buffers.toArray(frame.getData()), frame.getWidth(), frame.getHeight(), config.maxPixels());
                keeper.resume(frame.getStreamId(), new FrameKeeper.Kept(frame.getTimestampMicros(), frame.getSequence(), image, 0),
                        frame.getTimestampMicros() / 1000);
            } catch (RuntimeException e) {
                // it was decoded once before it was stored, so this cannot happen unless the store is damaged
                LOG.error("task {}: dropping a stored frame of stream {} at {} µs that no longer decodes", context.taskId(),
                        frame.getStreamId(), frame.getTimestampMicros(), e);
                keeper.forget(frame.getStreamId(), frame.getTimestampMicros());
            }
        }
        if (!records.isEmpty()) LOG.info("task {}: {} kept frames were waiting for the vision encoder at the last commit", context.taskId(), records.size());
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
            FrameEncoding encoding = FrameEncoding.parse(frame.getEncoding()).orElseThrow(() -> new RejectedRecordException(
                    UNKNOWN_ENCODING, "encoding '" + frame.getEncoding() + "' is not one of JPEG, PNG, RAW_RGB24"));
            ImageDecoder.checkDeclared(encoding, frame.getWidth(), frame.getHeight(), frame.getData().remaining(), config.maxPixels());
            FpsSampler.Decision decision = sampler.decide(keeper.lastKept(streamId), frame.getTimestampMicros());
            if (decision != FpsSampler.Decision.KEEP) {
                metrics.framesDropped(decision, 1);
                return;
            }
            long start = System.nanoTime();
            BufferedImage image = ImageDecoder.decode(
                    encoding, Buffers.toArray(frame.getData()), frame.getWidth(), frame.getHeight(), config.maxPixels());
            long decodeMicros = (System.nanoTime() - start) / 1000;
            keeper.defer(streamId, new FrameKeeper.Kept(frame.getTimestampMicros(), frame.getSequence(), image, decodeMicros),
                    record.timestamp(), record.value());
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }
}
