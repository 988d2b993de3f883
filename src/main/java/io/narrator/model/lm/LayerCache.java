package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * The self-attention keys and values of one LM layer for every token seen so far, so that each new
 * token costs one query instead of recomputing the whole sequence. The keys are kept transposed, (B, H, hd, S),
 * the layout q·kᵀ reads, so no step transposes them again; the values are (B, H, S, hd).
 */
public final class LayerCache {
    private final NDManager owner;
    private NDArray keys;
    private NDArray values;

    /** Cached arrays live on {@code owner}, whatever manager the step that computed them used. */
    LayerCache(NDManager owner) {
        this.owner = owner;
    }

    /**
     * Appends the new tokens' transposed keys (B, H, hd, T) and values (B, H, T, hd), and returns all of them:
     * keys (B, H, hd, S+T), values (B, H, S+T, hd).
     */
    NDList append(NDArray keysT, NDArray v) {
        keys = replace(keys, keys == null ? keysT : NDArrays.concat(new NDList(keys, keysT), 3));
        values = replace(values, values == null ? v : NDArrays.concat(new NDList(values, v), 2));
        return new NDList(keys, values);
    }

    private NDArray replace(NDArray old, NDArray fresh) {
        fresh.attach(owner);
        if (old != null) old.close();
        return fresh;
    }

    /** Keeps only the given batch rows, in the given order (beam search reordering, finished requests dropped). */
    void select(NDArray rows) {
        if (keys == null) return;
        keys = replace(keys, keys.get(rows));
        values = replace(values, values.get(rows));
    }

    /** Starts this (empty) cache from the given rows of {@code from}'s keys and values, (rows, H, ·, ·). */
    void seed(LayerCache from, NDArray rows) {
        if (keys != null) throw new IllegalStateException("only an empty cache can be seeded");
        keys = replace(null, from.keys.get(rows));
        values = replace(null, from.values.get(rows));
    }

    /** Tokens cached so far. */
    long length() {
        return keys == null ? 0 : keys.getShape().get(3);
    }
}
