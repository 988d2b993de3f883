package io.narrator.stream;

import io.narrator.avro.state.StoredFrame;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The common end of frame and segment intake: computes the vision features of kept frames once,
 * stores them, records the new last-kept time and tells the clip windows, in time order.
 *
 * <p>Frames from the frames topic can wait for company ({@link #defer}): the vision encoder costs several
 * times less per frame in batches than one frame at a time, and frames of many streams arrive together
 * (every stream keeps the first frame of each second). A waiting frame's record is kept in the
 * {@link NarratorStores#UNENCODED} store, so that a commit while it waits never loses it: after a restart
 * {@link #waiting()} lists what to decode and {@link #defer} again. The batch is encoded when
 * {@code vision.batch.max} frames wait, or at {@link #flush()} (a wall-clock punctuator, every
 * {@code vision.batch.wait.ms}).
 */
final class FrameKeeper {
    /** A decoded frame that sampling kept. */
    record Kept(long timestampMicros, long sequence, BufferedImage image, long decodeMicros) {}

    /** A kept frame waiting for its batch. */
    private record Waiting(String streamId, Kept frame, long recordTimestamp) {}

    private final ProcessorContext<String, Object> context;
    private final Narration narration;
    private final NarratorMetrics metrics;
    private final int batchMax;
    private final KeyValueStore<String, Long> sampling;
    private final KeyValueStore<Bytes, StoredFrame> features;
    private final KeyValueStore<Bytes, byte[]> unencoded;
    private final List<Waiting> waiting = new ArrayList<>();

    /** A keeper that encodes each frame as it comes (segment intake: a segment's kept frames are a batch already). */
    FrameKeeper(ProcessorContext<String, Object> context, Narration narration, NarratorMetrics metrics) {
        this(context, narration, metrics, 1);
    }

    /** A keeper that lets frames given to {@link #defer} wait until {@code batchMax} of them can be encoded together. */
    FrameKeeper(ProcessorContext<String, Object> context, Narration narration, NarratorMetrics metrics, int batchMax) {
        if (batchMax < 1) throw new IllegalArgumentException("vision.batch.max must be >= 1, got " + batchMax);
        this.context = context;
        this.narration = narration;
        this.metrics = metrics;
        this.batchMax = batchMax;
        this.sampling = context.getStateStore(NarratorStores.SAMPLING);
        this.features = context.getStateStore(NarratorStores.FEATURES);
        this.unencoded = batchMax > 1 ? context.getStateStore(NarratorStores.UNENCODED) : null;
    }

    /** Event time of the last frame kept for the stream, or {@link io.narrator.ingest.FpsSampler#NONE}. */
    long lastKept(String streamId) {
        Long last = sampling.get(streamId);
        return last == null ? io.narrator.ingest.FpsSampler.NONE : last;
    }

    /** Encodes, stores and forwards {@code frames} of one stream now, in one batch. */
    void keep(String streamId, List<Kept> frames, long recordTimestamp) {
        if (frames.isEmpty()) return;
        encode(frames.stream().map(f -> new Waiting(streamId, f, recordTimestamp)).toList());
    }

    /**
     * Keeps one frame whose input record is {@code record}: it counts as kept for sampling at once, waits (its
     * record stored) until a batch is full or the next {@link #flush()}, and is then encoded, stored and forwarded.
     */
    void defer(String streamId, Kept frame, long recordTimestamp, byte[] record) {
        if (batchMax == 1) {
            keep(streamId, List.of(frame), recordTimestamp);
            return;
        }
        unencoded.put(StateKeys.of(streamId, frame.timestampMicros()), record);
        sampling.put(streamId, frame.timestampMicros());
        waiting.add(new Waiting(streamId, frame, recordTimestamp));
        if (waiting.size() >= batchMax) flush();
    }

    /** Puts a frame stored while waiting before a restart back in the queue (it is encoded at the next {@link #flush()}). */
    void resume(String streamId, Kept frame, long recordTimestamp) {
        waiting.add(new Waiting(streamId, frame, recordTimestamp));
    }

    /** Encodes every waiting frame, in batches of at most {@code vision.batch.max} (no-op when none waits). */
    void flush() {
        while (!waiting.isEmpty()) {
            List<Waiting> batch = List.copyOf(waiting.subList(0, Math.min(batchMax, waiting.size())));
            waiting.subList(0, batch.size()).clear();
            encode(batch);
            for (Waiting w : batch) unencoded.delete(StateKeys.of(w.streamId(), w.frame().timestampMicros()));
        }
    }

    /** The records of frames kept but not encoded when the task last committed (after a restart: to decode and defer again). */
    List<byte[]> waitingRecords() {
        List<byte[]> out = new ArrayList<>();
        if (unencoded == null) return out;
        try (var all = unencoded.all()) {
            while (all.hasNext()) out.add(all.next().value);
        }
        return out;
    }

    /** Removes a stored waiting record that can no longer be decoded. */
    void forget(String streamId, long timestampMicros) {
        if (unencoded != null) unencoded.delete(StateKeys.of(streamId, timestampMicros));
    }

    private void encode(List<Waiting> batch) {
        long start = System.nanoTime();
        List<byte[]> encoded = narration.encodeFrames(batch.stream().map(w -> w.frame().image()).toList());
        if (encoded == null || encoded.size() != batch.size())
            throw new IllegalStateException("Narration.encodeFrames returned " + (encoded == null ? "null" : encoded.size())
                    + " features for " + batch.size() + " frames");
        long visionMicros = (System.nanoTime() - start) / 1000 / batch.size();
        for (int i = 0; i < batch.size(); i++) {
            Waiting w = batch.get(i);
            Kept f = w.frame();
            features.put(StateKeys.of(w.streamId(), f.timestampMicros()),
                    new StoredFrame(f.timestampMicros(), f.sequence(), ByteBuffer.wrap(encoded.get(i)), f.decodeMicros(), visionMicros));
            metrics.frameSampled();
            if (lastKept(w.streamId()) < f.timestampMicros()) sampling.put(w.streamId(), f.timestampMicros());
        }
        for (Waiting w : batch)
            context.forward(new Record<String, Object>(w.streamId(), new SampledFrame(w.frame().timestampMicros()), Math.max(0, w.recordTimestamp())),
                    NarratorTopology.CLIP_WINDOWS);
    }
}
