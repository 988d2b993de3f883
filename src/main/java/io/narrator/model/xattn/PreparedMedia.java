package io.narrator.model.xattn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

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

    /**
     * One media slot per row: row r keeps only the V keys and values of the slot that {@code index[r]} = r·M + slot
     * names, as contiguous keys (B, H, hd, V) and values (B, H, V, hd); the gates are shared with this one.
     *
     * @param index (B) int64
     * @param slots M, media slots per row
     * @param perMedia V, visual tokens per media item
     */
    public PreparedMedia slotPerRow(NDArray index, int slots, int perMedia) {
        Shape k = keysT.getShape(); // (B, H, hd, M·V)
        long b = k.get(0), h = k.get(1), hd = k.get(2);
        NDArray keysBySlot = keysT.reshape(b, h, hd, slots, perMedia).transpose(0, 3, 1, 2, 4).reshape(b * slots, h, hd, perMedia); // (B·M, H, hd, V)
        NDArray valuesBySlot = values.reshape(b, h, slots, perMedia, hd).transpose(0, 2, 1, 3, 4).reshape(b * slots, h, perMedia, hd); // (B·M, H, V, hd)
        PreparedMedia own = new PreparedMedia(keysBySlot.get(index), valuesBySlot.get(index), attnGate, ffGate); // (B, H, hd, V), (B, H, V, hd)
        keysBySlot.close();
        valuesBySlot.close();
        return own;
    }

    /** {@code x} with a contiguous layout: reshaping a strided view to one axis copies it in row-major order (a no-op when it already is). */
    static NDArray contiguous(NDArray x) {
        return x.reshape(-1).reshape(x.getShape());
    }
}
