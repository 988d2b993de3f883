package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.nn.Attention;

/**
 * ALiBi (Press et al. 2021, "Train Short, Test Long"), as MPT computes it: no position embeddings; each head h of H adds
 * {@code −slope_h · (i − j)} to the logit of query i for key j, i − j their distance in real tokens. The slopes are
 * {@code 2^(−b·k/H')} for k = 1…H' with H' the power of two at or above H and b = {@code alibi_bias_max} (8); when H is
 * not a power of two the odd-numbered slopes come first, then the even ones, cut to H (MPT's {@code gen_slopes}).
 *
 * <p>MPT adds {@code slope · (j − last)} per key, which differs from the distance form by a constant per query row and
 * so gives the same softmax; the distance form keeps the penalties of near keys small (exact in float16 too) and follows
 * real-token positions, so left padding and padding between a cached prefix and new tokens change nothing.
 *
 * <p>Shapes: B batch, H heads, T new tokens, S cached tokens.
 */
public final class Alibi {
    private final float[] slopes;

    /** The slopes of {@code heads} heads with MPT's {@code alibi_bias_max} {@code biasMax}. */
    public Alibi(int heads, double biasMax) {
        if (heads <= 0) throw new IllegalArgumentException("ALiBi needs a positive head count, got " + heads);
        if (!(biasMax > 0)) throw new IllegalArgumentException("ALiBi's bias maximum must be positive, got " + biasMax);
        slopes = slopes(heads, biasMax);
    }

    /** MPT's {@code gen_slopes}: per head, in float32 as MPT computes them. */
    static float[] slopes(int heads, double biasMax) {
        int padded = Integer.highestOneBit(heads) == heads ? heads : Integer.highestOneBit(heads) << 1;
        float[] all = new float[padded];
        float step = (float) biasMax / padded;
        for (int k = 1; k <= padded; k++) all[k - 1] = (float) (1.0 / Math.pow(2, k * step)); // m = k · (b / H') in float32
        if (padded == heads) return all;
        float[] out = new float[heads];
        int n = 0;
        for (int k = 1; k < padded && n < heads; k += 2) out[n++] = all[k]; // slopes[1::2]
        for (int k = 0; k < padded && n < heads; k += 2) out[n++] = all[k]; // then slopes[::2]
        return out;
    }

    /** The slope of each head. */
    public float[] slopes() {
        return slopes.clone();
    }

    /**
     * The self-attention bias with ALiBi, (B, H, T, S+T) in {@code dtype}: the masking of {@link Positions#selfAttentionBias}
     * where a key is hidden, {@code −slope_h · (position(i) − position(j))} where it is visible.
     */
    public NDArray bias(Positions p, NDManager m, DataType dtype) {
        int[][] mask = p.mask();
        int b = mask.length;
        int t = mask[0].length;
        int[][] queries = p.ofTokens(); // (B, T)
        int[][] keys = p.ofKeys(); // (B, S+T)
        int k = keys[0].length;
        float[] distance = new float[b * t * k]; // (B, 1, T, S+T): j's position − i's where visible, else 0
        for (int r = 0; r < b; r++)
            for (int i = 0; i < t; i++)
                for (int j = 0; j < k; j++)
                    if (p.visible(r, i, j)) distance[(r * t + i) * k + j] = keys[r][j] - queries[r][i];
        NDArray masking = p.selfAttentionBias(m, DataType.FLOAT32); // (B, 1, T, S+T), or null
        NDArray d = m.create(distance, new Shape(b, 1, t, k)); // (B, 1, T, S+T)
        NDArray perHead = d.mul(m.create(slopes, new Shape(1, slopes.length, 1, 1))); // (B, H, T, S+T)
        NDArray bias = masking == null ? perHead : perHead.add(masking); // (B, H, T, S+T)
        return Attention.inType(bias, dtype);
    }
}
