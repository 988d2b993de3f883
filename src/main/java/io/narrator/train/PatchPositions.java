package io.narrator.train;

/**
 * The starting point of the ViT's patch position embeddings for contrastive pretraining: a fixed 2-D
 * sine-cosine code of each patch's row and column (as in MAE), at an amplitude comparable to the patch
 * content, instead of small random numbers. With random rows of norm 0.2 the patch content (which Adam
 * grows quickly through the 3·p·p-input patch convolution) drowns them after the pre-LayerNorm, and the
 * patch tokens no longer know where they are: the resampler, which adds no spatial position of its own,
 * then cannot see where an object is or which way it moves.
 *
 * <p>Shapes: G grid side (S/p), P = G² patches, D width (a multiple of 4).
 */
final class PatchPositions {
    private PatchPositions() {}

    /**
     * (P, D) row-major: for patch (row i, column j) the first D/4 entries are sin(j·f_k), then cos(j·f_k),
     * sin(i·f_k), cos(i·f_k), with frequencies f_k = 100^(−k/(D/4)), each times {@code amplitude}.
     */
    static float[] sinCos(int grid, int width, float amplitude) {
        if (grid < 1 || width < 4 || width % 4 != 0)
            throw new IllegalArgumentException("need a grid side ≥ 1 and a width that is a positive multiple of 4, got " + grid + " and " + width);
        int q = width / 4;
        float[] out = new float[grid * grid * width];
        for (int i = 0; i < grid; i++)
            for (int j = 0; j < grid; j++) {
                int row = (i * grid + j) * width;
                for (int k = 0; k < q; k++) {
                    double f = Math.pow(100.0, -(double) k / q);
                    out[row + k] = amplitude * (float) Math.sin(j * f);
                    out[row + q + k] = amplitude * (float) Math.cos(j * f);
                    out[row + 2 * q + k] = amplitude * (float) Math.sin(i * f);
                    out[row + 3 * q + k] = amplitude * (float) Math.cos(i * f);
                }
            }
        return out;
    }
}
