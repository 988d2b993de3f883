package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/** OPT's causal self-attention: {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code out_proj}, all with bias; scores scaled by hd^-0.5. */
final class OptAttention extends NamedBlock {
    private final int heads;
    private final float scale;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear out;

    OptAttention(FlamingoConfig.Opt c) {
        int d = c.width();
        heads = c.heads();
        scale = (float) Math.pow((double) d / heads, -0.5);
        k = child("k_proj", Linear.builder().setIn(d).setOut(d).build());
        v = child("v_proj", Linear.builder().setIn(d).setOut(d).build());
        q = child("q_proj", Linear.builder().setIn(d).setOut(d).build());
        out = child("out_proj", Linear.builder().setIn(d).setOut(d).build());
    }

    /**
     * @param x (B, T, D) new tokens
     * @param bias (B, 1, T, S+T) additive mask over cached and new keys, or null
     * @param cache this layer's cache; the new keys and values are appended to it
     * @return (B, T, D)
     */
    NDArray forward(NDArray x, NDArray bias, LayerCache cache) {
        NDArray qh = Attention.splitHeads(q.forward(x), heads); // (B, H, T, hd)
        NDArray keysT = Attention.splitHeadsTransposed(k.forward(x), heads); // (B, H, hd, T)
        NDArray vh = Attention.splitHeads(v.forward(x), heads); // (B, H, T, hd)
        if (cache != null) {
            NDList all = cache.append(keysT, vh); // (B, H, hd, S+T), (B, H, S+T, hd)
            keysT = all.get(0);
            vh = all.get(1);
        }
        return out.forward(Attention.mergeHeads(Attention.attendTransposed(qh, keysT, vh, bias, scale))); // (B, T, D)
    }
}
