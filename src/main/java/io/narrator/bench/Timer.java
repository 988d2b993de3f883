package io.narrator.bench;

import java.util.Arrays;

/** Times a piece of work: warm-up runs first, then repeated measured runs; reports the median and mean in milliseconds. */
public final class Timer {
    private Timer() {}

    /** Timing of repeated runs, in milliseconds. */
    public record Timing(double medianMs, double meanMs, double minMs, int runs) {}

    public static Timing time(int warmup, int runs, Runnable work) {
        for (int i = 0; i < warmup; i++) work.run();
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            work.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = runs % 2 == 1 ? sorted[runs / 2] : (sorted[runs / 2 - 1] + sorted[runs / 2]) / 2;
        return new Timing(median, Arrays.stream(ms).average().orElse(0), sorted[0], runs);
    }
}
