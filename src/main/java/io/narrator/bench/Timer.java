package io.narrator.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Times pieces of work: warm-up runs first, then repeated measured runs; reports the median and mean in
 * milliseconds. {@link #interleaved} times several pieces in turns, so that what they are compared on (a
 * speed-up, a ratio) is measured under the same conditions: a slow minute of a shared machine or a JVM
 * still compiling slows every piece, not only the one that happened to run then.
 */
public final class Timer {
    private Timer() {}

    /** Timing of repeated runs, in milliseconds. */
    public record Timing(double medianMs, double meanMs, double minMs, int runs) {}

    public static Timing time(int warmup, int runs, Runnable work) {
        return time(warmup, runs, work, System::nanoTime);
    }

    /** {@link #time(int, int, Runnable)} on the monotonic clock {@code nanoTime} (nanoseconds, such as {@link System#nanoTime()}). */
    static Timing time(int warmup, int runs, Runnable work, LongSupplier nanoTime) {
        for (int i = 0; i < warmup; i++) work.run();
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) ms[i] = once(work, nanoTime);
        return timing(ms);
    }

    /**
     * Times every piece {@code runs} times, in rounds (each round runs every piece once, in order). First
     * warms up: whole rounds, untimed, until {@code warmupSeconds} have passed, and at least one round unless
     * {@code warmupSeconds} is 0.
     *
     * @return each piece's timing, in the order given
     */
    public static Map<String, Timing> interleaved(Map<String, Runnable> pieces, double warmupSeconds, int runs) {
        return interleaved(pieces, warmupSeconds, runs, System::nanoTime);
    }

    /** {@link #interleaved(Map, double, int)} on the monotonic clock {@code nanoTime} (nanoseconds, such as {@link System#nanoTime()}). */
    static Map<String, Timing> interleaved(Map<String, Runnable> pieces, double warmupSeconds, int runs, LongSupplier nanoTime) {
        if (runs < 1) throw new IllegalArgumentException("runs must be at least 1, got " + runs);
        if (warmupSeconds < 0) throw new IllegalArgumentException("warmupSeconds must be at least 0, got " + warmupSeconds);
        if (warmupSeconds > 0) {
            long until = nanoTime.getAsLong() + (long) (warmupSeconds * 1e9);
            do {
                pieces.values().forEach(Runnable::run);
            } while (nanoTime.getAsLong() < until);
        }
        Map<String, double[]> ms = new LinkedHashMap<>();
        pieces.keySet().forEach(k -> ms.put(k, new double[runs]));
        for (int round = 0; round < runs; round++)
            for (Map.Entry<String, Runnable> e : pieces.entrySet()) ms.get(e.getKey())[round] = once(e.getValue(), nanoTime);
        Map<String, Timing> out = new LinkedHashMap<>();
        ms.forEach((k, v) -> out.put(k, timing(v)));
        return out;
    }

    private static double once(Runnable work, LongSupplier nanoTime) {
        long t0 = nanoTime.getAsLong();
        work.run();
        return (nanoTime.getAsLong() - t0) / 1e6;
    }

    private static Timing timing(double[] ms) {
        int runs = ms.length;
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
        return new Timing(median, Arrays.stream(ms).average().orElse(0), sorted[0], runs);
    }
}
