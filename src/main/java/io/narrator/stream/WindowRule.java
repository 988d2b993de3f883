package io.narrator.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * The rule of clip windows, as pure functions that {@link ClipWindowProcessor} (over its state stores) and
 * {@link ClipWindows} (in memory) both apply. Windows end every hop, at a fixed offset from the multiples of the hop
 * since time zero ({@code end = k * hop + phase}, see {@link WindowPhase}), and hold the frames in {@code [end - window,
 * end)}. A window closes when a frame at or after its end arrives; windows without frames are skipped, and the next end
 * is then the first after the next frame; the last partial window closes when the stream ends or goes idle; a clip
 * keeps at most the model's latest {@code maxFrames} frames. Times are in microseconds.
 */
public final class WindowRule {
    /** The times of a stream's frames, as a lookup: the earliest frame at or after a time. */
    @FunctionalInterface
    public interface FrameTimes {
        OptionalLong firstAtOrAfter(long micros);
    }

    /** A window's bounds: frames in {@code [startMicros, endMicros)}. */
    public record Window(long startMicros, long endMicros) {}

    /** What a frame did: the windows it closed (in order), where the next window ends, and how many empty ones were skipped. */
    public record Advance(List<Window> closed, long nextEndMicros, long emptySkipped) {}

    private WindowRule() {}

    /** The first window end after {@code t} on the grid {@code k * hop + phase}. */
    public static long endAfter(long t, long hopMicros, long phaseMicros) {
        return (Math.floorDiv(t - phaseMicros, hopMicros) + 1) * hopMicros + phaseMicros;
    }

    /** The last window end at or before {@code t} on the grid {@code k * hop + phase}. */
    public static long endAtOrBefore(long t, long hopMicros, long phaseMicros) {
        return Math.floorDiv(t - phaseMicros, hopMicros) * hopMicros + phaseMicros;
    }

    /**
     * A frame at {@code t} arrives at a stream whose next window ends at {@code nextEnd} and whose earlier frames are
     * {@code frames}: the windows it closes and where the next one ends.
     */
    public static Advance advance(long nextEnd, long t, long windowMicros, long hopMicros, long phaseMicros, FrameTimes frames) {
        List<Window> closed = new ArrayList<>();
        long skipped = 0;
        while (nextEnd <= t) {
            if (holdsFrames(nextEnd, windowMicros, frames)) {
                closed.add(new Window(nextEnd - windowMicros, nextEnd));
                nextEnd += hopMicros;
            } else {
                long jumpTo = endAfter(frames.firstAtOrAfter(nextEnd).orElse(t), hopMicros, phaseMicros);
                skipped += (jumpTo - nextEnd) / hopMicros;
                nextEnd = jumpTo;
            }
        }
        return new Advance(closed, nextEnd, skipped);
    }

    /** Whether the window ending at {@code end} holds a frame: what decides if an idle stream's last window closes. */
    public static boolean holdsFrames(long end, long windowMicros, FrameTimes frames) {
        OptionalLong first = frames.firstAtOrAfter(end - windowMicros);
        return first.isPresent() && first.getAsLong() < end;
    }

    /** The frames a clip keeps: the latest {@code maxFrames} of a window's frames (in time order). */
    public static <T> List<T> latest(List<T> frames, int maxFrames) {
        return frames.size() > maxFrames ? frames.subList(frames.size() - maxFrames, frames.size()) : frames;
    }
}
