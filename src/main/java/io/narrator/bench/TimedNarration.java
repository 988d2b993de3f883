package io.narrator.bench;

import io.narrator.stream.ClipNarration;
import io.narrator.stream.ClipRequest;
import io.narrator.stream.ModelInfo;
import io.narrator.stream.Narration;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Narration} that passes every call on and adds up the time spent in it, wall-clock and CPU of the
 * calling thread: frame encoding (the vision encoder, on the stream threads) and narration (resampler and
 * generation, on the engine's thread). The CPU time is all of a call's work when PyTorch runs each op on the
 * calling thread ({@code ai.djl.pytorch.num_threads=1}); it is unaffected by other processes competing for the
 * cores, which the wall time is not. {@link #close()} does not close the wrapped narration, so one model
 * serves several runs.
 */
final class TimedNarration implements Narration {
    private final Narration inner;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    private final AtomicLong encodeNanos = new AtomicLong();
    private final AtomicLong encodeCpuNanos = new AtomicLong();
    private final AtomicLong narrateCpuNanos = new AtomicLong();
    private final AtomicLong encodedFrames = new AtomicLong();
    private final AtomicLong encodeCalls = new AtomicLong();
    private final AtomicLong narrateNanos = new AtomicLong();
    private final AtomicLong narratedClips = new AtomicLong();
    private final AtomicLong narrateCalls = new AtomicLong();

    TimedNarration(Narration inner) {
        this.inner = inner;
    }

    /** Time and call counts so far. */
    record Totals(long encodeNanos, long encodeCpuNanos, long encodedFrames, long encodeCalls, long narrateNanos, long narrateCpuNanos,
            long narratedClips, long narrateCalls) {
        Totals minus(Totals o) {
            return new Totals(encodeNanos - o.encodeNanos, encodeCpuNanos - o.encodeCpuNanos, encodedFrames - o.encodedFrames,
                    encodeCalls - o.encodeCalls, narrateNanos - o.narrateNanos, narrateCpuNanos - o.narrateCpuNanos,
                    narratedClips - o.narratedClips, narrateCalls - o.narrateCalls);
        }
    }

    Totals totals() {
        return new Totals(encodeNanos.get(), encodeCpuNanos.get(), encodedFrames.get(), encodeCalls.get(), narrateNanos.get(),
                narrateCpuNanos.get(), narratedClips.get(), narrateCalls.get());
    }

    @Override
    public ModelInfo modelInfo() {
        return inner.modelInfo();
    }

    @Override
    public List<byte[]> encodeFrames(List<BufferedImage> frames) {
        long t0 = System.nanoTime();
        long c0 = THREADS.getCurrentThreadCpuTime();
        try {
            return inner.encodeFrames(frames);
        } finally {
            encodeNanos.addAndGet(System.nanoTime() - t0);
            encodeCpuNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - c0);
            encodedFrames.addAndGet(frames.size());
            encodeCalls.incrementAndGet();
        }
    }

    @Override
    public List<ClipNarration> narrate(List<ClipRequest> clips) {
        long t0 = System.nanoTime();
        long c0 = THREADS.getCurrentThreadCpuTime();
        try {
            return inner.narrate(clips);
        } finally {
            narrateNanos.addAndGet(System.nanoTime() - t0);
            narrateCpuNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - c0);
            narratedClips.addAndGet(clips.size());
            narrateCalls.incrementAndGet();
        }
    }

    @Override
    public void close() {}
}
