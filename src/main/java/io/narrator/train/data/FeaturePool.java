package io.narrator.train.data;

import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.Float16;
import io.narrator.model.vision.VisionFeatures;
import io.narrator.train.world.Scene;
import io.narrator.train.world.World;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntConsumer;

/**
 * Clips of the world encoded once by the frozen vision encoder: since the ViT does not change in stage 3,
 * its patch tokens are computed up front (stored at half precision) and every training step reuses them,
 * which makes stage 3 several times faster than encoding each clip's frames again.
 */
public final class FeaturePool {
    /** One clip: its scene and the patch tokens of its frames, (F, P, Dv) as float16 bits. */
    public record Clip(Scene scene, int frames, short[] features) {}

    private final List<Clip> clips;
    private final int patches;
    private final int dim;

    private FeaturePool(List<Clip> clips, int patches, int dim) {
        this.clips = clips;
        this.patches = patches;
        this.dim = dim;
    }

    /**
     * Renders and encodes {@code size} clips from {@code seed}: 8 frames at 1 FPS for three clips in four, 4–7 for
     * the rest (the partial windows of a stream's start and end).
     */
    public static FeaturePool build(FlamingoModel model, World world, long seed, int size, IntConsumer progress) {
        SplittableRandom random = new SplittableRandom(seed);
        TrainingFrames frames = new TrainingFrames(model.config().vision().imageSize());
        int max = model.config().perceiver().maxFrames();
        List<Clip> clips = new ArrayList<>(size);
        int p = model.config().vision().patches();
        int d = model.config().visualDim();
        for (int i = 0; i < size; i++) {
            int f = random.nextInt(4) < 3 ? max : 4 + random.nextInt(Math.max(1, max - 4));
            Scene scene = world.scene(random.nextLong(), f * 1_000_000L);
            List<BufferedImage> images = frames.clip(scene, f, random);
            List<VisionFeatures> features = model.encode(images);
            short[] half = new short[f * p * d];
            for (int k = 0; k < f; k++) {
                float[] v = features.get(k).values();
                for (int j = 0; j < v.length; j++) half[k * p * d + j] = Float16.fromFloat(v[j]);
            }
            clips.add(new Clip(scene, f, half));
            progress.accept(i + 1);
        }
        return new FeaturePool(clips, p, d);
    }

    public int size() {
        return clips.size();
    }

    public Clip get(int i) {
        return clips.get(i);
    }

    /** The clip's features as float32, (F·P·Dv). */
    public float[] floats(Clip clip) {
        float[] out = new float[clip.features().length];
        for (int i = 0; i < out.length; i++) out[i] = Float16.toFloat(clip.features()[i]);
        return out;
    }

    public int patches() {
        return patches;
    }

    public int dim() {
        return dim;
    }
}
