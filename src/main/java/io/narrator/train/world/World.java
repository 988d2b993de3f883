package io.narrator.train.world;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The space scenes are drawn from: which shapes, colours, sizes, counts and events occur, and how often
 * a background is textured. Every scene is a pure function of this world and a {@code long} seed; each
 * attribute is drawn uniformly from its list. {@link #DEFAULT} holds every value.
 */
public record World(
        List<Shape> shapes,
        List<Colour> colours,
        List<Size> sizes,
        List<Integer> counts,
        List<Event> events,
        double texturedFraction) {

    /** Every shape, colour, size, count 1–3 and event; 60% of backgrounds textured. */
    public static final World DEFAULT = new World(
            List.of(Shape.values()), List.of(Colour.values()), List.of(Size.values()), List.of(1, 2, 3), List.of(Event.values()), 0.6);

    /**
     * One large still object on a plain background: frames among which only shape and colour differ (half of every
     * vision-stage batch, and a part of the world {@code narrator model probe --scenes easy} reads).
     */
    public static final World EASY = DEFAULT.withSizes(Size.LARGE).withCounts(1).withEvents(Event.STAY).withTexturedFraction(0.0);

    /** One small still object on a plain background. */
    public static final World SMALL_EASY = EASY.withSizes(Size.SMALL);

    /** How far a scene's colour may stray from its palette colour, per channel. */
    static final int COLOUR_JITTER = 8;

    public World {
        shapes = distinctNonEmpty("shapes", shapes);
        colours = distinctNonEmpty("colours", colours);
        sizes = distinctNonEmpty("sizes", sizes);
        counts = distinctNonEmpty("counts", counts);
        events = distinctNonEmpty("events", events);
        for (int c : counts)
            if (c < Scene.MIN_COUNT || c > Scene.MAX_COUNT)
                throw new IllegalArgumentException("counts must be in [" + Scene.MIN_COUNT + ", " + Scene.MAX_COUNT + "], got " + c);
        if (!(texturedFraction >= 0 && texturedFraction <= 1))
            throw new IllegalArgumentException("texturedFraction must be in [0, 1], got " + texturedFraction);
    }

    /** This world with only the given events (e.g. without growing and shrinking). */
    public World withEvents(Event first, Event... rest) {
        return new World(shapes, colours, sizes, counts, List.copyOf(EnumSet.of(first, rest)), texturedFraction);
    }

    /** This world with only the given sizes. */
    public World withSizes(Size first, Size... rest) {
        return new World(shapes, colours, List.copyOf(EnumSet.of(first, rest)), counts, events, texturedFraction);
    }

    /** This world with only the given object counts, in this order. */
    public World withCounts(int first, int... rest) {
        List<Integer> c = new ArrayList<>(List.of(first));
        for (int r : rest) c.add(r);
        return new World(shapes, colours, sizes, c, events, texturedFraction);
    }

    /** This world with another share of textured backgrounds (0: all plain, 1: all textured). */
    public World withTexturedFraction(double fraction) {
        return new World(shapes, colours, sizes, counts, events, fraction);
    }

    /** The scene drawn from {@code seed}, lasting {@code durationMicros}. */
    public Scene scene(long seed, long durationMicros) {
        if (durationMicros <= 0) throw new IllegalArgumentException("scene duration must be positive, got " + durationMicros + " µs");
        SplittableRandom random = new SplittableRandom(seed);
        Shape shape = pick(random, shapes);
        Colour colour = pick(random, colours);
        Size size = pick(random, sizes);
        int count = pick(random, counts);
        Event event = pick(random, events);
        int rgb = jitter(random, colour.rgb());
        double radius = size.minRadius() + (size.maxRadius() - size.minRadius()) * random.nextDouble();
        Background background = Background.random(random.split(), texturedFraction);
        Layout layout = LayoutSampler.sample(random.split(), count, radius, event);
        return new Scene(seed, shape, colour, size, count, event, rgb, background, layout, durationMicros);
    }

    /**
     * An episode of {@code sceneCount} scenes played back to back, each lasting {@code sceneDurationMicros};
     * scene seeds are drawn from {@code seed}.
     */
    public Episode episode(long seed, int sceneCount, long sceneDurationMicros) {
        if (sceneCount < 1) throw new IllegalArgumentException("an episode needs at least one scene, got " + sceneCount);
        List<Long> durations = new ArrayList<>(sceneCount);
        for (int i = 0; i < sceneCount; i++) durations.add(sceneDurationMicros);
        return episode(seed, durations);
    }

    /** An episode of scenes with the given durations, played back to back; scene seeds are drawn from {@code seed}. */
    public Episode episode(long seed, List<Long> sceneDurationsMicros) {
        if (sceneDurationsMicros == null || sceneDurationsMicros.isEmpty())
            throw new IllegalArgumentException("an episode needs at least one scene duration");
        SplittableRandom seeds = new SplittableRandom(seed);
        List<Scene> scenes = new ArrayList<>(sceneDurationsMicros.size());
        for (long duration : sceneDurationsMicros) scenes.add(scene(seeds.nextLong(), duration));
        return new Episode(scenes);
    }

    private static <T> T pick(SplittableRandom random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static int jitter(SplittableRandom random, int rgb) {
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int channel = ((rgb >> shift) & 0xFF) + random.nextInt(-COLOUR_JITTER, COLOUR_JITTER + 1);
            out |= Math.max(0, Math.min(255, channel)) << shift;
        }
        return out;
    }

    private static <T> List<T> distinctNonEmpty(String name, List<T> values) {
        if (values == null || values.isEmpty()) throw new IllegalArgumentException("world " + name + " must not be empty");
        for (T v : values) if (v == null) throw new IllegalArgumentException("world " + name + " must not contain null");
        if (new HashSet<>(values).size() != values.size()) throw new IllegalArgumentException("world " + name + " must not repeat a value: " + values);
        return List.copyOf(values);
    }
}
