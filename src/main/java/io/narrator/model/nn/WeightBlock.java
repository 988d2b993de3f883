package io.narrator.model.nn;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;

/**
 * A block that only holds one tensor named {@code weight}: embedding tables and convolution kernels whose
 * checkpoint names are {@code <module>.weight} but whose use is written out where they are applied.
 */
public final class WeightBlock extends NamedBlock {
    private final Parameter weight;

    public WeightBlock(Shape shape, Initializer initializer) {
        this.weight = param("weight", shape, initializer);
    }

    public Parameter weight() {
        return weight;
    }
}
