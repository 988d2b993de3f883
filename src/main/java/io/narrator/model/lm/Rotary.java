package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.nn.Attention;

/**
 * Rotary position embeddings (Su et al. 2021) as GPT-NeoX applies them: the first R dimensions of each head's queries
 * and keys ({@code rotary_pct} of the head width) are rotated by their token's position p, pair k of dimensions (k,
 * k + R/2) by the angle {@code p · base^(−2k/R)} — Hugging Face's "rotate half" layout — and the other dimensions pass
 * unchanged. Positions are real-token positions, so left padding shifts nothing.
 *
 * <p>Shapes: B batch, H heads, T new tokens, hd head width, R rotated dimensions.
 */
public final class Rotary {
    private final int dims;
    private final float[] inverseFrequencies;

    /** The rotation of angles of a pass: cosines and sines of each new token's angles, (B, 1, T, R/2) each. */
    public record Angles(NDArray cos, NDArray sin) {}

    /** Rotates the first {@code dims} (even) dimensions of each head with frequencies {@code base^(−2k/dims)}. */
    public Rotary(int dims, double base) {
        if (dims <= 0 || dims % 2 != 0) throw new IllegalArgumentException("rotary dimensions must be a positive even number, got " + dims);
        if (!(base > 0)) throw new IllegalArgumentException("the rotary base must be positive, got " + base);
        this.dims = dims;
        inverseFrequencies = new float[dims / 2];
        for (int k = 0; k < dims / 2; k++) { // 1 / base^(arange(0, R, 2) / R), in float32 as GPT-NeoX computes it
            float exponent = (float) (2 * k) / dims;
            inverseFrequencies[k] = 1f / (float) Math.pow(base, exponent);
        }
    }

    /** Rotated dimensions per head, R. */
    public int dims() {
        return dims;
    }

    /** The angles of new tokens at {@code positions} (B, T), in {@code dtype}: position × frequency in float32, then cos and sin. */
    public Angles angles(int[][] positions, NDManager m, DataType dtype) {
        int b = positions.length;
        int t = positions[0].length;
        int half = dims / 2;
        float[] cos = new float[b * t * half];
        float[] sin = new float[b * t * half];
        for (int r = 0; r < b; r++)
            for (int i = 0; i < t; i++)
                for (int k = 0; k < half; k++) {
                    float angle = positions[r][i] * inverseFrequencies[k]; // float32, as torch's outer product
                    int at = (r * t + i) * half + k;
                    cos[at] = (float) Math.cos(angle);
                    sin[at] = (float) Math.sin(angle);
                }
        Shape shape = new Shape(b, 1, t, half);
        return new Angles(Attention.inType(m.create(cos, shape), dtype), Attention.inType(m.create(sin, shape), dtype));
    }

    /**
     * (B, H, T, hd) queries or keys → the same with their first R dimensions rotated: with x₁, x₂ the two halves of
     * those R, {@code (x₁·cos − x₂·sin, x₂·cos + x₁·sin)}, which is Hugging Face's {@code x·cos + rotate_half(x)·sin}.
     */
    public NDArray apply(NDArray x, Angles a) {
        long hd = x.getShape().get(3);
        int half = dims / 2;
        NDArray x1 = x.get(":, :, :, 0:" + half); // (B, H, T, R/2)
        NDArray x2 = x.get(":, :, :, " + half + ":" + dims); // (B, H, T, R/2)
        NDList parts = new NDList(x1.mul(a.cos()).sub(x2.mul(a.sin())), x2.mul(a.cos()).add(x1.mul(a.sin()))); // 2 × (B, H, T, R/2)
        if (dims < hd) parts.add(x.get(":, :, :, " + dims + ":")); // (B, H, T, hd − R)
        return NDArrays.concat(parts, 3); // (B, H, T, hd)
    }
}
