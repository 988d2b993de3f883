package io.narrator.train.world;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** Draws a {@link Layout} for a scene: random non-overlapping positions that keep every object inside the frame. */
final class LayoutSampler {

    /** The shortest total travel of a moving object, frame-relative (7/8 of it is visible at 1 FPS over 8 s). */
    static final double MIN_TRAVEL = 0.42;
    /** The longest total travel of a moving object, frame-relative. */
    static final double MAX_TRAVEL = 0.60;
    /** The earliest progress at which objects appear or disappear. */
    static final double MIN_SWITCH = 0.30;
    /** The latest progress at which objects appear or disappear. */
    static final double MAX_SWITCH = 0.65;

    private static final int RESTARTS = 200;
    private static final int TRIES_PER_OBJECT = 40;

    private LayoutSampler() {}

    static Layout sample(RandomGenerator random, int count, double radius, Event event) {
        double travel = event.isMotion() ? MIN_TRAVEL + (MAX_TRAVEL - MIN_TRAVEL) * random.nextDouble() : 0;
        double dx = event.dx() * travel, dy = event.dy() * travel;
        double switchAt = MIN_SWITCH + (MAX_SWITCH - MIN_SWITCH) * random.nextDouble();
        double wobblePhase = random.nextDouble();
        double lo = radius + Layout.EDGE_MARGIN, hi = 1 - radius - Layout.EDGE_MARGIN;
        double xLo = lo + Math.max(0, -dx), xHi = hi - Math.max(0, dx);
        double yLo = lo + Math.max(0, -dy), yHi = hi - Math.max(0, dy);
        double minDistance = Layout.MIN_SEPARATION * radius;
        List<Position> starts = scatter(random, count, xLo, xHi, yLo, yHi, minDistance);
        if (starts == null) starts = spread(random, count, xLo, xHi, yLo, yHi, event);
        return new Layout(radius, starts, dx, dy, switchAt, wobblePhase);
    }

    /** Random positions by rejection, or null when the space is too tight to find them quickly. */
    private static List<Position> scatter(RandomGenerator random, int count, double xLo, double xHi, double yLo, double yHi, double minDistance) {
        for (int restart = 0; restart < RESTARTS; restart++) {
            List<Position> placed = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                Position found = null;
                for (int tries = 0; tries < TRIES_PER_OBJECT && found == null; tries++) {
                    Position p = new Position(xLo + (xHi - xLo) * random.nextDouble(), yLo + (yHi - yLo) * random.nextDouble());
                    if (farFromAll(p, placed, minDistance)) found = p;
                }
                if (found == null) break;
                placed.add(found);
            }
            if (placed.size() == count) return placed;
        }
        return null;
    }

    /**
     * Objects evenly spread across the axis perpendicular to the motion, which always fits: at the
     * largest radius the free length is 0.73 and two gaps of 2.8 radii need 0.672.
     */
    static List<Position> spread(RandomGenerator random, int count, double xLo, double xHi, double yLo, double yHi, Event event) {
        boolean alongY = event.dy() == 0; // horizontal motion or none: stack objects vertically
        double fixed = alongY ? xLo + (xHi - xLo) * random.nextDouble() : yLo + (yHi - yLo) * random.nextDouble();
        List<Position> positions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            double t = count == 1 ? 0.5 : (double) i / (count - 1);
            positions.add(alongY ? new Position(fixed, yLo + (yHi - yLo) * t) : new Position(xLo + (xHi - xLo) * t, fixed));
        }
        return positions;
    }

    private static boolean farFromAll(Position p, List<Position> placed, double minDistance) {
        for (Position q : placed) if (Math.hypot(p.x() - q.x(), p.y() - q.y()) < minDistance) return false;
        return true;
    }
}
