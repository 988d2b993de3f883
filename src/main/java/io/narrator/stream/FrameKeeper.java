package io.narrator.stream;

import io.narrator.avro.state.StoredFrame;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The common end of frame and segment intake: computes the vision features of kept frames once,
 * stores them, records the new last-kept time and tells the clip windows, in time order.
 */
final class FrameKeeper {
    /** A decoded frame that sampling kept. */
    record Kept(long timestampMicros, long sequence, BufferedImage image, long decodeMicros) {}

    private final ProcessorContext<String, Object> context;
    private final Narration narration;
    private final NarratorMetrics metrics;
    private final KeyValueStore<String, Long> sampling;
    private final KeyValueStore<Bytes, StoredFrame> features;

    FrameKeeper(ProcessorContext<String, Object> context, Narration narration, NarratorMetrics metrics) {
        this.context = context;
        this.narration = narration;
        this.metrics = metrics;
        this.sampling = context.getStateStore(NarratorStores.SAMPLING);
        this.features = context.getStateStore(NarratorStores.FEATURES);
    }

    /** Event time of the last frame kept for the stream, or {@link io.narrator.ingest.FpsSampler#NONE}. */
    long lastKept(String streamId) {
        Long last = sampling.get(streamId);
        return last == null ? io.narrator.ingest.FpsSampler.NONE : last;
    }

    void keep(String streamId, List<Kept> frames, long recordTimestamp) {
        if (frames.isEmpty()) return;
        long start = System.nanoTime();
        List<byte[]> encoded = narration.encodeFrames(frames.stream().map(Kept::image).toList());
        if (encoded == null || encoded.size() != frames.size())
            throw new IllegalStateException("Narration.encodeFrames returned " + (encoded == null ? "null" : encoded.size())
                    + " features for " + frames.size() + " frames");
        long visionMicros = (System.nanoTime() - start) / 1000 / frames.size();
        for (int i = 0; i < frames.size(); i++) {
            Kept f = frames.get(i);
            features.put(StateKeys.of(streamId, f.timestampMicros()),
                    new StoredFrame(f.timestampMicros(), f.sequence(), ByteBuffer.wrap(encoded.get(i)), f.decodeMicros(), visionMicros));
            metrics.frameSampled();
        }
        sampling.put(streamId, frames.get(frames.size() - 1).timestampMicros());
        for (Kept f : frames)
            context.forward(new Record<String, Object>(streamId, new SampledFrame(f.timestampMicros()), Math.max(0, recordTimestamp)),
                    NarratorTopology.CLIP_WINDOWS);
    }
}
