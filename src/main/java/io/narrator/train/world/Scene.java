package io.narrator.train.world;

import java.util.ArrayList;
import java.util.List;

/**
 * One scene of the synthetic world and its ground truth: {@code count} identical objects (one shape,
 * colour and size) on a background, all doing one event over {@code durationMicros}. Timing is
 * relative to the duration (progress {@code u = t / duration}), so a clip of any length shows the whole
 * event, and positions are continuous in time, so any frame rate shows the same motion.
 *
 * @param seed the seed the scene was drawn from (see {@link World#scene})
 * @param shape the shape of every object
 * @param colour the colour of every object
 * @param size the nominal size of every object (growing objects end at it, shrinking ones start at it)
 * @param count the number of objects, 1 to 3
 * @param event what every object does
 * @param rgb the exact fill colour (0xRRGGBB), {@code colour} jittered by a few levels
 * @param background the background
 * @param layout positions, radius and motion
 * @param durationMicros the length of the scene in microseconds
 */
public record Scene(
        long seed,
        Shape shape,
        Colour colour,
        Size size,
        int count,
        Event event,
        int rgb,
        Background background,
        Layout layout,
        long durationMicros) {

    /** The smallest count a scene can have. */
    public static final int MIN_COUNT = 1;
    /** The largest count a scene can have. */
    public static final int MAX_COUNT = 3;
    /** Growing objects start at, and shrinking objects end at, this fraction of their radius. */
    public static final double MIN_SCALE = 0.5;

    public Scene {
        if (shape == null || colour == null || size == null || event == null || background == null || layout == null)
            throw new IllegalArgumentException("scene shape, colour, size, event, background and layout must not be null");
        if (count < MIN_COUNT || count > MAX_COUNT)
            throw new IllegalArgumentException("count must be in [" + MIN_COUNT + ", " + MAX_COUNT + "], got " + count);
        if (layout.starts().size() != count)
            throw new IllegalArgumentException("layout places " + layout.starts().size() + " objects but count is " + count);
        if ((rgb & ~0xFFFFFF) != 0) throw new IllegalArgumentException("rgb must be 0xRRGGBB, got 0x" + Integer.toHexString(rgb));
        if (Colour.nearest(rgb) != colour)
            throw new IllegalArgumentException("rgb 0x" + Integer.toHexString(rgb) + " looks " + Colour.nearest(rgb).word() + ", not " + colour.word());
        if (layout.radius() < size.minRadius() - 1e-9 || layout.radius() > size.maxRadius() + 1e-9)
            throw new IllegalArgumentException("radius " + layout.radius() + " is not " + size.word() + ": must be in ["
                    + size.minRadius() + ", " + size.maxRadius() + "]");
        boolean moves = layout.dx() != 0 || layout.dy() != 0;
        if (event.isMotion() != moves
                || (event.isMotion() && (Math.signum(layout.dx()) != event.dx() || Math.signum(layout.dy()) != event.dy())))
            throw new IllegalArgumentException("layout displacement (" + layout.dx() + ", " + layout.dy() + ") does not match event " + event);
        if (durationMicros <= 0) throw new IllegalArgumentException("scene duration must be positive, got " + durationMicros + " µs");
    }

    /** The same scene stretched or squeezed to another duration: the whole event still happens. */
    public Scene withDuration(long newDurationMicros) {
        return new Scene(seed, shape, colour, size, count, event, rgb, background, layout, newDurationMicros);
    }

    /** The progress {@code t / duration} in [0, 1] at scene time {@code tMicros}. */
    public double progress(long tMicros) {
        if (tMicros < 0 || tMicros > durationMicros)
            throw new IllegalArgumentException("time " + tMicros + " µs is outside the scene [0, " + durationMicros + "] µs");
        return (double) tMicros / durationMicros;
    }

    /** Whether the objects are visible at scene time {@code tMicros}. */
    public boolean visibleAt(long tMicros) {
        double u = progress(tMicros);
        return switch (event) {
            case APPEAR -> u >= layout.switchAt();
            case DISAPPEAR -> u < layout.switchAt();
            default -> true;
        };
    }

    /** The objects visible at scene time {@code tMicros} (empty before an appearance or after a disappearance). */
    public List<ObjectState> objectsAt(long tMicros) {
        if (!visibleAt(tMicros)) return List.of();
        double u = progress(tMicros);
        double scale = switch (event) {
            case GROW -> MIN_SCALE + (1 - MIN_SCALE) * u;
            case SHRINK -> 1 - (1 - MIN_SCALE) * u;
            default -> 1;
        };
        List<ObjectState> objects = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Position start = layout.starts().get(i);
            double x = start.x() + layout.dx() * u, y = start.y() + layout.dy() * u;
            if (!event.isMotion()) {
                double phase = 2 * Math.PI * (layout.wobblePhase() + 0.37 * i);
                x += Layout.WOBBLE * Math.sin(2 * Math.PI * 2 * u + phase);
                y += Layout.WOBBLE * Math.cos(2 * Math.PI * 1.5 * u + phase);
            }
            objects.add(new ObjectState(x, y, layout.radius() * scale));
        }
        return objects;
    }
}
