package io.narrator.model.xattn;

import ai.djl.ndarray.NDArray;

/**
 * What one gated cross-attention layer prepares once per batch and reads at every forward pass: the keys and
 * values of the batch's visual tokens and its two gates through tanh. Keys and values are contiguous, in the
 * layouts the two products of attention read directly (a strided view would be copied by every product, at
 * every step).
 *
 * @param keysT (B, H, hd, M·V): the keys, transposed for q·kᵀ
 * @param values (B, H, M·V, hd)
 * @param attnGate (1) tanh(attn_gate)
 * @param ffGate (1) tanh(ff_gate)
 */
public record PreparedMedia(NDArray keysT, NDArray values, NDArray attnGate, NDArray ffGate) {

    /**
     * Keeps the given batch rows, in order (beam reordering, finished requests dropped); keys and values stay
     * contiguous, the gates (the same for every row) are shared with this one.
     */
    public PreparedMedia select(NDArray rows) {
        return new PreparedMedia(contiguous(keysT.get(rows)), contiguous(values.get(rows)), attnGate, ffGate);
    }

    /** {@code x} with a contiguous layout: reshaping a strided view to one axis copies it in row-major order (a no-op when it already is). */
    static NDArray contiguous(NDArray x) {
        return x.reshape(-1).reshape(x.getShape());
    }
}
