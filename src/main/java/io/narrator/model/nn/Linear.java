package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.initializer.Initializer;

/**
 * A PyTorch-layout linear layer: {@code weight} is (out, in), optional {@code bias} (out).
 * Used where checkpoints follow {@code torch.nn.Linear} (CLIP, OpenFlamingo).
 */
public final class Linear extends NamedBlock {
    private final int in;
    private final int out;
    private final Parameter weight;
    private final Parameter bias;

    private Linear(Builder b) {
        this.in = b.in;
        this.out = b.out;
        this.weight = param("weight", new Shape(out, in), new NormalInitializer(Builder.STD));
        this.bias = b.bias ? param("bias", new Shape(out), Initializer.ZEROS) : null;
    }

    /** (..., in) → (..., out). */
    @Override
    public NDArray forward(NDArray x) {
        return x.getNDArrayInternal().linear(x, weight.getArray(), bias == null ? null : bias.getArray()).head();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape s = inputShapes[0];
        return new Shape[] {s.slice(0, s.dimension() - 1).add(out)};
    }

    public Parameter weight() {
        return weight;
    }

    public int inFeatures() {
        return in;
    }

    public int outFeatures() {
        return out;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link Linear}: {@code setIn}/{@code setOut} required; bias on by default. */
    public static final class Builder {
        private int in;
        private int out;
        private boolean bias = true;
        private static final float STD = 0.02f;

        public Builder setIn(int in) {
            this.in = in;
            return this;
        }

        public Builder setOut(int out) {
            this.out = out;
            return this;
        }

        public Builder optBias(boolean bias) {
            this.bias = bias;
            return this;
        }

        public Linear build() {
            if (in <= 0 || out <= 0) throw new IllegalArgumentException("Linear needs positive in/out, got " + in + "→" + out);
            return new Linear(this);
        }
    }
}
