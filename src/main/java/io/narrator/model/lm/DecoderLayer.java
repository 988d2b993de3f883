package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;

/** One layer of a {@link LanguageModel}'s decoder stack: causal self-attention and a feed-forward, with residuals. */
public interface DecoderLayer {
    /**
     * @param x (B, T, D) new tokens
     * @param in the pass's self-attention inputs: the additive bias (B, 1 or H, T, S+T) over cached and new keys (causal,
     *     padding, ALiBi; null when every query may see every key) and the rotary angles of the new tokens (null: none)
     * @param cache this layer's cache (the new keys and values are appended to it), or null
     * @return (B, T, D)
     */
    NDArray forward(NDArray x, SelfAttentionInputs in, LayerCache cache);
}
