package io.narrator.model.resampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.BlockList;
import io.narrator.model.nn.FeedForward;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.NamedBlock;

/**
 * The Perceiver Resampler (OpenFlamingo's {@code PerceiverResampler}, named {@code perceiver.*}): maps the
 * patch tokens of the F frames of one media to a fixed number V of visual tokens. A learned temporal
 * embedding ({@code frame_embs}) is added to every patch token of its frame before flattening; with more
 * frames than {@code max_frames} the embeddings are linearly interpolated (Flamingo appendix B.1.2).
 *
 * <p>Shapes: N media, F frames, P patches, D width, V latents.
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
        frameEmbs = param("frame_embs", new Shape(c.maxFrames(), dim), new NormalInitializer(1f));
        layers = child("layers", new BlockList<>(c.depth(), i -> new Layer(dim, c, eps)));
        norm = child("norm", new LayerNorm(dim, eps));
    }

    /** (N, F, P, D) patch tokens → (N, V, D) visual tokens, for any F ≥ 1. */
    @Override
    public NDArray forward(NDArray frames) {
        Shape s = frames.getShape();
        if (s.dimension() != 4 || s.get(3) != dim)
            throw new IllegalArgumentException("resampler expects (media, frames, patches, " + dim + "), got " + s);
        long n = s.get(0);
        int f = Math.toIntExact(s.get(1));
        long p = s.get(2);
        NDArray temporal = temporalEmbeddings(frames, f).reshape(1, f, 1, dim); // (1, F, 1, D)
        NDArray x = frames.add(temporal).reshape(n, f * p, dim); // (N, F·P, D)
        NDArray lat = x.getManager().zeros(new Shape(n, c.latents(), dim)).add(latents.getArray()); // (N, V, D)
        for (Layer layer : layers.blocks()) {
            lat = lat.add(layer.attn.forward(x, lat)); // (N, V, D)
            lat = lat.add(layer.ff.forward(lat)); // (N, V, D)
        }
        return norm.forward(lat); // (N, V, D)
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
        NDArray weights = like.getManager().create(w, new Shape(f, maxF)); // (F, maxF)
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
            ff = child("1", new FeedForward(dim, c.ffMult(), eps));
        }
    }
}
