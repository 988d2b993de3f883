package io.narrator.train.world;

import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;

/**
 * The shape of a scene's objects. Every outline fits in the square of half-side {@code r} around its
 * centre, so a layout that keeps centres {@code r} away from the edges keeps objects inside the frame.
 */
public enum Shape {
    CIRCLE("circle", "circles"),
    SQUARE("square", "squares"),
    TRIANGLE("triangle", "triangles"),
    STAR("star", "stars"),
    DIAMOND("diamond", "diamonds"),
    CROSS("cross", "crosses");

    private static final double SQUARE_HALF_SIDE = 0.82;
    private static final double TRIANGLE_HALF_HEIGHT = 0.9;
    private static final double STAR_INNER_RADIUS = 0.42;
    private static final double DIAMOND_HALF_WIDTH = 0.7;
    private static final double CROSS_HALF_ARM = 0.32;

    private final String word;
    private final String plural;

    Shape(String word, String plural) {
        this.word = word;
        this.plural = plural;
    }

    /** The singular noun, e.g. "cross". */
    public String word() {
        return word;
    }

    /** The plural noun, e.g. "crosses". */
    public String plural() {
        return plural;
    }

    /** The noun for {@code count} objects. */
    public String noun(int count) {
        return count == 1 ? word : plural;
    }

    /**
     * The outline centred on ({@code cx}, {@code cy}) with bounding half-size {@code r}, in pixels
     * (y grows downwards). Triangle and star point up.
     */
    public java.awt.Shape outline(double cx, double cy, double r) {
        return switch (this) {
            case CIRCLE -> new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r);
            case SQUARE -> {
                double h = SQUARE_HALF_SIDE * r;
                yield new Rectangle2D.Double(cx - h, cy - h, 2 * h, 2 * h);
            }
            case TRIANGLE -> polygon(new double[] {cx, cx + r, cx - r},
                    new double[] {cy - TRIANGLE_HALF_HEIGHT * r, cy + TRIANGLE_HALF_HEIGHT * r, cy + TRIANGLE_HALF_HEIGHT * r});
            case STAR -> star(cx, cy, r);
            case DIAMOND -> polygon(new double[] {cx, cx + DIAMOND_HALF_WIDTH * r, cx, cx - DIAMOND_HALF_WIDTH * r},
                    new double[] {cy - r, cy, cy + r, cy});
            case CROSS -> cross(cx, cy, r);
        };
    }

    private static java.awt.Shape star(double cx, double cy, double r) {
        double[] xs = new double[10];
        double[] ys = new double[10];
        for (int i = 0; i < 10; i++) {
            double radius = i % 2 == 0 ? r : STAR_INNER_RADIUS * r;
            double angle = -Math.PI / 2 + i * Math.PI / 5;
            xs[i] = cx + radius * Math.cos(angle);
            ys[i] = cy + radius * Math.sin(angle);
        }
        return polygon(xs, ys);
    }

    private static java.awt.Shape cross(double cx, double cy, double r) {
        double a = CROSS_HALF_ARM * r;
        return polygon(
                new double[] {cx - a, cx + a, cx + a, cx + r, cx + r, cx + a, cx + a, cx - a, cx - a, cx - r, cx - r, cx - a},
                new double[] {cy - r, cy - r, cy - a, cy - a, cy + a, cy + a, cy + r, cy + r, cy + a, cy + a, cy - a, cy - a});
    }

    private static java.awt.Shape polygon(double[] xs, double[] ys) {
        Path2D.Double path = new Path2D.Double(Path2D.WIND_NON_ZERO, xs.length);
        path.moveTo(xs[0], ys[0]);
        for (int i = 1; i < xs.length; i++) path.lineTo(xs[i], ys[i]);
        path.closePath();
        return path;
    }
}
