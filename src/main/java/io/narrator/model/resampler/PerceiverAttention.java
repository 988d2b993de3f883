package io.narrator.model.resampler;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/**
 * OpenFlamingo's {@code PerceiverAttention}: latents attend to concat(media, latents); only the inputs are
 * normalised ({@code norm_media}, {@code norm_latents}); bias-free {@code to_q}, {@code to_kv}, {@code to_out}.
 *
 * <p>Shapes: N media, L media tokens (F·P), V latents, D width, H heads, hd head width.
 */
final class PerceiverAttention extends NamedBlock {
    private final int heads;
    private final float scale;
    private final LayerNorm normMedia;
    private final LayerNorm normLatents;
    private final Linear toQ;
    private final Linear toKv;
    private final Linear toOut;

    PerceiverAttention(int dim, FlamingoConfig.Perceiver c, double eps) {
        heads = c.heads();
        scale = (float) Math.pow(c.dimHead(), -0.5);
        int inner = c.heads() * c.dimHead();
        normMedia = child("norm_media", new LayerNorm(dim, eps));
        normLatents = child("norm_latents", new LayerNorm(dim, eps));
        toQ = child("to_q", Linear.builder().setIn(dim).setOut(inner).optBias(false).build());
        toKv = child("to_kv", Linear.builder().setIn(dim).setOut(2 * inner).optBias(false).build());
        toOut = child("to_out", Linear.builder().setIn(inner).setOut(dim).optBias(false).build());
    }

    /**
     * @param media (N, L, D)
     * @param latents (N, V, D)
     * @return the update for the latents, (N, V, D); the residual is added by the caller
     */
    NDArray forward(NDArray media, NDArray latents) {
        NDArray x = normMedia.forward(media); // (N, L, D)
        NDArray lat = normLatents.forward(latents); // (N, V, D)
        NDArray q = Attention.splitHeads(toQ.forward(lat), heads); // (N, H, V, hd)
        NDList kv = Attention.splitLast(toKv.forward(NDArrays.concat(new NDList(x, lat), 1)), 2); // 2 × (N, L+V, inner)
        NDArray k = Attention.splitHeads(kv.get(0), heads); // (N, H, L+V, hd)
        NDArray v = Attention.splitHeads(kv.get(1), heads); // (N, H, L+V, hd)
        return toOut.forward(Attention.mergeHeads(Attention.attend(q, k, v, null, scale))); // (N, V, D)
    }
}
