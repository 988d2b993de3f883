package io.narrator.train.data;

import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.Scene;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Renders the world the way a camera would deliver it to the model: a random aspect ratio (square, 4:3,
 * 16:9, portrait 3:4) and a random resolution from the model's size to three times it, so that the
 * letterboxing and area-averaging of the model's preprocessing are seen in training exactly as in use.
 * Not thread-safe (renderers are reused per size).
 */
public final class TrainingFrames {
    private static final double[][] ASPECTS = {{1, 1}, {4, 3}, {16, 9}, {3, 4}};
    private final int modelSize;
    private final Map<Long, FrameRenderer> renderers = new HashMap<>();

    public TrainingFrames(int modelSize) {
        this.modelSize = modelSize;
    }

    /** A frame size for one clip: random aspect and scale, even sides of at least 32. */
    public int[] drawSize(RandomGenerator random) {
        double[] a = ASPECTS[random.nextInt(ASPECTS.length)];
        double scale = 1 + 2 * random.nextDouble() * random.nextDouble(); // mostly near the model size
        double longSide = modelSize * scale;
        int w = (int) Math.round(a[0] >= a[1] ? longSide : longSide * a[0] / a[1]);
        int h = (int) Math.round(a[0] >= a[1] ? longSide * a[1] / a[0] : longSide);
        return new int[] {Math.max(FrameRenderer.MIN_SIDE, w & ~1), Math.max(FrameRenderer.MIN_SIDE, h & ~1)};
    }

    /** One frame of {@code scene} at {@code tMicros}, {@code size[0]}×{@code size[1]}. */
    public BufferedImage frame(Scene scene, long tMicros, int[] size) {
        return renderers.computeIfAbsent(((long) size[0] << 32) | size[1], k -> new FrameRenderer(size[0], size[1])).render(scene, tMicros);
    }

    /**
     * The frames of a clip sampled at 1 FPS: {@code frames} frames at offset, offset + 1 s, … of a scene
     * lasting {@code frames} seconds, the offset within the first second drawn at random.
     */
    public List<BufferedImage> clip(Scene scene, int frames, RandomGenerator random) {
        int[] size = drawSize(random);
        long offset = (long) (random.nextDouble() * 1_000_000L);
        List<BufferedImage> out = new ArrayList<>(frames);
        for (int f = 0; f < frames; f++) out.add(frame(scene, offset + f * 1_000_000L, size));
        return out;
    }
}
