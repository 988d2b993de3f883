package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/**
 * MPT's causal self-attention: one fused {@code Wqkv} (D → 3D: the queries', keys' and values' rows one after the
 * other), with {@code qk_ln} a LayerNorm of the queries ({@code q_ln}) and of the keys ({@code k_ln}) over the whole width
 * before the heads split, then {@code out_proj}; scores scaled by hd^-0.5; ALiBi comes in the bias.
 */
final class MptAttention extends NamedBlock {
    private final int heads;
    private final float scale;
    private final Linear wqkv;
    private final LayerNorm qLn;
    private final LayerNorm kLn;
    private final Linear out;

    MptAttention(FlamingoConfig.Mpt c) {
        int d = c.width();
        heads = c.heads();
        scale = (float) Math.pow((double) d / heads, -0.5);
        wqkv = child("Wqkv", Linear.builder().setIn(d).setOut(3 * d).optBias(!c.noBias()).build());
        qLn = c.qkLayerNorm() ? child("q_ln", new LayerNorm(d, c.layerNormEps(), !c.noBias())) : null;
        kLn = c.qkLayerNorm() ? child("k_ln", new LayerNorm(d, c.layerNormEps(), !c.noBias())) : null;
        out = child("out_proj", Linear.builder().setIn(d).setOut(d).optBias(!c.noBias()).build());
    }

    /**
     * @param x (B, T, D) new tokens
     * @param bias (B, H, T, S+T) masking and ALiBi over cached and new keys
     * @param cache this layer's cache; the new keys and values are appended to it
     * @return (B, T, D)
     */
    NDArray forward(NDArray x, NDArray bias, LayerCache cache) {
        NDList qkv = Attention.splitLast(wqkv.forward(x), 3); // 3 × (B, T, D)
        NDArray q = qkv.get(0);
        NDArray k = qkv.get(1);
        if (qLn != null) {
            q = qLn.forward(q); // (B, T, D)
            k = kLn.forward(k); // (B, T, D)
        }
        NDArray qh = Attention.splitHeads(q, heads); // (B, H, T, hd)
        NDArray keysT = Attention.splitHeadsTransposed(k, heads); // (B, H, hd, T)
        NDArray vh = Attention.splitHeads(qkv.get(2), heads); // (B, H, T, hd)
        if (cache != null) {
            NDList all = cache.append(keysT, vh); // (B, H, hd, S+T), (B, H, S+T, hd)
            keysT = all.get(0);
            vh = all.get(1);
        }
        return out.forward(Attention.mergeHeads(Attention.attendTransposed(qh, keysT, vh, bias, scale))); // (B, T, D)
    }
}
