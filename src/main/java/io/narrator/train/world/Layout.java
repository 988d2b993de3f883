package io.narrator.train.world;

import java.util.List;

/**
 * Where a scene's objects start, how large they are and how they move: centres at progress 0 (frame-
 * relative), one bounding half-size (fraction of the short side; the largest size for growing and
 * shrinking objects), the total displacement over the clip, the progress at which objects appear or
 * disappear, and the phase of the tiny wobble of objects that do not travel.
 *
 * <p>The constructor checks the two guarantees every frame relies on: objects stay fully inside the
 * frame at every instant (at any aspect ratio), and never overlap.
 */
public record Layout(double radius, List<Position> starts, double dx, double dy, double switchAt, double wobblePhase) {

    /**
     * The smallest distance between object centres, in units of {@link #radius()}: outlines stay at
     * least a third of a radius apart (squares, the widest shape, when placed diagonally).
     */
    public static final double MIN_SEPARATION = 2.8;
    /** The gap kept between an object's bounding square and the frame edge, frame-relative. */
    public static final double EDGE_MARGIN = 0.015;
    /** The amplitude of the wobble of objects that do not travel, frame-relative. */
    public static final double WOBBLE = 0.003;

    public Layout {
        if (!(radius > 0 && radius <= 0.2)) throw new IllegalArgumentException("object radius must be in (0, 0.2] of the short side, got " + radius);
        if (starts == null || starts.isEmpty()) throw new IllegalArgumentException("a layout needs at least one object position");
        starts = List.copyOf(starts);
        if (!Double.isFinite(dx) || !Double.isFinite(dy)) throw new IllegalArgumentException("displacement must be finite, got (" + dx + ", " + dy + ")");
        if (!(switchAt > 0 && switchAt < 1)) throw new IllegalArgumentException("switchAt must be in (0, 1), got " + switchAt);
        if (!Double.isFinite(wobblePhase)) throw new IllegalArgumentException("wobblePhase must be finite, got " + wobblePhase);
        double lo = radius + EDGE_MARGIN - 1e-9, hi = 1 - radius - EDGE_MARGIN + 1e-9;
        for (Position p : starts) {
            for (double u : new double[] {0, 1}) {
                double x = p.x() + dx * u, y = p.y() + dy * u;
                if (x < lo || x > hi || y < lo || y > hi)
                    throw new IllegalArgumentException(String.format(
                            "object at (%.3f, %.3f) leaves the frame: centres must stay in [%.3f, %.3f] for radius %.3f", x, y, lo, hi, radius));
            }
        }
        for (int i = 0; i < starts.size(); i++)
            for (int j = i + 1; j < starts.size(); j++) {
                double d = Math.hypot(starts.get(i).x() - starts.get(j).x(), starts.get(i).y() - starts.get(j).y());
                if (d < MIN_SEPARATION * radius - 1e-9)
                    throw new IllegalArgumentException(String.format(
                            "objects %d and %d are %.3f apart, closer than %.1f radii (%.3f): they would overlap", i, j, d, MIN_SEPARATION, MIN_SEPARATION * radius));
            }
    }
}
