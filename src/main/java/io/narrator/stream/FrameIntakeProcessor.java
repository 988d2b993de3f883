package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.*;

import io.narrator.avro.VideoFrame;
import io.narrator.ingest.FpsSampler;
import io.narrator.avro.state.StoredImage;
import io.narrator.ingest.FrameEncoding;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Reads raw {@code VideoFrame} bytes: validates them (dead-lettering what is unusable; an image's header is
 * checked before its pixels are decoded, its event time against its stream's clock), samples by event time before decoding, then decodes the kept frames and
 * keeps them ({@link FrameKeeper#keepImage}): their image is stored, and the narration engine runs the vision
 * encoder on them, off this thread.
 */
final class FrameIntakeProcessor implements Processor<byte[], byte[], String, Object> {
    private final NarrationEngine engine;
    private final NarratorConfig config;
    private final FpsSampler sampler;
    private final AvroSerde<VideoFrame> serde;
    private ProcessorContext<String, Object> context;
    private FrameKeeper keeper;

    FrameIntakeProcessor(NarrationEngine engine, NarratorConfig config, AvroSerde<VideoFrame> serde) {
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

    private RecordMetadata origin() {
        return context.recordMetadata().orElseThrow(() -> new IllegalStateException("input records have metadata"));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        NarratorMetrics metrics = engine.metrics();
        metrics.frameIn("frames");
        try {
            String streamId = DeadLetters.requireStreamId(record.key());
            DeadLetters.requirePartition(record.key(), origin().topic(), origin().partition(), config.topicPartitions());
            DeadLetters.requireSize(record.value(), config.maxRecordBytes());
            VideoFrame frame = DeadLetters.decode(serde, record.value());
            DeadLetters.requireSameStream(streamId, frame.getStreamId());
            DeadLetters.requireTimestamp("timestampMicros", frame.getTimestampMicros(), config.maxTimestampMicros());
            FrameEncoding encoding = encoding(frame);
            ImageDecoder.checkDeclared(encoding, frame.getWidth(), frame.getHeight(), frame.getData().remaining(), config.maxPixels());
            StreamClocks.Admission admission = keeper.admit(streamId, "timestampMicros", frame.getTimestampMicros());
            FpsSampler.Decision decision = sampler.decide(keeper.lastKept(streamId, admission), frame.getTimestampMicros());
            if (decision != FpsSampler.Decision.KEEP) {
                metrics.framesDropped(decision, 1);
                return;
            }
            byte[] data = Buffers.toArray(frame.getData());
            long start = System.nanoTime();
            BufferedImage image = ImageDecoder.decode(encoding, data, frame.getWidth(), frame.getHeight(), config.maxPixels());
            long decodeMicros = (System.nanoTime() - start) / 1000;
            keeper.keepImage(streamId, new FrameKeeper.Kept(frame.getTimestampMicros(), frame.getSequence(), image, decodeMicros),
                    new StoredImage(encoding.name(), frame.getWidth(), frame.getHeight(), ByteBuffer.wrap(data)), record.timestamp(), admission);
        } catch (RejectedRecordException e) {
            DeadLetters.send(context, metrics, record, e);
        }
    }

    private static FrameEncoding encoding(VideoFrame frame) {
        return FrameEncoding.parse(frame.getEncoding()).orElseThrow(() -> new RejectedRecordException(
                UNKNOWN_ENCODING, "encoding '" + frame.getEncoding() + "' is not one of JPEG, PNG, RAW_RGB24"));
    }
}
