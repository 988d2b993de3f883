package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Activations;
import io.narrator.model.nn.Conv1D;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.NamedBlock;

/** One GPT-2 block: {@code x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))}. */
public final class Gpt2Block extends NamedBlock implements DecoderLayer {
    private final LayerNorm ln1;
    private final Gpt2Attention attn;
    private final LayerNorm ln2;
    private final Mlp mlp;

    Gpt2Block(FlamingoConfig.Gpt2 c) {
        ln1 = child("ln_1", new LayerNorm(c.width(), c.layerNormEps()));
        attn = child("attn", new Gpt2Attention(c));
        ln2 = child("ln_2", new LayerNorm(c.width(), c.layerNormEps()));
        mlp = child("mlp", new Mlp(c));
    }

    /** (B, T, D) → (B, T, D); {@code in}'s bias (B, 1, T, S+T) masks keys (null: none); {@code cache} may be null (no caching). */
    @Override
    public NDArray forward(NDArray x, SelfAttentionInputs in, LayerCache cache) {
        x = x.add(attn.forward(ln1.forward(x), in.bias(), cache));
        return x.add(mlp.forward(ln2.forward(x)));
    }

    /** {@code c_fc} (D → 4D), tanh-GELU, {@code c_proj} (4D → D). */
    static final class Mlp extends NamedBlock {
        private final Conv1D cFc;
        private final Conv1D cProj;

        Mlp(FlamingoConfig.Gpt2 c) {
            cFc = child("c_fc", new Conv1D(c.width(), 4 * c.width(), 0.02f));
            cProj = child("c_proj", new Conv1D(4 * c.width(), c.width(), (float) (0.02 / Math.sqrt(2.0 * c.layers()))));
        }

        @Override
        public NDArray forward(NDArray x) {
            return cProj.forward(Activations.geluTanh(cFc.forward(x)));
        }
    }
}
