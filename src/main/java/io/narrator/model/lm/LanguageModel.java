package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.nn.NamedBlock;
import java.util.List;

/**
 * The frozen language model inside Flamingo, as Flamingo uses it: token (and, where the family has them, position)
 * embeddings, a stack of decoder {@link #layers()} (Flamingo puts its cross-attention blocks between them), and an
 * output head, tied to the token embeddings or (GPT-NeoX) its own. One subclass per checkpoint family, each under its
 * Hugging Face names: {@link Gpt2} ({@code transformer.*}), {@link Opt} ({@code model.decoder.*}), {@link Mpt}
 * ({@code transformer.blocks.*}, ALiBi) and {@link GptNeox} ({@code gpt_neox.*}, rotary). Every layer takes the same
 * {@link SelfAttentionInputs} (the additive bias, and the rotary angles where there are any), computed once per pass
 * from the real-token {@link Positions}, and its {@link LayerCache}, so caching, left padding, beams and shared
 * prefixes work alike for all.
 *
 * <p>Shapes: B batch, T new tokens, D hidden width, E token embedding width, W vocabulary.
 */
public abstract class LanguageModel extends NamedBlock {

    /** The language model a config's {@code text} section describes, with random weights until loaded. */
    public static LanguageModel of(FlamingoConfig.Text c) {
        if (c instanceof FlamingoConfig.Gpt2 g) return new Gpt2(g);
        if (c instanceof FlamingoConfig.Opt o) return new Opt(o);
        if (c instanceof FlamingoConfig.Mpt p) return new Mpt(p);
        if (c instanceof FlamingoConfig.GptNeox n) return new GptNeox(n);
        throw new IllegalArgumentException("no language model for " + c);
    }

    /** The token embedding table, (W, E); the output head is tied to it unless the family has its own. */
    public abstract Parameter tokenEmbeddings();

    /** The checkpoint name of {@link #tokenEmbeddings()} (a separate {@code lm_head.weight} must have its shape). */
    public abstract String tokenEmbeddingsName();

    /**
     * The input of the first layer.
     *
     * @param ids (B, T) int64 token ids
     * @param positions (B, T) int64: the number of real tokens before each token in its row (unused by families whose
     *     positions act inside the attention: ALiBi, rotary)
     * @param table (W, E) the token embedding table to use (the LM's own, or one with trainable special rows)
     * @return (B, T, D)
     */
    public abstract NDArray embed(NDArray ids, NDArray positions, NDArray table);

    /**
     * What every layer's self-attention reads in a pass over the new tokens of {@code p}, in {@code dtype}: the additive
     * bias (B, 1, T, S+T) of causal and padding masking (null when nothing is masked). A family with position-dependent
     * attention adds its part here, from the real-token positions: ALiBi's penalties (the bias becomes (B, H, T, S+T)),
     * rotary angles.
     */
    public SelfAttentionInputs selfAttention(Positions p, NDManager m, DataType dtype) {
        return SelfAttentionInputs.of(p.selfAttentionBias(m, dtype));
    }

    /** The decoder layers, in order. */
    public abstract List<? extends DecoderLayer> layers();

    /**
     * The last layer's output (B, T, D) → (B, T, W) logits, through the final norm (if any) and the output head: tied to
     * {@code table} (W, E), or the family's own (GPT-NeoX's {@code embed_out}, which ignores {@code table}).
     */
    public abstract NDArray logits(NDArray x, NDArray table);

    /** The most tokens a sequence may have. */
    public abstract int maxPositions();

    /** The bare LM over a full batch without caching: (B, T) ids and padding mask → (B, T, W) logits. */
    public NDArray forward(NDArray ids, int[][] mask) {
        NDManager m = ids.getManager();
        Positions p = Positions.of(mask, null);
        NDArray table = tokenEmbeddings().getArray();
        NDArray x = embed(ids, p.positions(m), table); // (B, T, D)
        SelfAttentionInputs in = selfAttention(p, m, x.getDataType()); // bias (B, 1 or H, T, T), or null
        for (DecoderLayer layer : layers()) x = layer.forward(x, in, null); // (B, T, D)
        return logits(x, table); // (B, T, W)
    }
}
