package io.narrator.stream;

import io.narrator.avro.state.StoredFrame;
import io.narrator.avro.state.StoredImage;
import io.narrator.avro.state.StreamClock;
import io.narrator.ingest.FpsSampler;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The common end of frame and segment intake: admits each record's event time against its stream's clock
 * ({@link StreamClocks}), stores each kept frame in the {@link NarratorStores#FRAMES} store, records the new last-kept
 * time and clock, and tells the clip windows, in time order.
 *
 * <p>A frame from the frames topic is stored as its image bytes ({@link #keepImage}); the stream thread only prepares
 * the vision encoder's input and hands it to the narration engine ({@link FrameFeatures#offer}), which encodes it
 * on its own thread. A segment's kept frames, decoded from video here with no compact exact form to store, are
 * encoded at once, together, and stored as features ({@link #keepEncoded}).
 */
final class FrameKeeper {
    /** A decoded frame that sampling kept. */
    record Kept(long timestampMicros, long sequence, BufferedImage image, long decodeMicros) {}

    private final ProcessorContext<String, Object> context;
    private final NarrationEngine engine;
    private final NarratorMetrics metrics;
    private final KeyValueStore<String, Long> sampling;
    private final KeyValueStore<Bytes, StoredFrame> frames;
    private final StreamClocks clocks;

    FrameKeeper(ProcessorContext<String, Object> context, NarrationEngine engine, NarratorConfig config) {
        this.context = context;
        this.engine = engine;
        this.metrics = engine.metrics();
        this.sampling = context.getStateStore(NarratorStores.SAMPLING);
        this.frames = context.getStateStore(NarratorStores.FRAMES);
        KeyValueStore<String, StreamClock> clockStore = context.getStateStore(NarratorStores.CLOCKS);
        this.clocks = new StreamClocks(clockStore, config);
    }

    /**
     * Admits a record's event time against its stream's clock.
     *
     * @throws RejectedRecordException with {@link DeadLetterReason#TIMESTAMP_SKEW} when it is too far from it
     */
    StreamClocks.Admission admit(String streamId, String field, long eventMicros) {
        return clocks.admit(streamId, field, eventMicros, context.currentSystemTimeMs());
    }

    /** Event time of the last frame kept for the stream, or {@link FpsSampler#NONE}. */
    long lastKept(String streamId) {
        Long last = sampling.get(streamId);
        return last == null ? FpsSampler.NONE : last;
    }

    /** What sampling continues from after {@code admission}: the last kept frame, or nothing when the stream restarts. */
    long lastKept(String streamId, StreamClocks.Admission admission) {
        return admission == StreamClocks.Admission.JUMP_BACK ? FpsSampler.NONE : lastKept(streamId);
    }

    /**
     * Keeps a frame of the frames topic: stores its image as it arrived and offers its vision input (prepared from the
     * decoded {@code frame}) to the engine, which encodes it later.
     */
    void keepImage(String streamId, Kept frame, StoredImage image, long recordTimestamp, StreamClocks.Admission admission) {
        long start = System.nanoTime();
        float[] input = engine.narration().visionInput(frame.image());
        long prepareMicros = (System.nanoTime() - start) / 1000;
        StoredFrame stored = new StoredFrame(frame.timestampMicros(), frame.sequence(), image, null, frame.decodeMicros() + prepareMicros, 0L);
        engine.frames().offer(FrameFeatures.Key.of(streamId, frame.timestampMicros(), image), input);
        store(streamId, stored, recordTimestamp, admission == StreamClocks.Admission.JUMP_BACK);
    }

    /** A frame kept from a segment, as the vision encoder's input ({@link Narration#visionInput}). */
    record Prepared(long timestampMicros, long sequence, float[] visionInput, long decodeMicros) {}

    /** Encodes {@code kept} frames of one stream now, in one batch, and stores their features. */
    void keepEncoded(String streamId, List<Prepared> kept, long recordTimestamp, StreamClocks.Admission admission) {
        if (kept.isEmpty()) return;
        long start = System.nanoTime();
        List<byte[]> encoded = engine.narration().encodeVisionInputs(kept.stream().map(Prepared::visionInput).toList());
        if (encoded == null || encoded.size() != kept.size())
            throw new IllegalStateException("Narration.encodeVisionInputs returned " + (encoded == null ? "null" : encoded.size())
                    + " features for " + kept.size() + " frames");
        long visionMicros = (System.nanoTime() - start) / 1000 / kept.size();
        for (int i = 0; i < kept.size(); i++) {
            Prepared f = kept.get(i);
            store(streamId, new StoredFrame(f.timestampMicros(), f.sequence(), null, ByteBuffer.wrap(encoded.get(i)), f.decodeMicros(), visionMicros),
                    recordTimestamp, i == 0 && admission == StreamClocks.Admission.JUMP_BACK);
        }
    }

    private void store(String streamId, StoredFrame frame, long recordTimestamp, boolean clockJumpedBack) {
        long t = frame.getTimestampMicros();
        frames.put(StateKeys.of(streamId, t), frame);
        metrics.frameSampled();
        if (clockJumpedBack || lastKept(streamId) < t) sampling.put(streamId, t);
        clocks.kept(streamId, t, context.currentSystemTimeMs(), clockJumpedBack);
        context.forward(new Record<String, Object>(streamId, new SampledFrame(t, clockJumpedBack), Math.max(0, recordTimestamp)),
                NarratorTopology.CLIP_WINDOWS);
    }
}
