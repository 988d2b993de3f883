package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Activations;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/** One MPT block: {@code x = x + attn(norm_1(x)); x = x + ffn(norm_2(x))}, {@code ffn} = {@code down_proj(gelu(up_proj(x)))}. */
public final class MptBlock extends NamedBlock implements DecoderLayer {
    private final LayerNorm norm1;
    private final MptAttention attn;
    private final LayerNorm norm2;
    private final Ffn ffn;

    MptBlock(FlamingoConfig.Mpt c) {
        norm1 = child("norm_1", new LayerNorm(c.width(), c.layerNormEps(), !c.noBias()));
        attn = child("attn", new MptAttention(c));
        norm2 = child("norm_2", new LayerNorm(c.width(), c.layerNormEps(), !c.noBias()));
        ffn = child("ffn", new Ffn(c));
    }

    @Override
    public NDArray forward(NDArray x, SelfAttentionInputs in, LayerCache cache) {
        x = x.add(attn.forward(norm1.forward(x), in.bias(), cache)); // (B, T, D)
        return x.add(ffn.forward(norm2.forward(x))); // (B, T, D)
    }

    /** {@code up_proj} (D → expansion_ratio·D), exact GELU, {@code down_proj}. */
    static final class Ffn extends NamedBlock {
        private final Linear up;
        private final Linear down;

        Ffn(FlamingoConfig.Mpt c) {
            int hidden = c.expansionRatio() * c.width();
            up = child("up_proj", Linear.builder().setIn(c.width()).setOut(hidden).optBias(!c.noBias()).build());
            down = child("down_proj", Linear.builder().setIn(hidden).setOut(c.width()).optBias(!c.noBias()).build());
        }

        @Override
        public NDArray forward(NDArray x) {
            return down.forward(Activations.gelu(up.forward(x))); // (B, T, F) → (B, T, D)
        }
    }
}
