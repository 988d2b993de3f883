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
 * <p>Frames from the frames topic wait for company ({@link #defer}): the vision encoder costs several times
 * less per frame in batches than one frame at a time, and frames of many streams arrive together (every
 * stream keeps the first frame of each second). A frame counts as kept for sampling at once; its input
 * record waits in the {@link NarratorStores#UNENCODED} store, so that a commit while it waits never loses it
 * (after a restart {@link #waitingFrames()} lists them again). The waiting frames are decoded and encoded
 * together when {@code vision.batch.max} of them wait, or at {@link #flush()} (a wall-clock punctuator, every
 * {@code vision.batch.wait.ms}); decoding then too keeps the intake of a record short, so that the frames of one
 * moment reach the batch together.
 */
final class FrameKeeper {
    /** A decoded frame that sampling kept. */
    record Kept(long timestampMicros, long sequence, BufferedImage image, long decodeMicros) {}

    /**
     * A kept frame waiting for its batch: its input record and where that came from (for a dead letter, should it
     * not decode after all).
     */
    record Waiting(String streamId, long timestampMicros, int partition, long offset, long recordTimestamp, byte[] record) {
        /** The form kept in the store: partition, offset, record timestamp, then the record. */
        byte[] stored() {
            return ByteBuffer.allocate(20 + record.length).putInt(partition).putLong(offset).putLong(recordTimestamp).put(record).array();
        }

        static Waiting fromStored(String streamId, long timestampMicros, byte[] stored) {
            ByteBuffer b = ByteBuffer.wrap(stored);
            int partition = b.getInt();
            long offset = b.getLong();
            long recordTimestamp = b.getLong();
            byte[] record = new byte[b.remaining()];
            b.get(record);
            return new Waiting(streamId, timestampMicros, partition, offset, recordTimestamp, record);
        }
    }

    /** Decodes a waiting frame's record, or rejects it. */
    interface Decoder {
        Kept decode(Waiting frame) throws RejectedRecordException;
    }

    /** What to do with a waiting frame that did not decode. */
    interface Rejects {
        void reject(Waiting frame, RejectedRecordException e);
    }

    private final ProcessorContext<String, Object> context;
    private final Narration narration;
    private final NarratorMetrics metrics;
    private final int batchMax;
    private final KeyValueStore<String, Long> sampling;
    private final KeyValueStore<Bytes, StoredFrame> features;
    private final KeyValueStore<Bytes, byte[]> unencoded;
    private final Decoder decoder;
    private final Rejects rejects;
    private final List<Waiting> waiting = new ArrayList<>();

    /** A keeper that encodes frames as they are given to {@link #keep} (segment intake: a segment's kept frames are a batch already). */
    FrameKeeper(ProcessorContext<String, Object> context, Narration narration, NarratorMetrics metrics) {
        this(context, narration, metrics, 1, null, null);
    }

    /**
     * A keeper whose {@link #defer}red frames wait until {@code batchMax} of them can be decoded by {@code decoder}
     * and encoded together; frames that do not decode go to {@code rejects}.
     */
    FrameKeeper(ProcessorContext<String, Object> context, Narration narration, NarratorMetrics metrics, int batchMax, Decoder decoder,
            Rejects rejects) {
        if (batchMax < 1) throw new IllegalArgumentException("vision.batch.max must be >= 1, got " + batchMax);
        this.context = context;
        this.narration = narration;
        this.metrics = metrics;
        this.batchMax = batchMax;
        this.decoder = decoder;
        this.rejects = rejects;
        this.sampling = context.getStateStore(NarratorStores.SAMPLING);
        this.features = context.getStateStore(NarratorStores.FEATURES);
        this.unencoded = decoder != null ? context.getStateStore(NarratorStores.UNENCODED) : null;
    }

    /** Event time of the last frame kept for the stream, or {@link io.narrator.ingest.FpsSampler#NONE}. */
    long lastKept(String streamId) {
        Long last = sampling.get(streamId);
        return last == null ? io.narrator.ingest.FpsSampler.NONE : last;
    }

    /** Encodes, stores and forwards {@code frames} of one stream now, in one batch. */
    void keep(String streamId, List<Kept> frames, long recordTimestamp) {
        if (frames.isEmpty()) return;
        encode(frames.stream().map(f -> new Decoded(streamId, f, recordTimestamp)).toList());
    }

    /**
     * Keeps a frame: it counts as kept for sampling at once, and waits (its record stored) until a batch is
     * full or the next {@link #flush()}; it is then decoded, encoded, stored and forwarded.
     */
    void defer(Waiting frame) {
        unencoded.put(StateKeys.of(frame.streamId(), frame.timestampMicros()), frame.stored());
        sampling.put(frame.streamId(), frame.timestampMicros());
        waiting.add(frame);
        if (waiting.size() >= batchMax) flush();
    }

    /** The frames that were waiting when the task last committed, in key order (after a restart: to {@link #resume}). */
    List<Waiting> waitingFrames() {
        List<Waiting> out = new ArrayList<>();
        try (var all = unencoded.all()) {
            while (all.hasNext()) {
                var kv = all.next();
                out.add(Waiting.fromStored(StateKeys.streamId(kv.key), StateKeys.number(kv.key), kv.value));
            }
        }
        return out;
    }

    /** Puts a frame that was waiting before a restart back in the queue (it is encoded at the next {@link #flush()}). */
    void resume(Waiting frame) {
        waiting.add(frame);
    }

    /** Decodes and encodes every waiting frame, in batches of at most {@code vision.batch.max} (no-op when none waits). */
    void flush() {
        while (!waiting.isEmpty()) {
            List<Waiting> batch = List.copyOf(waiting.subList(0, Math.min(batchMax, waiting.size())));
            waiting.subList(0, batch.size()).clear();
            List<Decoded> decoded = new ArrayList<>(batch.size());
            for (Waiting w : batch) {
                try {
                    decoded.add(new Decoded(w.streamId(), decoder.decode(w), w.recordTimestamp()));
                } catch (RejectedRecordException e) {
                    rejects.reject(w, e);
                }
            }
            encode(decoded);
            for (Waiting w : batch) unencoded.delete(StateKeys.of(w.streamId(), w.timestampMicros()));
        }
    }

    private record Decoded(String streamId, Kept frame, long recordTimestamp) {}

    private void encode(List<Decoded> batch) {
        if (batch.isEmpty()) return;
        long start = System.nanoTime();
        List<byte[]> encoded = narration.encodeFrames(batch.stream().map(d -> d.frame().image()).toList());
        if (encoded == null || encoded.size() != batch.size())
            throw new IllegalStateException("Narration.encodeFrames returned " + (encoded == null ? "null" : encoded.size())
                    + " features for " + batch.size() + " frames");
        long visionMicros = (System.nanoTime() - start) / 1000 / batch.size();
        for (int i = 0; i < batch.size(); i++) {
            Decoded d = batch.get(i);
            Kept f = d.frame();
            features.put(StateKeys.of(d.streamId(), f.timestampMicros()),
                    new StoredFrame(f.timestampMicros(), f.sequence(), ByteBuffer.wrap(encoded.get(i)), f.decodeMicros(), visionMicros));
            metrics.frameSampled();
            if (lastKept(d.streamId()) < f.timestampMicros()) sampling.put(d.streamId(), f.timestampMicros());
        }
        for (Decoded d : batch)
            context.forward(new Record<String, Object>(d.streamId(), new SampledFrame(d.frame().timestampMicros()), Math.max(0, d.recordTimestamp())),
                    NarratorTopology.CLIP_WINDOWS);
    }
}
