package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a constant that is safe under autograd. DJL's {@code x.mul(0.5f)} wraps the number in a
 * tensor over a Java buffer and frees that buffer as soon as the op returns; PyTorch keeps the tensor for
 * the backward pass (to differentiate {@code mul}, {@code div}, {@code pow}, {@code maximum}), which then
 * reads freed memory — garbage gradients once the allocator reuses it. These helpers create the constant
 * in PyTorch-owned memory on {@code x}'s manager, alive until that manager closes.
 */
public final class Scalars {
    private Scalars() {}

    /** A 0-d constant on {@code like}'s manager, of its dtype. */
    public static NDArray constant(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType());
    }

    public static NDArray mul(NDArray x, float value) {
        return x.mul(constant(x, value));
    }

    public static NDArray add(NDArray x, float value) {
        return x.add(constant(x, value));
    }

    public static NDArray div(NDArray x, float value) {
        return x.div(constant(x, value));
    }

    public static NDArray maximum(NDArray x, float value) {
        return x.maximum(constant(x, value));
    }
}
