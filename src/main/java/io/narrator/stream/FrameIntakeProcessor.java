package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.*;

import io.narrator.avro.VideoFrame;
import io.narrator.ingest.FpsSampler;
import java.awt.image.BufferedImage;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Reads raw {@code VideoFrame} bytes: validates them (dead-lettering what is unusable), samples by
 * event time before decoding, and decodes only the kept frames.
 */
final class FrameIntakeProcessor implements Processor<String, byte[], String, Object> {
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
        this.keeper = new FrameKeeper(context, engine.narration(), engine.metrics());
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
            keeper.keep(streamId, List.of(new FrameKeeper.Kept(frame.getTimestampMicros(), frame.getSequence(), image, decodeMicros)),
                    record.timestamp());
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }
}
