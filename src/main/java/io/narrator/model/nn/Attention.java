package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Scaled dot-product attention over heads, shared by every attention block.
 *
 * <p>Shapes: B batch, H heads, T queries, S keys, hd head width.
 */
public final class Attention {
    /** Added to the logits of keys a query must not see; large but finite, so a fully masked row stays finite. */
    public static final float MASKED = -1e9f;

    private Attention() {}

    /** {@link #MASKED} in a dtype: float16 cannot hold it, so there the most negative finite float16 (as in PyTorch's finfo.min). */
    public static float masked(DataType dtype) {
        return dtype == DataType.FLOAT16 ? -65504f : MASKED;
    }

    /** A float32 mask or bias in the model's dtype (itself when that is float32). */
    public static NDArray inType(NDArray x, DataType dtype) {
        return x.getDataType() == dtype ? x : x.toType(dtype, false);
    }

    /**
     * softmax(q·kᵀ·scale + bias)·v.
     *
     * @param q (B, H, T, hd)
     * @param k (B, H, S, hd)
     * @param v (B, H, S, hd)
     * @param bias additive logits bias broadcastable to (B, H, T, S) (0 = visible, {@link #MASKED} = hidden), or null
     * @return (B, H, T, hd)
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray bias, float scale) {
        return attendTransposed(q, k.transpose(0, 1, 3, 2), v, bias, scale);
    }

    /** {@link #attend} with the keys already transposed, {@code keysT} (B, H, hd, S). */
    public static NDArray attendTransposed(NDArray q, NDArray keysT, NDArray v, NDArray bias, float scale) {
        NDArray logits = Scalars.mul(q.matMul(keysT), scale); // (B, H, T, S)
        if (bias != null) logits = logits.add(bias);
        return logits.softmax(-1).matMul(v); // (B, H, T, hd)
    }

    /** Splits the last axis into {@code parts} equal chunks (q/k/v out of a fused projection). */
    public static ai.djl.ndarray.NDList splitLast(NDArray x, int parts) {
        return x.split(parts, x.getShape().dimension() - 1);
    }

    /** (B, T, H·hd) → (B, H, T, hd). */
    public static NDArray splitHeads(NDArray x, int heads) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long hd = x.getShape().get(2) / heads;
        // one token (a generation step): the heads already lie in (B, H, 1, hd) order, no transpose needed
        if (t == 1) return x.reshape(b, heads, 1, hd);
        return x.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);
    }

    /** (B, T, H·hd) → (B, H, hd, T): the keys split into heads and transposed for q·kᵀ in one step. */
    public static NDArray splitHeadsTransposed(NDArray x, int heads) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        long hd = x.getShape().get(2) / heads;
        if (t == 1) return x.reshape(b, heads, hd, 1);
        return x.reshape(b, t, heads, hd).transpose(0, 2, 3, 1);
    }

    /** (B, H, T, hd) → (B, T, H·hd). */
    public static NDArray mergeHeads(NDArray x) {
        long b = x.getShape().get(0);
        long h = x.getShape().get(1);
        long t = x.getShape().get(2);
        long hd = x.getShape().get(3);
        if (t == 1) return x.reshape(b, 1, h * hd);
        return x.transpose(0, 2, 1, 3).reshape(b, t, h * hd);
    }
}
