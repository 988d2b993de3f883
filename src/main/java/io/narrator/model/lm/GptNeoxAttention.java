package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/**
 * GPT-NeoX's causal self-attention: one fused {@code query_key_value} (D → 3D) whose output is laid out head by head,
 * each head's query, key and value one after the other ((H, 3, hd), as Hugging Face splits it); rotary embeddings on the
 * queries and keys; {@code dense} out; scores scaled by hd^-0.5; all with bias.
 */
final class GptNeoxAttention extends NamedBlock {
    private final int heads;
    private final int headWidth;
    private final float scale;
    private final Rotary rotary;
    private final Linear queryKeyValue;
    private final Linear dense;

    GptNeoxAttention(FlamingoConfig.GptNeox c, Rotary rotary) {
        int d = c.width();
        heads = c.heads();
        headWidth = d / heads;
        scale = (float) Math.pow(headWidth, -0.5);
        this.rotary = rotary;
        queryKeyValue = child("query_key_value", Linear.builder().setIn(d).setOut(3 * d).build());
        dense = child("dense", Linear.builder().setIn(d).setOut(d).build());
    }

    /**
     * @param x (B, T, D) new tokens
     * @param in the pass's bias (B, 1, T, S+T) over cached and new keys (null: none) and the new tokens' rotary angles
     * @param cache this layer's cache; the new (rotated) keys and values are appended to it
     * @return (B, T, D)
     */
    NDArray forward(NDArray x, SelfAttentionInputs in, LayerCache cache) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray qkv = queryKeyValue.forward(x).reshape(b, t, heads, 3 * headWidth).transpose(0, 2, 1, 3); // (B, H, T, 3·hd)
        NDArray q = rotary.apply(qkv.get(":, :, :, 0:" + headWidth), in.rotary()); // (B, H, T, hd)
        NDArray k = rotary.apply(qkv.get(":, :, :, " + headWidth + ":" + 2 * headWidth), in.rotary()); // (B, H, T, hd)
        NDArray v = qkv.get(":, :, :, " + 2 * headWidth + ":"); // (B, H, T, hd)
        NDArray keysT = k.transpose(0, 1, 3, 2); // (B, H, hd, T)
        if (cache != null) {
            NDList all = cache.append(keysT, v); // (B, H, hd, S+T), (B, H, S+T, hd)
            keysT = all.get(0);
            v = all.get(1);
        }
        return dense.forward(Attention.mergeHeads(Attention.attendTransposed(q, keysT, v, in.bias(), scale))); // (B, T, D)
    }
}
