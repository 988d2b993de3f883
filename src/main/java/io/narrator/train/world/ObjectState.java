package io.narrator.train.world;

/**
 * One visible object at one instant: its centre in frame-relative coordinates ({@code x} of the width,
 * {@code y} of the height) and its bounding half-size as a fraction of the frame's short side.
 */
public record ObjectState(double x, double y, double radius) {
    public ObjectState {
        if (!Double.isFinite(x) || !Double.isFinite(y)) throw new IllegalArgumentException("object centre must be finite, got (" + x + ", " + y + ")");
        if (!(radius > 0)) throw new IllegalArgumentException("object radius must be positive, got " + radius);
    }

    /** The centre's column in a frame {@code width} pixels wide. */
    public double pixelX(int width) {
        return x * width;
    }

    /** The centre's row in a frame {@code height} pixels high. */
    public double pixelY(int height) {
        return y * height;
    }

    /** The bounding half-size in pixels in a {@code width}×{@code height} frame. */
    public double pixelRadius(int width, int height) {
        return radius * Math.min(width, height);
    }
}
