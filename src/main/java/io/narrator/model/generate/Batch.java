package io.narrator.model.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/** Token sequences of different lengths, left-padded into one (B, T) batch with its padding mask. */
record Batch(long[][] tokens, int[][] mask) {

    static Batch leftPadded(List<long[]> sequences, long pad) {
        int t = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        long[][] tokens = new long[sequences.size()][t];
        int[][] mask = new int[sequences.size()][t];
        for (int r = 0; r < sequences.size(); r++) {
            long[] s = sequences.get(r);
            int offset = t - s.length;
            java.util.Arrays.fill(tokens[r], 0, offset, pad);
            System.arraycopy(s, 0, tokens[r], offset, s.length);
            java.util.Arrays.fill(mask[r], offset, t, 1);
        }
        return new Batch(tokens, mask);
    }

    /** (B, T) int64 ids on {@code m}. */
    NDArray ids(NDManager m) {
        int b = tokens.length;
        int t = tokens[0].length;
        long[] flat = new long[b * t];
        for (int r = 0; r < b; r++) System.arraycopy(tokens[r], 0, flat, r * t, t);
        return m.create(flat, new Shape(b, t)).toType(DataType.INT64, false);
    }
}
