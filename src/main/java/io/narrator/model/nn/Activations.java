package io.narrator.model.nn;

import ai.djl.ndarray.NDArray;

/** The activation functions of the three model families, written once. */
public final class Activations {
    private static final float SQRT_2_OVER_PI = (float) Math.sqrt(2 / Math.PI);

    private Activations() {}

    /** Exact GELU (erf), {@code torch.nn.GELU()}: the Perceiver and cross-attention feed-forwards. */
    public static NDArray gelu(NDArray x) {
        return x.getNDArrayInternal().gelu();
    }

    /**
     * GPT-2's "gelu_new": 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as the identical
     * x·σ(2√(2/π)·x·(1 + 0.044715·x²)) (since 0.5·(1 + tanh z) = σ(2z)): six engine calls instead of nine.
     */
    public static NDArray geluTanh(NDArray x) {
        // no in-place ops: autograd needs the intermediate results for the backward pass
        NDArray inner = Scalars.add(Scalars.mul(x.mul(x), 2 * SQRT_2_OVER_PI * 0.044715f), 2 * SQRT_2_OVER_PI).mul(x);
        return inner.getNDArrayInternal().sigmoid().mul(x);
    }

    /** CLIP's quick_gelu: x·σ(1.702·x). */
    public static NDArray quickGelu(NDArray x) {
        return Scalars.mul(x, 1.702f).getNDArrayInternal().sigmoid().mul(x);
    }

    /** max(x, 0): OPT's feed-forward. */
    public static NDArray relu(NDArray x) {
        return x.getNDArrayInternal().relu();
    }

    /** max(x, 0)²: the Flamingo paper's feed-forward activation (flamingo-mini's {@code sqrelu}). */
    public static NDArray squaredRelu(NDArray x) {
        NDArray r = relu(x);
        return r.mul(r);
    }

    /** The activation names a config may use: {@code quick_gelu}, {@code gelu}, {@code gelu_new}, {@code relu}, {@code sqrelu}. */
    public static final java.util.Set<String> NAMES = java.util.Set.of("quick_gelu", "gelu", "gelu_new", "relu", "sqrelu");

    /** Applies the activation named in a config (one of {@link #NAMES}). */
    public static NDArray byName(String name, NDArray x) {
        return switch (name) {
            case "quick_gelu" -> quickGelu(x);
            case "gelu" -> gelu(x);
            case "gelu_new" -> geluTanh(x);
            case "relu" -> relu(x);
            case "sqrelu" -> squaredRelu(x);
            default -> throw new IllegalArgumentException("unknown activation " + name);
        };
    }
}
