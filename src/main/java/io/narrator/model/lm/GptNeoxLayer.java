package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Activations;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/**
 * One GPT-NeoX layer. With {@code use_parallel_residual}: {@code x = x + attn(ln₁(x)) + mlp(ln₂(x))}; without:
 * {@code x = x + attn(ln₁(x)); x = x + mlp(ln₂(x))}. ln₁ is {@code input_layernorm}, ln₂ {@code post_attention_layernorm};
 * {@code mlp} is {@code dense_4h_to_h(act(dense_h_to_4h(x)))}, with biases.
 */
public final class GptNeoxLayer extends NamedBlock implements DecoderLayer {
    private final boolean parallel;
    private final LayerNorm inputLayerNorm;
    private final LayerNorm postAttentionLayerNorm;
    private final GptNeoxAttention attention;
    private final Mlp mlp;

    GptNeoxLayer(FlamingoConfig.GptNeox c, Rotary rotary) {
        parallel = c.parallelResidual();
        inputLayerNorm = child("input_layernorm", new LayerNorm(c.width(), c.layerNormEps()));
        postAttentionLayerNorm = child("post_attention_layernorm", new LayerNorm(c.width(), c.layerNormEps()));
        attention = child("attention", new GptNeoxAttention(c, rotary));
        mlp = child("mlp", new Mlp(c));
    }

    @Override
    public NDArray forward(NDArray x, SelfAttentionInputs in, LayerCache cache) {
        NDArray attn = attention.forward(inputLayerNorm.forward(x), in, cache); // (B, T, D)
        if (parallel) return mlp.forward(postAttentionLayerNorm.forward(x)).add(attn).add(x); // (B, T, D)
        NDArray y = attn.add(x); // (B, T, D)
        return mlp.forward(postAttentionLayerNorm.forward(y)).add(y); // (B, T, D)
    }

    /** {@code dense_h_to_4h}, the activation, {@code dense_4h_to_h}. */
    static final class Mlp extends NamedBlock {
        private final Linear up;
        private final Linear down;
        private final String activation;

        Mlp(FlamingoConfig.GptNeox c) {
            activation = c.activation();
            up = child("dense_h_to_4h", Linear.builder().setIn(c.width()).setOut(c.intermediateSize()).build());
            down = child("dense_4h_to_h", Linear.builder().setIn(c.intermediateSize()).setOut(c.width()).build());
        }

        @Override
        public NDArray forward(NDArray x) {
            return down.forward(Activations.byName(activation, up.forward(x))); // (B, T, F) → (B, T, D)
        }
    }
}
