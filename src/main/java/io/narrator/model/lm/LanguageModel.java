package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.NamedBlock;
import java.util.List;

/**
 * The frozen language model inside Flamingo, as Flamingo uses it: token and position embeddings, a stack of
 * decoder {@link #layers()} (Flamingo puts its cross-attention blocks between them), and an output head tied to the
 * token embeddings. One subclass per checkpoint family, each under its Hugging Face names: {@link Gpt2}
 * ({@code transformer.*}) and {@link Opt} ({@code model.decoder.*}). Every layer takes the same additive
 * self-attention bias and {@link LayerCache}, so caching, left padding, beams and shared prefixes work alike for all.
 *
 * <p>Shapes: B batch, T new tokens, D hidden width, E token embedding width, W vocabulary.
 */
public abstract class LanguageModel extends NamedBlock {

    /** The language model a config's {@code text} section describes, with random weights until loaded. */
    public static LanguageModel of(FlamingoConfig.Text c) {
        if (c instanceof FlamingoConfig.Gpt2 g) return new Gpt2(g);
        if (c instanceof FlamingoConfig.Opt o) return new Opt(o);
        throw new IllegalArgumentException("no language model for " + c);
    }

    /** The token embedding table, (W, E); the output head is tied to it. */
    public abstract Parameter tokenEmbeddings();

    /** The checkpoint name of {@link #tokenEmbeddings()} (a separate {@code lm_head.weight} must have its shape). */
    public abstract String tokenEmbeddingsName();

    /**
     * The input of the first layer.
     *
     * @param ids (B, T) int64 token ids
     * @param positions (B, T) int64: the number of real tokens before each token in its row
     * @param table (W, E) the token embedding table to use (the LM's own, or one with trainable special rows)
     * @return (B, T, D)
     */
    public abstract NDArray embed(NDArray ids, NDArray positions, NDArray table);

    /**
     * The additive self-attention bias every layer gets, (B, 1, T, S+T) in {@code dtype}, or null when nothing is masked:
     * causal and padding masking. A family with position-dependent attention biases (ALiBi) adds them here.
     */
    public NDArray selfAttentionBias(Positions p, NDManager m, DataType dtype) {
        return p.selfAttentionBias(m, dtype);
    }

    /** The decoder layers, in order. */
    public abstract List<? extends DecoderLayer> layers();

    /** The last layer's output (B, T, D) → (B, T, W) logits, through the final norm (if any) and the head tied to {@code table} (W, E). */
    public abstract NDArray logits(NDArray x, NDArray table);

    /** The most tokens a sequence may have. */
    public abstract int maxPositions();

    /** The bare LM over a full batch without caching: (B, T) ids and padding mask → (B, T, W) logits. */
    public NDArray forward(NDArray ids, int[][] mask) {
        NDManager m = ids.getManager();
        Positions p = Positions.of(mask, null);
        NDArray table = tokenEmbeddings().getArray();
        NDArray x = embed(ids, p.positions(m), table); // (B, T, D)
        NDArray bias = selfAttentionBias(p, m, x.getDataType()); // (B, 1, T, T), or null
        for (DecoderLayer layer : layers()) x = layer.forward(x, bias, null); // (B, T, D)
        return logits(x, table); // (B, T, W)
    }
}
