package io.narrator.train.eval;

/**
 * A linear classifier for probing features: multinomial logistic regression on standardised features (mean and
 * standard deviation from the training rows), fitted by full-batch Adam with a little L2 weight decay. Small and
 * deterministic: the same rows give the same weights.
 *
 * <p>Shapes: N rows, D features, K classes.
 */
final class SoftmaxRegression {
    static final int ITERATIONS = 400;
    static final double LEARNING_RATE = 0.02;
    static final double WEIGHT_DECAY = 1e-3;

    private final double[] mean;
    private final double[] scale;
    private final double[][] weights; // (K, D + 1), bias last

    private SoftmaxRegression(double[] mean, double[] scale, double[][] weights) {
        this.mean = mean;
        this.scale = scale;
        this.weights = weights;
    }

    /** Fits {@code classes} classes to rows {@code x} (N, D) with labels {@code y} in [0, classes). */
    static SoftmaxRegression fit(float[][] x, int[] y, int classes) {
        if (x.length == 0) throw new IllegalArgumentException("no rows to fit");
        if (x.length != y.length) throw new IllegalArgumentException(x.length + " rows but " + y.length + " labels");
        if (classes < 2) throw new IllegalArgumentException("need at least 2 classes, got " + classes);
        int n = x.length, d = x[0].length;
        for (int i = 0; i < n; i++) {
            if (x[i].length != d) throw new IllegalArgumentException("row " + i + " has " + x[i].length + " features, row 0 has " + d);
            if (y[i] < 0 || y[i] >= classes) throw new IllegalArgumentException("label " + y[i] + " of row " + i + " is outside [0, " + classes + ")");
        }
        double[] mean = new double[d], scale = new double[d];
        for (float[] row : x) for (int j = 0; j < d; j++) mean[j] += row[j] / (double) n;
        for (float[] row : x) for (int j = 0; j < d; j++) scale[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
        for (int j = 0; j < d; j++) scale[j] = 1 / Math.sqrt(scale[j] + 1e-8);
        double[][] z = new double[n][];
        for (int i = 0; i < n; i++) z[i] = standardise(x[i], mean, scale);

        double[][] w = new double[classes][d + 1], m = new double[classes][d + 1], v = new double[classes][d + 1];
        double[] p = new double[classes];
        for (int it = 1; it <= ITERATIONS; it++) {
            double[][] grad = new double[classes][d + 1];
            for (int i = 0; i < n; i++) {
                probabilities(w, z[i], p);
                for (int c = 0; c < classes; c++) {
                    double g = (p[c] - (c == y[i] ? 1 : 0)) / n;
                    double[] gc = grad[c];
                    for (int j = 0; j < d; j++) gc[j] += g * z[i][j];
                    gc[d] += g;
                }
            }
            double c1 = 1 - Math.pow(0.9, it), c2 = 1 - Math.pow(0.999, it);
            for (int c = 0; c < classes; c++)
                for (int j = 0; j <= d; j++) {
                    double g = grad[c][j] + (j < d ? WEIGHT_DECAY * w[c][j] : 0);
                    m[c][j] = 0.9 * m[c][j] + 0.1 * g;
                    v[c][j] = 0.999 * v[c][j] + 0.001 * g * g;
                    w[c][j] -= LEARNING_RATE * (m[c][j] / c1) / (Math.sqrt(v[c][j] / c2) + 1e-8);
                }
        }
        return new SoftmaxRegression(mean, scale, w);
    }

    /** The most likely class of {@code row}. */
    int predict(float[] row) {
        if (row.length != mean.length) throw new IllegalArgumentException("row has " + row.length + " features, the probe was fitted on " + mean.length);
        double[] z = standardise(row, mean, scale);
        int best = 0;
        double bestLogit = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < weights.length; c++) {
            double logit = logit(weights[c], z);
            if (logit > bestLogit) {
                bestLogit = logit;
                best = c;
            }
        }
        return best;
    }

    /** The share of {@code rows} whose predicted class is their label. */
    double accuracy(float[][] rows, int[] labels) {
        if (rows.length != labels.length) throw new IllegalArgumentException(rows.length + " rows but " + labels.length + " labels");
        if (rows.length == 0) throw new IllegalArgumentException("no rows to score");
        int right = 0;
        for (int i = 0; i < rows.length; i++) if (predict(rows[i]) == labels[i]) right++;
        return (double) right / rows.length;
    }

    private static double[] standardise(float[] row, double[] mean, double[] scale) {
        double[] z = new double[row.length];
        for (int j = 0; j < row.length; j++) z[j] = (row[j] - mean[j]) * scale[j];
        return z;
    }

    private static double logit(double[] w, double[] z) {
        double s = w[z.length];
        for (int j = 0; j < z.length; j++) s += w[j] * z[j];
        return s;
    }

    private static void probabilities(double[][] w, double[] z, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < w.length; c++) max = Math.max(max, out[c] = logit(w[c], z));
        double sum = 0;
        for (int c = 0; c < w.length; c++) sum += out[c] = Math.exp(out[c] - max);
        for (int c = 0; c < w.length; c++) out[c] /= sum;
    }
}
