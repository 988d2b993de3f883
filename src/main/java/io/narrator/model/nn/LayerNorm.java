package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;

/** Layer normalisation over the last axis with {@code weight} and {@code bias} (PyTorch names). */
public final class LayerNorm extends NamedBlock {
    private final Shape normalized;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    public LayerNorm(int dim, double eps) {
        if (dim <= 0) throw new IllegalArgumentException("LayerNorm needs a positive width, got " + dim);
        this.normalized = new Shape(dim);
        this.eps = (float) eps;
        this.weight = param("weight", new Shape(dim), Initializer.ONES);
        this.bias = param("bias", new Shape(dim), Initializer.ZEROS);
    }

    /** (..., D) → (..., D). */
    @Override
    public NDArray forward(NDArray x) {
        return x.getNDArrayInternal().layerNorm(x, normalized, weight.getArray(), bias.getArray(), eps).head();
    }
}
