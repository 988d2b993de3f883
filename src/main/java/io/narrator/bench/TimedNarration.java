package io.narrator.bench;

import io.narrator.stream.ClipNarration;
import io.narrator.stream.ClipRequest;
import io.narrator.stream.ModelInfo;
import io.narrator.stream.Narration;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Narration} that passes every call on and adds up the wall time spent in it: frame encoding
 * (the vision encoder, on the stream threads) and narration (resampler and generation, on the engine's
 * thread). {@link #close()} does not close the wrapped narration, so one model serves several runs.
 */
final class TimedNarration implements Narration {
    private final Narration inner;
    private final AtomicLong encodeNanos = new AtomicLong();
    private final AtomicLong encodedFrames = new AtomicLong();
    private final AtomicLong encodeCalls = new AtomicLong();
    private final AtomicLong narrateNanos = new AtomicLong();
    private final AtomicLong narratedClips = new AtomicLong();
    private final AtomicLong narrateCalls = new AtomicLong();

    TimedNarration(Narration inner) {
        this.inner = inner;
    }

    /** Time and call counts so far. */
    record Totals(long encodeNanos, long encodedFrames, long encodeCalls, long narrateNanos, long narratedClips, long narrateCalls) {}

    Totals totals() {
        return new Totals(encodeNanos.get(), encodedFrames.get(), encodeCalls.get(), narrateNanos.get(), narratedClips.get(), narrateCalls.get());
    }

    @Override
    public ModelInfo modelInfo() {
        return inner.modelInfo();
    }

    @Override
    public List<byte[]> encodeFrames(List<BufferedImage> frames) {
        long t0 = System.nanoTime();
        try {
            return inner.encodeFrames(frames);
        } finally {
            encodeNanos.addAndGet(System.nanoTime() - t0);
            encodedFrames.addAndGet(frames.size());
            encodeCalls.incrementAndGet();
        }
    }

    @Override
    public List<ClipNarration> narrate(List<ClipRequest> clips) {
        long t0 = System.nanoTime();
        try {
            return inner.narrate(clips);
        } finally {
            narrateNanos.addAndGet(System.nanoTime() - t0);
            narratedClips.addAndGet(clips.size());
            narrateCalls.incrementAndGet();
        }
    }

    @Override
    public void close() {}
}
