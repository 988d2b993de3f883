package io.narrator.bench;

import io.narrator.stream.ClipNarration;
import io.narrator.stream.ClipRequest;
import io.narrator.stream.ModelInfo;
import io.narrator.stream.Narration;
import io.narrator.stream.QuestionRequest;
import io.narrator.stream.QuestionScores;
import io.narrator.stream.QuestionTokens;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Narration} that passes every call on and adds up the time spent in it, wall-clock and CPU of the
 * calling thread: frame encoding (the vision encoder, on the engine's thread, or on a stream thread for segments and
 * prompt examples) and narration (resampler and generation, on the engine's thread). The CPU time is all of a call's work when PyTorch runs each op on the
 * calling thread ({@code ai.djl.pytorch.num_threads=1}); it is unaffected by other processes competing for the
 * cores, which the wall time is not. {@link #close()} does not close the wrapped narration, so one model
 * serves several runs.
 */
final class TimedNarration implements Narration {
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    private final Narration inner;
    private final Meter encode = new Meter();
    private final Meter narrate = new Meter();

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
        return new Totals(encode.nanos.get(), encode.cpuNanos.get(), encode.items.get(), encode.calls.get(), narrate.nanos.get(),
                narrate.cpuNanos.get(), narrate.items.get(), narrate.calls.get());
    }

    /** Wall time, CPU time of the calling thread, items and calls of one kind of call. */
    private static final class Meter {
        final AtomicLong nanos = new AtomicLong();
        final AtomicLong cpuNanos = new AtomicLong();
        final AtomicLong items = new AtomicLong();
        final AtomicLong calls = new AtomicLong();

        <T> T time(int count, java.util.function.Supplier<T> call) {
            long t0 = System.nanoTime();
            long c0 = THREADS.getCurrentThreadCpuTime();
            try {
                return call.get();
            } finally {
                nanos.addAndGet(System.nanoTime() - t0);
                cpuNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - c0);
                items.addAndGet(count);
                calls.incrementAndGet();
            }
        }
    }

    @Override
    public ModelInfo modelInfo() {
        return inner.modelInfo();
    }

    @Override
    public int promptTokens(List<String> exampleTexts) {
        return inner.promptTokens(exampleTexts);
    }

    /** Not timed: stream threads prepare inputs as part of decoding (the captions' decode time includes it). */
    @Override
    public float[] visionInput(BufferedImage frame) {
        return inner.visionInput(frame);
    }

    @Override
    public List<byte[]> encodeVisionInputs(List<float[]> inputs) {
        return encode.time(inputs.size(), () -> inner.encodeVisionInputs(inputs));
    }

    @Override
    public void checkExampleText(String text) {
        inner.checkExampleText(text);
    }

    @Override
    public List<ClipNarration> narrate(List<ClipRequest> clips) {
        return narrate.time(clips.size(), () -> inner.narrate(clips));
    }

    @Override
    public QuestionTokens questionTokens(String text, List<String> answers) {
        return inner.questionTokens(text, answers);
    }

    @Override
    public List<QuestionScores> answer(List<QuestionRequest> questions) {
        return inner.answer(questions);
    }

    @Override
    public void close() {}
}
