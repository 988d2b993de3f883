package io.narrator.train.world;

/**
 * The size of a scene's objects, as the diameter of the object's bounding circle relative to the
 * short side of the frame: small 11–13%, large 20–24%.
 */
public enum Size {
    SMALL("small", 0.055, 0.065),
    LARGE("large", 0.10, 0.12);

    /** Radii (relative to the short side) below this read as small in a single frame, above it as large. */
    public static final double SMALL_LARGE_BOUNDARY = 0.0825;

    private final String word;
    private final double minRadius;
    private final double maxRadius;

    Size(String word, double minRadius, double maxRadius) {
        this.word = word;
        this.minRadius = minRadius;
        this.maxRadius = maxRadius;
    }

    /** The word the grammar uses for this size. */
    public String word() {
        return word;
    }

    /** The smallest radius a scene of this size draws, as a fraction of the frame's short side. */
    public double minRadius() {
        return minRadius;
    }

    /** The largest radius a scene of this size draws, as a fraction of the frame's short side. */
    public double maxRadius() {
        return maxRadius;
    }

    /** How a radius (fraction of the short side) looks in a single frame. */
    public static Size ofRadius(double radius) {
        return radius < SMALL_LARGE_BOUNDARY ? SMALL : LARGE;
    }
}
