package io.narrator.train.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Token sequences right-padded into a (B, T) batch, with the padding mask and, per position, the weight of
 * predicting the next token (1 for tokens the model should learn to produce, 0 for prompts and padding).
 */
public record TokenBatch(long[][] ids, int[][] mask, float[][] targetWeights) {

    /** Right-pads sequences; {@code weights.get(i)[t]} says whether token t of sequence i is a training target. */
    public static TokenBatch of(List<long[]> sequences, List<float[]> weights, long pad) {
        int t = sequences.stream().mapToInt(s -> s.length).max().orElseThrow();
        int b = sequences.size();
        long[][] ids = new long[b][t];
        int[][] mask = new int[b][t];
        float[][] w = new float[b][t];
        for (int i = 0; i < b; i++) {
            long[] s = sequences.get(i);
            java.util.Arrays.fill(ids[i], pad);
            System.arraycopy(s, 0, ids[i], 0, s.length);
            java.util.Arrays.fill(mask[i], 0, s.length, 1);
            System.arraycopy(weights.get(i), 0, w[i], 0, s.length);
        }
        return new TokenBatch(ids, mask, w);
    }

    /**
     * Rows {@code from} (inclusive) to {@code to} (exclusive), padded only to the longest of them: the same sequences,
     * masks and weights, so a model sees each row as it does in the whole batch.
     */
    public TokenBatch rows(int from, int to) {
        if (from < 0 || to > rows() || from >= to)
            throw new IllegalArgumentException("rows [" + from + ", " + to + ") of a batch of " + rows());
        int t = 0;
        for (int i = from; i < to; i++) for (int j = 0; j < length(); j++) if (mask[i][j] != 0) t = Math.max(t, j + 1);
        long[][] ids = new long[to - from][];
        int[][] mask = new int[to - from][];
        float[][] w = new float[to - from][];
        for (int i = from; i < to; i++) {
            ids[i - from] = java.util.Arrays.copyOf(this.ids[i], t);
            mask[i - from] = java.util.Arrays.copyOf(this.mask[i], t);
            w[i - from] = java.util.Arrays.copyOf(this.targetWeights[i], t);
        }
        return new TokenBatch(ids, mask, w);
    }

    /** The sum of {@link #weights}: how many predictions the batch's loss averages over. */
    public double targetWeight() {
        double sum = 0;
        for (float[] row : targetWeights) for (int j = 1; j < row.length; j++) sum += row[j];
        return sum;
    }

    public int rows() {
        return ids.length;
    }

    public int length() {
        return ids[0].length;
    }

    /** (B, T) int64 ids. */
    public NDArray idsArray(NDManager m) {
        long[] flat = new long[rows() * length()];
        for (int i = 0; i < rows(); i++) System.arraycopy(ids[i], 0, flat, i * length(), length());
        return m.create(flat, new Shape(rows(), length())).toType(DataType.INT64, false);
    }

    /** (B, T−1) int64: the token each position must predict. */
    public NDArray targets(NDManager m) {
        int t = length() - 1;
        long[] flat = new long[rows() * t];
        for (int i = 0; i < rows(); i++) System.arraycopy(ids[i], 1, flat, i * t, t);
        return m.create(flat, new Shape(rows(), t)).toType(DataType.INT64, false);
    }

    /** (B, T−1) float: weight of each position's prediction (that of the token it predicts). */
    public NDArray weights(NDManager m) {
        int t = length() - 1;
        float[] flat = new float[rows() * t];
        for (int i = 0; i < rows(); i++) System.arraycopy(targetWeights[i], 1, flat, i * t, t);
        return m.create(flat, new Shape(rows(), t));
    }
}
