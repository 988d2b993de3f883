package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;

/** One layer of a {@link LanguageModel}'s decoder stack: causal self-attention and a feed-forward, with residuals. */
public interface DecoderLayer {
    /**
     * @param x (B, T, D) new tokens
     * @param bias (B, 1, T, S+T) additive mask over cached and new keys (causal and padding), or null when every query may
     *     see every key
     * @param cache this layer's cache (the new keys and values are appended to it), or null
     * @return (B, T, D)
     */
    NDArray forward(NDArray x, NDArray bias, LayerCache cache);
}
