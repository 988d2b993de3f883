package io.narrator.train.world;

/**
 * A point in frame-relative coordinates: {@code x} as a fraction of the width, {@code y} as a fraction
 * of the height (0 at the top), so one layout fits every resolution and aspect ratio.
 */
public record Position(double x, double y) {
    public Position {
        if (!Double.isFinite(x) || !Double.isFinite(y)) throw new IllegalArgumentException("position must be finite, got (" + x + ", " + y + ")");
    }
}
