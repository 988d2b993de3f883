package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * OpenFlamingo's {@code FeedForward}: {@code nn.Sequential(LayerNorm, Linear(D, mult·D, bias=False), GELU,
 * Linear(mult·D, D, bias=False))}, so its tensors are named {@code 0.*}, {@code 1.weight}, {@code 3.weight}.
 */
public final class FeedForward extends NamedBlock {
    private final LayerNorm norm;
    private final Linear up;
    private final Linear down;

    public FeedForward(int dim, int mult, double eps) {
        norm = child("0", new LayerNorm(dim, eps));
        up = child("1", Linear.builder().setIn(dim).setOut(dim * mult).optBias(false).build());
        down = child("3", Linear.builder().setIn(dim * mult).setOut(dim).optBias(false).build());
    }

    /** (..., D) → (..., D); the residual is added by the caller. */
    @Override
    public NDArray forward(NDArray x) {
        return down.forward(Activations.gelu(up.forward(norm.forward(x))));
    }
}
