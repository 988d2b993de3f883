package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.nn.Attention;

/**
 * Positions and the self-attention mask for T new tokens of B left-padded rows, after S cached ones:
 * a token's position counts the real tokens before it in its row, and it sees real keys at or before itself.
 *
 * @param mask (B, T) 1 for a token, 0 for padding, of the new tokens
 * @param past (B, S) the same for cached tokens, or null when nothing is cached
 */
public record Positions(int[][] mask, int[][] past) {

    public static Positions of(int[][] mask, KvCache cache) {
        if (cache == null || cache.length() == 0) return new Positions(mask, null);
        int[][] past = new int[cache.rows()][];
        for (int r = 0; r < past.length; r++) past[r] = cache.keyMask(r);
        return new Positions(mask, past);
    }

    private int pastLength() {
        return past == null ? 0 : past[0].length;
    }

    /** The most real tokens of any row, cached and new: the positions this pass needs. */
    public int longestRow() {
        int longest = 0;
        for (int r = 0; r < mask.length; r++) {
            int n = 0;
            if (past != null) for (int v : past[r]) n += v;
            for (int v : mask[r]) n += v;
            longest = Math.max(longest, n);
        }
        return longest;
    }

    /** (B, T) int64 positions. Padding gets position 0 (it is never attended to). */
    public NDArray positions(NDManager m) {
        int b = mask.length;
        int t = mask[0].length;
        long[] pos = new long[b * t];
        int[][] each = ofTokens();
        for (int r = 0; r < b; r++) for (int i = 0; i < t; i++) pos[r * t + i] = each[r][i];
        return Gpt2.int64(m, pos, new Shape(b, t));
    }

    /** The position of each new token, (B, T): the number of real tokens before it in its row (padding: 0). */
    public int[][] ofTokens() {
        int b = mask.length;
        int t = mask[0].length;
        int[][] pos = new int[b][t];
        for (int r = 0; r < b; r++) {
            int seen = 0;
            if (past != null) for (int v : past[r]) seen += v;
            for (int i = 0; i < t; i++) {
                pos[r][i] = mask[r][i] == 1 ? seen : 0;
                seen += mask[r][i];
            }
        }
        return pos;
    }

    /**
     * The position of every key this pass attends over, cached then new, (B, S+T): the number of real tokens before it in
     * its row (padding: 0, never attended to). A new token's key has its query's position ({@link #ofTokens()}).
     */
    public int[][] ofKeys() {
        int b = mask.length;
        int t = mask[0].length;
        int s = pastLength();
        int[][] pos = new int[b][s + t];
        for (int r = 0; r < b; r++) {
            int seen = 0;
            for (int j = 0; j < s + t; j++) {
                int real = j < s ? past[r][j] : mask[r][j - s];
                pos[r][j] = real == 1 ? seen : 0;
                seen += real;
            }
        }
        return pos;
    }

    /** True when key {@code j} (cached then new) of row {@code r} is visible to new token {@code i}: real, and not after it. */
    public boolean visible(int r, int i, int j) {
        int s = pastLength();
        int real = j < s ? past[r][j] : mask[r][j - s];
        return real == 1 && j <= s + i;
    }

    /** {@link #selfAttentionBias(NDManager, DataType)} in float32. */
    public NDArray selfAttentionBias(NDManager m) {
        return selfAttentionBias(m, DataType.FLOAT32);
    }

    /**
     * (B, 1, T, S+T) additive bias of the given dtype: 0 where query i may see key j (real, and j ≤ S+i), else masked;
     * null when nothing is masked (one new token per row and no padding: a generation step of equally long prompts).
     */
    public NDArray selfAttentionBias(NDManager m, DataType dtype) {
        int b = mask.length;
        int t = mask[0].length;
        int s = pastLength();
        int keys = s + t;
        if (t == 1 && allReal()) return null;
        float[] bias = new float[b * t * keys];
        float masked = Attention.masked(dtype);
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                int base = (r * t + i) * keys;
                for (int j = 0; j < keys; j++) bias[base + j] = visible(r, i, j) ? 0f : masked;
                // a padding query sees itself so its (ignored) softmax row stays well defined
                if (mask[r][i] == 0) bias[base + s + i] = 0f;
            }
        }
        return Attention.inType(m.create(bias, new Shape(b, 1, t, keys)), dtype);
    }

    private boolean allReal() {
        for (int[] row : mask) for (int v : row) if (v == 0) return false;
        if (past != null) for (int[] row : past) for (int v : row) if (v == 0) return false;
        return true;
    }
}
