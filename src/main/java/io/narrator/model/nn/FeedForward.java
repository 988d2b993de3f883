package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * OpenFlamingo's {@code FeedForward}: {@code nn.Sequential(LayerNorm, Linear(D, mult·D, bias=False), activation,
 * Linear(mult·D, D, bias=False))}, so its tensors are named {@code 0.*}, {@code 1.weight}, {@code 3.weight}. The
 * activation is GELU in OpenFlamingo, squared ReLU in the paper and in flamingo-mini's release.
 */
public final class FeedForward extends NamedBlock {
    private final LayerNorm norm;
    private final Linear up;
    private final Linear down;
    private final String activation;

    /** With GELU. */
    public FeedForward(int dim, int mult, double eps) {
        this(dim, mult, eps, "gelu");
    }

    /** With the activation of that name ({@link Activations#byName}). */
    public FeedForward(int dim, int mult, double eps, String activation) {
        if (!Activations.NAMES.contains(activation)) throw new IllegalArgumentException("unknown activation " + activation);
        this.activation = activation;
        norm = child("0", new LayerNorm(dim, eps));
        up = child("1", Linear.builder().setIn(dim).setOut(dim * mult).optBias(false).build());
        down = child("3", Linear.builder().setIn(dim * mult).setOut(dim).optBias(false).build());
    }

    /** (..., D) → (..., D); the residual is added by the caller. */
    @Override
    public NDArray forward(NDArray x) {
        return down.forward(Activations.byName(activation, up.forward(norm.forward(x)))); // (..., mult·D) → (..., D)
    }
}
