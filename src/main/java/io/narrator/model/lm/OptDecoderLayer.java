package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.Activations;
import io.narrator.model.nn.LayerNorm;
import io.narrator.model.nn.Linear;
import io.narrator.model.nn.NamedBlock;

/**
 * One OPT decoder layer. Pre-LN (opt-125m and most sizes): {@code x = x + attn(ln₁(x)); x = x + ffn(ln₂(x))}.
 * Post-LN (opt-350m): {@code x = ln₁(x + attn(x)); x = ln₂(x + ffn(x))}. {@code ffn} is {@code fc2(act(fc1(x)))}, ReLU
 * in every released size; ln₁ is {@code self_attn_layer_norm}, ln₂ {@code final_layer_norm}.
 */
public final class OptDecoderLayer extends NamedBlock implements DecoderLayer {
    private final boolean preLayerNorm;
    private final String activation;
    private final OptAttention selfAttn;
    private final LayerNorm selfAttnLayerNorm;
    private final Linear fc1;
    private final Linear fc2;
    private final LayerNorm finalLayerNorm;

    OptDecoderLayer(FlamingoConfig.Opt c) {
        preLayerNorm = c.layerNormBefore();
        activation = c.activation();
        selfAttn = child("self_attn", new OptAttention(c));
        selfAttnLayerNorm = child("self_attn_layer_norm", new LayerNorm(c.width(), c.layerNormEps()));
        fc1 = child("fc1", Linear.builder().setIn(c.width()).setOut(c.ffnDim()).build());
        fc2 = child("fc2", Linear.builder().setIn(c.ffnDim()).setOut(c.width()).build());
        finalLayerNorm = child("final_layer_norm", new LayerNorm(c.width(), c.layerNormEps()));
    }

    @Override
    public NDArray forward(NDArray x, SelfAttentionInputs in, LayerCache cache) {
        NDArray bias = in.bias(); // (B, 1, T, S+T), or null
        if (preLayerNorm) {
            x = x.add(selfAttn.forward(selfAttnLayerNorm.forward(x), bias, cache)); // (B, T, D)
            return x.add(ffn(finalLayerNorm.forward(x))); // (B, T, D)
        }
        x = selfAttnLayerNorm.forward(x.add(selfAttn.forward(x, bias, cache))); // (B, T, D)
        return finalLayerNorm.forward(x.add(ffn(x))); // (B, T, D)
    }

    private NDArray ffn(NDArray x) {
        return fc2.forward(Activations.byName(activation, fc1.forward(x))); // (B, T, F) → (B, T, D)
    }
}
