package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;

/** Layer normalisation over the last axis with {@code weight} and, unless made without one (MPT), {@code bias} (PyTorch names). */
public final class LayerNorm extends NamedBlock {
    private final Shape normalized;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /** With a bias. */
    public LayerNorm(int dim, double eps) {
        this(dim, eps, true);
    }

    /** With a bias or, when {@code withBias} is false, without one (PyTorch's {@code bias=None}). */
    public LayerNorm(int dim, double eps, boolean withBias) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm needs a positive width, got " + dim);
        this.normalized = new Shape(dim);
        this.eps = (float) eps;
        this.weight = param("weight", new Shape(dim), Initializer.ONES);
        this.bias = withBias ? param("bias", new Shape(dim), Initializer.ZEROS) : null;
    }

    /** (..., D) → (..., D). */
    @Override
    public NDArray forward(NDArray x) {
        // the engine's layer norm takes a bias: without one, a zero bias of the input's type, on its (temporary) manager
        NDArray b = bias != null ? bias.getArray() : x.getManager().zeros(normalized, x.getDataType());
        return x.getNDArrayInternal().layerNorm(x, normalized, weight.getArray(), b, eps).head();
    }
}
