package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.Initializer;
import ai.djl.training.initializer.NormalInitializer;

/**
 * GPT-2's "Conv1D": a linear layer stored transposed, {@code weight} (in, out) and {@code bias} (out),
 * so Hugging Face GPT-2 checkpoints load without transposing.
 */
public final class Conv1D extends NamedBlock {
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    public Conv1D(int in, int out, float initStd) {
        if (in <= 0 || out <= 0) throw new IllegalArgumentException("Conv1D needs positive in/out, got " + in + "→" + out);
        this.out = out;
        this.weight = param("weight", new Shape(in, out), new NormalInitializer(initStd));
        this.bias = param("bias", new Shape(out), Initializer.ZEROS);
    }

    /** (..., in) → (..., out): x @ W + b. */
    @Override
    public NDArray forward(NDArray x) {
        return x.matMul(weight.getArray()).add(bias.getArray());
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(out)};
    }
}
