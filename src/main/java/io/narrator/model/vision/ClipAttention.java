package io.narrator.model.vision;

import ai.djl.ndarray.NDArray;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/** CLIP's self-attention: separate {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code out_proj}, all with bias. */
final class ClipAttention extends NamedBlock {
    private final int heads;
    private final float scale;
    private final Linear q;
    private final Linear k;
    private final Linear v;
    private final Linear out;

    ClipAttention(FlamingoConfig.Vision c) {
        int d = c.hiddenSize();
        heads = c.heads();
        scale = (float) Math.pow((double) d / heads, -0.5);
        k = child("k_proj", Linear.builder().setIn(d).setOut(d).build());
        v = child("v_proj", Linear.builder().setIn(d).setOut(d).build());
        q = child("q_proj", Linear.builder().setIn(d).setOut(d).build());
        out = child("out_proj", Linear.builder().setIn(d).setOut(d).build());
    }

    /** (N, L, D) → (N, L, D), every token sees every token. */
    @Override
    public NDArray forward(NDArray x) {
        NDArray qh = Attention.splitHeads(q.forward(x), heads); // (N, H, L, hd)
        NDArray kh = Attention.splitHeads(k.forward(x), heads); // (N, H, L, hd)
        NDArray vh = Attention.splitHeads(v.forward(x), heads); // (N, H, L, hd)
        return out.forward(Attention.mergeHeads(Attention.attend(qh, kh, vh, null, scale))); // (N, L, D)
    }
}
