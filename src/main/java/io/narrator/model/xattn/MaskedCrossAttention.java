package io.narrator.model.xattn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.VisualTokens;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/**
 * OpenFlamingo's {@code MaskedCrossAttention}: text queries attend to visual tokens under a {@link MediaMask};
 * only the text is normalised ({@code norm}); {@code to_q}, {@code to_kv}, {@code to_out} have no bias.
 *
 * <p>Shapes: B batch, T text tokens, M media, G distinct media items, V visual tokens per media, D text width, Dv visual width.
 */
final class MaskedCrossAttention extends NamedBlock {
    private final int heads;
    private final float scale;
    private final LayerNorm norm;
    private final Linear toQ;
    private final Linear toKv;
    private final Linear toOut;

    MaskedCrossAttention(FlamingoConfig config) {
        FlamingoConfig.CrossAttention c = config.crossAttention();
        int dim = config.text().width();
        int inner = c.heads() * c.dimHead();
        heads = c.heads();
        scale = (float) Math.pow(c.dimHead(), -0.5);
        norm = child("norm", new LayerNorm(dim, 1e-5));
        toQ = child("to_q", Linear.builder().setIn(dim).setOut(inner).optBias(false).build());
        toKv = child("to_kv", Linear.builder().setIn(config.visualDim()).setOut(2 * inner).optBias(false).build());
        toOut = child("to_out", Linear.builder().setIn(inner).setOut(dim).optBias(false).build());
    }

    /**
     * Visual tokens → keys (B, H, hd, M·V) and values (B, H, M·V, hd), both contiguous. Each distinct item is
     * projected once, then laid out per row.
     */
    NDList project(VisualTokens visual) {
        NDArray perRow = visual.layout(toKv.forward(visual.items())); // (G, V, 2·inner) → (B, M·V, 2·inner)
        NDList kv = Attention.splitLast(perRow, 2); // 2 × (B, M·V, inner)
        NDArray keysT = Attention.splitHeadsTransposed(kv.get(0), heads); // (B, H, hd, M·V)
        return new NDList(PreparedMedia.contiguous(keysT), PreparedMedia.contiguous(Attention.splitHeads(kv.get(1), heads)));
    }

    /** (B, T, D) text → (B, T, D) cross-attention output (zero for tokens without preceding media). */
    NDArray forward(NDArray x, PreparedMedia media, MediaMask mask) {
        NDArray q = Attention.splitHeads(toQ.forward(norm.forward(x)), heads); // (B, H, T, hd)
        NDArray attn = Attention.attendTransposed(q, media.keysT(), media.values(), mask.bias(), scale); // (B, H, T, hd)
        if (mask.hasMedia() != null) attn = attn.mul(mask.hasMedia()); // (B, H, T, hd)
        return toOut.forward(Attention.mergeHeads(attn)); // (B, T, D)
    }
}
