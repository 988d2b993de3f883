package io.narrator.train;

/** Linear warm-up to {@code peak}, then cosine decay to {@code peak · floor} at {@code total} steps. */
public record LearningRate(float peak, int warmup, int total, float floor) {
    public LearningRate {
        if (!(peak > 0)) throw new IllegalArgumentException("learning rate must be positive, got " + peak);
        if (warmup < 0 || total < 1) throw new IllegalArgumentException("warmup must be ≥ 0 and total ≥ 1");
        if (floor < 0 || floor > 1) throw new IllegalArgumentException("floor must be in [0, 1]");
    }

    /** The rate for step {@code step} (0-based). */
    public float at(int step) {
        if (step < warmup) return peak * (step + 1) / warmup;
        double progress = Math.min(1.0, (double) (step - warmup) / Math.max(1, total - warmup));
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return (float) (peak * (floor + (1 - floor) * cosine));
    }
}
