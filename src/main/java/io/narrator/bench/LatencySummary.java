package io.narrator.bench;

import java.util.Arrays;

/**
 * Percentiles of a set of latencies in milliseconds (nearest-rank: p99 of 100 values is the 99th smallest).
 * An empty set has count 0 and NaN everywhere else.
 */
public record LatencySummary(int count, double p50, double p95, double p99, double max, double mean) {

    /** The summary of {@code millis} (any order; the array is not changed). */
    public static LatencySummary of(double[] millis) {
        if (millis.length == 0) return new LatencySummary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        return new LatencySummary(sorted.length, rank(sorted, 0.50), rank(sorted, 0.95), rank(sorted, 0.99), sorted[sorted.length - 1],
                Arrays.stream(sorted).average().orElse(Double.NaN));
    }

    /** The nearest-rank percentile {@code q} in (0, 1] of sorted values. */
    static double rank(double[] sorted, double q) {
        int index = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
