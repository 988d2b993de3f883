package io.narrator.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * The clip windows of one stream, computed in memory frame by frame with the rule {@link ClipWindowProcessor}
 * applies to its state stores: windows end every hop, at a fixed offset from the multiples of the hop since time
 * zero ({@code end = k * hop + phase}, see {@link WindowPhase}) and hold the frames in {@code [end - window, end)}; a window closes when a frame at or after its end arrives;
 * windows without frames are skipped; {@link #flush()} closes the last partial window, as the idle timeout
 * does; a clip keeps at most the model's {@code maxFrames} latest frames. What {@code narrator caption}
 * narrates a file with, so offline captions cover the same windows as streaming ones.
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

    /** The first window end after {@code t} on the grid {@code k * hop + phase}. */
    public static long endAfter(long t, long hopMicros, long phaseMicros) {
        return (Math.floorDiv(t - phaseMicros, hopMicros) + 1) * hopMicros + phaseMicros;
    }

    /** The last window end at or before {@code t} on the grid {@code k * hop + phase}. */
    public static long endAtOrBefore(long t, long hopMicros, long phaseMicros) {
        return Math.floorDiv(t - phaseMicros, hopMicros) * hopMicros + phaseMicros;
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
        if (nextEndMicros == Long.MIN_VALUE) nextEndMicros = endAfter(timestampMicros, hopMicros, phaseMicros);
        List<Clip<T>> closed = new ArrayList<>();
        while (nextEndMicros <= timestampMicros) {
            Optional<Clip<T>> clip = clipEndingAt(nextEndMicros);
            if (clip.isEmpty()) {
                long firstAfter = frames.stream().mapToLong(Frame::timestampMicros).filter(t -> t >= nextEndMicros).findFirst().orElse(timestampMicros);
                nextEndMicros = endAfter(firstAfter, hopMicros, phaseMicros);
            } else {
                closed.add(clip.get());
                nextIndex++;
                nextEndMicros += hopMicros;
            }
            while (!frames.isEmpty() && frames.peekFirst().timestampMicros() < nextEndMicros - windowMicros) frames.removeFirst();
        }
        frames.addLast(new Frame<>(timestampMicros, payload));
        return closed;
    }

    /** Closes the last partial window when it has frames: the end of a file, or a stream gone idle. */
    public Optional<Clip<T>> flush() {
        if (nextEndMicros == Long.MIN_VALUE) return Optional.empty();
        Optional<Clip<T>> clip = clipEndingAt(nextEndMicros);
        if (clip.isPresent()) {
            nextIndex++;
            nextEndMicros += hopMicros;
            while (!frames.isEmpty() && frames.peekFirst().timestampMicros() < nextEndMicros - windowMicros) frames.removeFirst();
        }
        return clip;
    }

    private Optional<Clip<T>> clipEndingAt(long end) {
        long start = end - windowMicros;
        List<Long> times = new ArrayList<>();
        List<T> payloads = new ArrayList<>();
        for (Frame<T> f : frames) {
            if (f.timestampMicros() >= start && f.timestampMicros() < end) {
                times.add(f.timestampMicros());
                payloads.add(f.payload());
            }
        }
        if (times.isEmpty()) return Optional.empty();
        if (times.size() > maxFrames) {
            times = times.subList(times.size() - maxFrames, times.size());
            payloads = payloads.subList(payloads.size() - maxFrames, payloads.size());
        }
        return Optional.of(new Clip<>(nextIndex, start, end, times, payloads));
    }
}
