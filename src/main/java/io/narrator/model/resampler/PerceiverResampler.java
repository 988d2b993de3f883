package io.narrator.model.resampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.BlockList;
import io.narrator.model.nn.FeedForward;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.NamedBlock;

/**
 * The Perceiver Resampler (OpenFlamingo's {@code PerceiverResampler}, named {@code perceiver.*}): maps the
 * feature tokens of the F frames of one media to a fixed number V of visual tokens. A learned temporal
 * embedding ({@code frame_embs}) is added to every token of its frame before flattening — unless the resampler has none
 * ({@code max_frames} 0: OpenFlamingo's released models, built without {@code max_num_frames}), when the F·P tokens are
 * flattened as they are and the latents read them as one set, for any F. Which frames come in is
 * {@code perceiver}'s frame settings ({@link #frameIndices}): at most {@code frames_per_media} of them, and beyond
 * {@code max_frames} either all with linearly interpolated embeddings (Flamingo appendix B.1.2) or {@code max_frames}
 * evenly spaced ones.
 *
 * <p>Shapes: N media, F frames, P tokens per frame, D width, V latents.
 */
public final class PerceiverResampler extends NamedBlock {
    private final FlamingoConfig.Perceiver c;
    private final int dim;
    private final Parameter latents;
    private final Parameter frameEmbs;
    private final BlockList<Layer> layers;
    private final LayerNorm norm;

    public PerceiverResampler(FlamingoConfig config) {
        this.c = config.perceiver();
        this.dim = config.visualDim();
        double eps = 1e-5; // torch.nn.LayerNorm's default, as in OpenFlamingo
        latents = param("latents", new Shape(c.latents(), dim), new NormalInitializer(1f));
        frameEmbs = c.temporalEmbeddings() ? param("frame_embs", new Shape(c.maxFrames(), dim), new NormalInitializer(1f)) : null;
        layers = child("layers", new BlockList<>(c.depth(), i -> new Layer(dim, c, eps)));
        norm = child("norm", new LayerNorm(dim, eps));
    }

    /** (N, F, P, D) feature tokens → (N, V, D) visual tokens, for any F ≥ 1. */
    @Override
    public NDArray forward(NDArray frames) {
        Shape s = frames.getShape();
        if (s.dimension() != 4 || s.get(3) != dim)
            throw new IllegalArgumentException("resampler expects (media, frames, tokens, " + dim + "), got " + s);
        frames = selectFrames(frames, frameIndices(Math.toIntExact(s.get(1)))); // (N, F', P, D)
        long n = s.get(0);
        int f = Math.toIntExact(frames.getShape().get(1));
        long p = s.get(2);
        if (frameEmbs != null) frames = frames.add(temporalEmbeddings(frames, f).reshape(1, f, 1, dim)); // (N, F, P, D) + (1, F, 1, D)
        NDArray x = frames.reshape(n, f * p, dim); // (N, F·P, D)
        NDArray lat = x.getManager().zeros(new Shape(n, c.latents(), dim), x.getDataType()).add(latents.getArray()); // (N, V, D)
        for (Layer layer : layers.blocks()) {
            lat = lat.add(layer.attn.forward(x, lat)); // (N, V, D)
            lat = lat.add(layer.ff.forward(lat)); // (N, V, D)
        }
        return norm.forward(lat); // (N, V, D)
    }

    /**
     * Which of a media item's F frames the resampler reads, in time order: at most {@code frames_per_media} (when set)
     * evenly spaced ones ending at the latest; then, with the {@code sample} policy, at most {@code max_frames} of those,
     * evenly spaced. With the {@code interpolate} policy every remaining frame is kept.
     */
    public int[] frameIndices(int frames) {
        int[] kept = new int[frames];
        for (int i = 0; i < frames; i++) kept[i] = i;
        if (c.framesPerMedia() > 0 && frames > c.framesPerMedia()) kept = pick(kept, evenlySpaced(kept.length, c.framesPerMedia()));
        if (FlamingoConfig.Perceiver.SAMPLE.equals(c.framesPolicy()) && c.temporalEmbeddings() && kept.length > c.maxFrames())
            kept = pick(kept, evenlySpaced(kept.length, c.maxFrames()));
        return kept;
    }

    /** k of n positions 0…n-1, evenly spaced, first and last included (k = 1: the last), k ≤ n. */
    static int[] evenlySpaced(int n, int k) {
        if (k == 1) return new int[] {n - 1};
        int[] out = new int[k];
        for (int i = 0; i < k; i++) out[i] = (int) Math.round((double) i * (n - 1) / (k - 1));
        return out;
    }

    private static int[] pick(int[] values, int[] positions) {
        int[] out = new int[positions.length];
        for (int i = 0; i < positions.length; i++) out[i] = values[positions[i]];
        return out;
    }

    /** (N, F, P, D) → (N, F', P, D): the frames at {@code indices}; the same array when that is every frame. */
    private static NDArray selectFrames(NDArray frames, int[] indices) {
        if (indices.length == frames.getShape().get(1)) return frames;
        NDList kept = new NDList();
        for (int i : indices) kept.add(frames.get(":, " + i + ":" + (i + 1))); // (N, 1, P, D)
        return kept.size() == 1 ? kept.head() : NDArrays.concat(kept, 1); // (N, F', P, D)
    }

    /**
     * The temporal embeddings of F frames, (F, D): the first F learned ones, or all {@code max_frames}
     * linearly interpolated to F when there are more frames than that. Created on {@code like}'s manager.
     */
    NDArray temporalEmbeddings(NDArray like, int f) {
        int maxF = c.maxFrames();
        // (F, maxF) selection weights: row i picks embedding i when F ≤ maxF; otherwise position i maps to
        // s = i·(maxF−1)/(F−1) in the table and interpolates between floor(s) and floor(s)+1
        float[] w = new float[f * maxF];
        for (int i = 0; i < f; i++) {
            if (f <= maxF) {
                w[i * maxF + i] = 1f;
                continue;
            }
            double src = maxF == 1 ? 0 : (double) i * (maxF - 1) / (f - 1);
            int lo = (int) Math.floor(src);
            int hi = Math.min(lo + 1, maxF - 1);
            double frac = src - lo;
            w[i * maxF + lo] += (float) (1 - frac);
            w[i * maxF + hi] += (float) frac;
        }
        NDArray weights = Attention.inType(like.getManager().create(w, new Shape(f, maxF)), like.getDataType()); // (F, maxF)
        return weights.matMul(frameEmbs.getArray()); // (F, D)
    }

    /** Visual tokens per media, V. */
    public int latents() {
        return c.latents();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), c.latents(), dim)};
    }

    /** One resampler layer: {@code layers.{i}.0} attention, {@code layers.{i}.1} feed-forward. */
    static final class Layer extends NamedBlock {
        final PerceiverAttention attn;
        final FeedForward ff;

        Layer(int dim, FlamingoConfig.Perceiver c, double eps) {
            attn = child("0", new PerceiverAttention(dim, c, eps));
            ff = child("1", new FeedForward(dim, c.ffMult(), eps, c.activation()));
        }
    }
}
