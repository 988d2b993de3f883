package io.narrator.model.vision;

import ai.djl.ndarray.NDArray;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Activations;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/** One pre-LN CLIP encoder layer: {@code x = x + attn(ln1(x)); x = x + mlp(ln2(x))}. */
final class ClipEncoderLayer extends NamedBlock {
    private final String act;
    private final ClipAttention attn;
    private final LayerNorm ln1;
    private final Mlp mlp;
    private final LayerNorm ln2;

    ClipEncoderLayer(FlamingoConfig.Vision c) {
        act = c.hiddenAct();
        attn = child("self_attn", new ClipAttention(c));
        ln1 = child("layer_norm1", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
        mlp = child("mlp", new Mlp(c.hiddenSize(), c.intermediateSize()));
        ln2 = child("layer_norm2", new LayerNorm(c.hiddenSize(), c.layerNormEps()));
    }

    /** (N, L, D) → (N, L, D). */
    @Override
    public NDArray forward(NDArray x) {
        x = x.add(attn.forward(ln1.forward(x)));
        return x.add(mlp.forward(ln2.forward(x), act));
    }

    /** {@code fc1 → activation → fc2}. */
    static final class Mlp extends NamedBlock {
        private final Linear fc1;
        private final Linear fc2;

        Mlp(int dim, int hidden) {
            fc1 = child("fc1", Linear.builder().setIn(dim).setOut(hidden).build());
            fc2 = child("fc2", Linear.builder().setIn(hidden).setOut(dim).build());
        }

        NDArray forward(NDArray x, String act) {
            return fc2.forward(Activations.byName(act, fc1.forward(x)));
        }
    }
}
