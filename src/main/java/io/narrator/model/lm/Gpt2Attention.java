package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.Conv1D;
import io.narrator.model.nn.NamedBlock;

/** GPT-2 causal self-attention: fused {@code c_attn} (D → 3D) and {@code c_proj}, both Conv1D with bias. */
final class Gpt2Attention extends NamedBlock {
    private final int width;
    private final int heads;
    private final float scale;
    private final Conv1D cAttn;
    private final Conv1D cProj;

    Gpt2Attention(FlamingoConfig.Gpt2 c) {
        width = c.width();
        heads = c.heads();
        scale = (float) Math.pow((double) c.width() / c.heads(), -0.5);
        cAttn = child("c_attn", new Conv1D(width, 3 * width, 0.02f));
        // GPT-2 scales residual projections by 1/sqrt(2·layers) at initialisation
        cProj = child("c_proj", new Conv1D(width, width, (float) (0.02 / Math.sqrt(2.0 * c.layers()))));
    }

    /**
     * @param x (B, T, D) new tokens
     * @param bias (B, 1, T, S+T) additive mask over cached and new keys (causal and padding), or null when every
     *     query may see every key
     * @param cache this layer's cache; the new keys and values are appended to it
     * @return (B, T, D)
     */
    NDArray forward(NDArray x, NDArray bias, LayerCache cache) {
        NDList qkv = Attention.splitLast(cAttn.forward(x), 3); // 3 × (B, T, D)
        NDArray q = Attention.splitHeads(qkv.get(0), heads); // (B, H, T, hd)
        NDArray keysT = Attention.splitHeadsTransposed(qkv.get(1), heads); // (B, H, hd, T)
        NDArray v = Attention.splitHeads(qkv.get(2), heads); // (B, H, T, hd)
        if (cache != null) {
            NDList all = cache.append(keysT, v); // (B, H, hd, S+T), (B, H, S+T, hd)
            keysT = all.get(0);
            v = all.get(1);
        }
        return cProj.forward(Attention.mergeHeads(Attention.attendTransposed(q, keysT, v, bias, scale))); // (B, T, D)
    }
}
