package io.narrator.model.xattn;

import ai.djl.ndarray.NDArray;

/**
 * The cross-attention keys and values of one layer for a batch's visual tokens, computed once per
 * request and reused for every generated token. Both are contiguous, in the layouts the two products of
 * attention read directly (a strided view would be copied by every product, at every step).
 *
 * @param keysT (B, H, hd, M·V): the keys, transposed for q·kᵀ
 * @param values (B, H, M·V, hd)
 */
public record MediaKv(NDArray keysT, NDArray values) {

    /** Keeps the given batch rows, in order (beam reordering, finished requests dropped); the result stays contiguous. */
    public MediaKv select(NDArray rows) {
        return new MediaKv(contiguous(keysT.get(rows)), contiguous(values.get(rows)));
    }

    /** {@code x} with a contiguous layout: reshaping a strided view to one axis copies it in row-major order (a no-op when it already is). */
    static NDArray contiguous(NDArray x) {
        return x.reshape(-1).reshape(x.getShape());
    }
}
