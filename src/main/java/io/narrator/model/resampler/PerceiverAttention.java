package io.narrator.model.resampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;
import io.narrator.model.nn.Scalars;

/**
 * OpenFlamingo's {@code PerceiverAttention}: latents attend to concat(media, latents); only the inputs are
 * normalised ({@code norm_media}, {@code norm_latents}); bias-free {@code to_q}, keys and values, {@code to_out}. Keys
 * and values come from one {@code to_kv} (OpenFlamingo) or from {@code to_k} and {@code to_v} (flamingo-mini), as
 * {@code perceiver.kv_projection} says.
 *
 * <p>Shapes: N media, L media tokens (F·P), V latents, D width, H heads, hd head width.
 */
final class PerceiverAttention extends NamedBlock {
    private final int dim;
    private final int heads;
    private final float scale;
    private final LayerNorm normMedia;
    private final LayerNorm normLatents;
    private final Linear toQ;
    private final Linear toKv;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;

    PerceiverAttention(int dim, FlamingoConfig.Perceiver c, double eps) {
        this.dim = dim;
        heads = c.heads();
        scale = (float) Math.pow(c.dimHead(), -0.5);
        int inner = c.heads() * c.dimHead();
        normMedia = child("norm_media", new LayerNorm(dim, eps));
        normLatents = child("norm_latents", new LayerNorm(dim, eps));
        toQ = child("to_q", Linear.builder().setIn(dim).setOut(inner).optBias(false).build());
        boolean separate = c.separateKeysAndValues();
        toKv = separate ? null : child("to_kv", Linear.builder().setIn(dim).setOut(2 * inner).optBias(false).build());
        toK = separate ? child("to_k", Linear.builder().setIn(dim).setOut(inner).optBias(false).build()) : null;
        toV = separate ? child("to_v", Linear.builder().setIn(dim).setOut(inner).optBias(false).build()) : null;
        toOut = child("to_out", Linear.builder().setIn(inner).setOut(dim).optBias(false).build());
    }

    /** How the attention is computed; both give the same result up to float rounding. */
    enum Path {
        /** Project every media token to keys and values, as OpenFlamingo writes it. */
        KEYS_AND_VALUES,
        /**
         * Fold the key and value projections into the queries and the output: qₕ·(x·Wₖₕᵀ)ᵀ = (qₕ·Wₖₕ)·xᵀ and softmax·(x·Wᵥₕᵀ) =
         * (softmax·x)·Wᵥₕᵀ, so the S media tokens are never projected. Cheaper when the H·V query rows are fewer
         * than the inner width (the bundled model: 64 rows against 128).
         */
        FOLDED;

        /** The cheaper path in multiply-adds, for S keys, V latents, width D, H heads and inner width I. */
        static Path cheaper(long s, long v, long d, long h, long inner) {
            long keysAndValues = s * d * 2 * inner + 2 * v * s * inner;
            long folded = 2 * v * inner * d + 2 * h * v * s * d;
            return folded < keysAndValues ? FOLDED : KEYS_AND_VALUES;
        }
    }

    /**
     * @param media (N, L, D)
     * @param latents (N, V, D)
     * @return the update for the latents, (N, V, D); the residual is added by the caller
     */
    NDArray forward(NDArray media, NDArray latents) {
        long s = media.getShape().get(1) + latents.getShape().get(1);
        long v = latents.getShape().get(1);
        return forward(media, latents, Path.cheaper(s, v, dim, heads, toQ.outFeatures()));
    }

    /** {@link #forward(NDArray, NDArray)} along the given path. */
    NDArray forward(NDArray media, NDArray latents, Path path) {
        NDArray x = normMedia.forward(media); // (N, L, D)
        NDArray lat = normLatents.forward(latents); // (N, V, D)
        NDArray q = Attention.splitHeads(toQ.forward(lat), heads); // (N, H, V, hd)
        NDArray kvInput = NDArrays.concat(new NDList(x, lat), 1); // (N, S, D), S = L + V
        NDArray context = path == Path.FOLDED ? attendFolded(q, kvInput) : attendProjected(q, kvInput); // (N, H, V, hd)
        return toOut.forward(Attention.mergeHeads(context)); // (N, V, D)
    }

    private NDArray attendProjected(NDArray q, NDArray kvInput) {
        NDArray keys;
        NDArray values;
        if (toKv != null) {
            NDList kv = Attention.splitLast(toKv.forward(kvInput), 2); // 2 × (N, S, inner)
            keys = kv.get(0);
            values = kv.get(1);
        } else {
            keys = toK.forward(kvInput); // (N, S, inner)
            values = toV.forward(kvInput); // (N, S, inner)
        }
        NDArray k = Attention.splitHeads(keys, heads); // (N, H, S, hd)
        NDArray v = Attention.splitHeads(values, heads); // (N, H, S, hd)
        return Attention.attend(q, k, v, null, scale);
    }

    private NDArray attendFolded(NDArray q, NDArray kvInput) {
        long n = q.getShape().get(0);
        long v = q.getShape().get(2);
        long hd = q.getShape().get(3);
        long d = kvInput.getShape().get(2);
        NDArray wk;
        NDArray wv;
        if (toKv != null) {
            NDArray w = toKv.weight().getArray().reshape(2, heads, hd, d); // (2, H, hd, D): keys' rows, then values'
            w.attach(kvInput.getManager()); // a view for this pass, not a parameter of the model
            wk = w.get(0); // (H, hd, D)
            wv = w.get(1); // (H, hd, D)
        } else {
            wk = toK.weight().getArray().reshape(heads, hd, d); // (H, hd, D)
            wv = toV.weight().getArray().reshape(heads, hd, d); // (H, hd, D)
            wk.attach(kvInput.getManager());
            wv.attach(kvInput.getManager());
        }
        NDArray queries = Scalars.mul(q, scale).matMul(wk).reshape(n, heads * v, d); // (N, H·V, D)
        NDArray weights = queries.matMul(kvInput.transpose(0, 2, 1)).softmax(-1); // (N, H·V, S)
        NDArray mixed = weights.matMul(kvInput).reshape(n, heads, v, d); // (N, H, V, D)
        return mixed.matMul(wv.transpose(0, 2, 1)); // (N, H, V, D)·(H, D, hd) → (N, H, V, hd)
    }
}
