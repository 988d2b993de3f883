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

    /** Renders and encodes {@code size} clips from {@code seed}, deterministically. */
    public static FeaturePool build(FlamingoModel model, World world, long seed, int size, IntConsumer progress) {
        int max = model.config().perceiver().maxFrames();
        int p = model.config().vision().tokensPerFrame();
        int d = model.config().visualDim();
        int s = model.config().vision().imageSize();
        int perBatch = 8; // clips encoded together: one vision forward pass of ~64 frames
        List<Clip> clips = new ArrayList<>(size);
        // rendering and preprocessing (Java) run one batch ahead of encoding (PyTorch) on another thread
        java.util.concurrent.ExecutorService renderer = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "pool-render");
            t.setDaemon(true);
            return t;
        });
        try {
            SplittableRandom random = new SplittableRandom(seed);
            TrainingFrames frames = new TrainingFrames(s);
            java.util.function.Supplier<Rendered> next = () -> render(model, world, random, frames, Math.min(perBatch, size), max);
            java.util.concurrent.Future<Rendered> pending = renderer.submit(next::get);
            while (clips.size() < size) {
                Rendered batch = pending.get();
                int remaining = size - clips.size() - batch.scenes().size();
                pending = remaining > 0
                        ? renderer.submit(() -> render(model, world, random, frames, Math.min(perBatch, remaining), max))
                        : null;
                List<VisionFeatures> features = model.encodePixels(batch.pixels(), batch.totalFrames());
                int k = 0;
                for (int c = 0; c < batch.scenes().size(); c++) {
                    int f = batch.frames()[c];
                    short[] half = new short[f * p * d];
                    for (int j = 0; j < f; j++, k++) {
                        float[] v = features.get(k).values();
                        for (int i = 0; i < v.length; i++) half[j * p * d + i] = Float16.fromFloat(v[i]);
                    }
                    clips.add(new Clip(batch.scenes().get(c), f, half));
                    progress.accept(clips.size());
                }
                if (pending == null) break;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while encoding the feature pool", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("rendering the feature pool failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            renderer.shutdownNow();
        }
        return new FeaturePool(clips, p, d);
    }

    /** Preprocessed frames of several clips, in order. */
    private record Rendered(List<Scene> scenes, int[] frames, float[] pixels, int totalFrames) {}

    /** 8 frames at 1 FPS for three clips in four, 4–7 for the rest (the partial windows at a stream's start and end). */
    private static Rendered render(FlamingoModel model, World world, SplittableRandom random, TrainingFrames frames, int clips, int max) {
        int s = model.config().vision().imageSize();
        List<Scene> scenes = new ArrayList<>();
        int[] counts = new int[clips];
        List<float[]> pixels = new ArrayList<>();
        for (int c = 0; c < clips; c++) {
            int f = random.nextInt(4) < 3 ? max : 4 + random.nextInt(Math.max(1, max - 4));
            Scene scene = world.scene(random.nextLong(), f * 1_000_000L);
            for (BufferedImage img : frames.clip(scene, f, random)) pixels.add(model.preprocessor().apply(img));
            scenes.add(scene);
            counts[c] = f;
        }
        float[] all = new float[pixels.size() * 3 * s * s];
        for (int i = 0; i < pixels.size(); i++) System.arraycopy(pixels.get(i), 0, all, i * 3 * s * s, 3 * s * s);
        return new Rendered(scenes, counts, all, pixels.size());
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
