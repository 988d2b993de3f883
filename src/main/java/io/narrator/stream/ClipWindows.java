package io.narrator.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The clip windows of one stream, computed in memory frame by frame with the {@link WindowRule} that
 * {@link ClipWindowProcessor} applies to its state stores; {@link #flush()} closes the last partial window, as the idle
 * timeout does. What {@code narrator caption} narrates a file with, so offline captions cover the same windows as
 * streaming ones.
 *
 * <p>Frames must come in increasing time order (the sampler guarantees it). Not thread-safe.
 *
 * @param <T> what is kept per frame (vision features, images, ...)
 */
public final class ClipWindows<T> {

    /** A closed window: its index in the stream, bounds, and frames in time order. */
    public record Clip<T>(long index, long startMicros, long endMicros, List<Long> timestamps, List<T> frames) {
        public Clip {
            if (endMicros <= startMicros) throw new IllegalArgumentException("a clip window must end after it starts");
            timestamps = List.copyOf(timestamps);
            frames = List.copyOf(frames);
            if (timestamps.isEmpty() || timestamps.size() != frames.size())
                throw new IllegalArgumentException("a clip needs one or more frames, each with a timestamp");
        }
    }

    private record Frame<T>(long timestampMicros, T payload) {}

    private final long windowMicros;
    private final long hopMicros;
    private final long phaseMicros;
    private final int maxFrames;
    private final Deque<Frame<T>> frames = new ArrayDeque<>();
    private long nextEndMicros = Long.MIN_VALUE;
    private long nextIndex;
    private long lastMicros = Long.MIN_VALUE;

    /**
     * @param windowSeconds length of a clip ({@code window.seconds})
     * @param hopSeconds a clip every hop seconds ({@code hop.seconds}), at most the window
     * @param maxFrames most frames the model takes per clip; older frames of a fuller window are left out
     * @param phaseMicros offset of the window ends from the multiples of the hop, in {@code [0, hop)}
     */
    public ClipWindows(int windowSeconds, int hopSeconds, int maxFrames, long phaseMicros) {
        if (windowSeconds <= 0 || hopSeconds <= 0)
            throw new IllegalArgumentException("window and hop must be positive, got " + windowSeconds + " s and " + hopSeconds + " s");
        if (hopSeconds > windowSeconds)
            throw new IllegalArgumentException("hop " + hopSeconds + " s is longer than window " + windowSeconds + " s: frames between windows would never be narrated");
        if (maxFrames <= 0) throw new IllegalArgumentException("maxFrames must be positive, got " + maxFrames);
        this.windowMicros = windowSeconds * 1_000_000L;
        this.hopMicros = hopSeconds * 1_000_000L;
        if (phaseMicros < 0 || phaseMicros >= hopMicros)
            throw new IllegalArgumentException("window phase must be in [0, hop), got " + phaseMicros + " us for a hop of " + hopSeconds + " s");
        this.phaseMicros = phaseMicros;
        this.maxFrames = maxFrames;
    }

    /**
     * Adds the next frame and returns the windows it closes, in order (often none).
     *
     * @throws IllegalArgumentException if the frame is not later than the previous one
     */
    public List<Clip<T>> add(long timestampMicros, T payload) {
        if (timestampMicros < 0) throw new IllegalArgumentException("event times must be >= 0, got " + timestampMicros + " us");
        if (timestampMicros <= lastMicros)
            throw new IllegalArgumentException("frames must come in increasing time order: " + timestampMicros + " us after " + lastMicros + " us");
        lastMicros = timestampMicros;
        if (nextEndMicros == Long.MIN_VALUE) nextEndMicros = WindowRule.endAfter(timestampMicros, hopMicros, phaseMicros);
        WindowRule.Advance advance = WindowRule.advance(nextEndMicros, timestampMicros, windowMicros, hopMicros, phaseMicros, this::firstAtOrAfter);
        List<Clip<T>> closed = new ArrayList<>();
        for (WindowRule.Window w : advance.closed()) closed.add(clipOf(w));
        nextEndMicros = advance.nextEndMicros();
        dropBefore(nextEndMicros - windowMicros);
        frames.addLast(new Frame<>(timestampMicros, payload));
        return closed;
    }

    /** Closes the last partial window when it has frames: the end of a file, or a stream gone idle. */
    public Optional<Clip<T>> flush() {
        if (nextEndMicros == Long.MIN_VALUE || !WindowRule.holdsFrames(nextEndMicros, windowMicros, this::firstAtOrAfter)) return Optional.empty();
        Clip<T> clip = clipOf(new WindowRule.Window(nextEndMicros - windowMicros, nextEndMicros));
        nextEndMicros += hopMicros;
        dropBefore(nextEndMicros - windowMicros);
        return Optional.of(clip);
    }

    private OptionalLong firstAtOrAfter(long micros) {
        for (Frame<T> f : frames) if (f.timestampMicros() >= micros) return OptionalLong.of(f.timestampMicros());
        return OptionalLong.empty();
    }

    private void dropBefore(long micros) {
        while (!frames.isEmpty() && frames.peekFirst().timestampMicros() < micros) frames.removeFirst();
    }

    private Clip<T> clipOf(WindowRule.Window w) {
        List<Long> times = new ArrayList<>();
        List<T> payloads = new ArrayList<>();
        for (Frame<T> f : frames) {
            if (f.timestampMicros() >= w.startMicros() && f.timestampMicros() < w.endMicros()) {
                times.add(f.timestampMicros());
                payloads.add(f.payload());
            }
        }
        return new Clip<>(nextIndex++, w.startMicros(), w.endMicros(), WindowRule.latest(times, maxFrames), WindowRule.latest(payloads, maxFrames));
    }
}
