package io.narrator.model.xattn;

import ai.djl.ndarray.NDArray;

/**
 * The cross-attention keys and values of one layer for a batch's visual tokens, computed once per
 * request and reused for every generated token. Shapes: (B, H, M·V, hd).
 */
public record MediaKv(NDArray keys, NDArray values) {

    /** Keeps the given batch rows, in order (beam reordering, finished requests dropped). */
    public MediaKv select(NDArray rows) {
        return new MediaKv(keys.get(rows), values.get(rows));
    }
}
