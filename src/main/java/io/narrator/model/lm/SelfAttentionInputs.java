package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;

/**
 * What every decoder layer's self-attention reads of one forward pass besides its input: the additive bias over the
 * cached and new keys (causal and padding masking, plus ALiBi's distance penalties in families that use them), and,
 * in families with rotary position embeddings, the rotation of each new token's position. Made once per pass by
 * {@link LanguageModel#selfAttention}, so layers never recompute it.
 *
 * <p>Shapes: B batch, H heads, T new tokens, S cached tokens.
 *
 * @param bias (B, 1, T, S+T), or (B, H, T, S+T) with per-head ALiBi penalties; null when every query may see every key
 * @param rotary the rotation angles of the new tokens' positions, or null when the family has no rotary embeddings
 */
public record SelfAttentionInputs(NDArray bias, Rotary.Angles rotary) {
    /** Only a bias (or none): the inputs of a family without rotary embeddings. */
    public static SelfAttentionInputs of(NDArray bias) {
        return new SelfAttentionInputs(bias, null);
    }
}
