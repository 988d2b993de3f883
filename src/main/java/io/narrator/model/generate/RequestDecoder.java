package io.narrator.model.generate;

/**
 * The decoding state of one request inside a batched generation: it owns some consecutive rows of the
 * batch, reads their next-token log-probabilities and says which rows continue with which tokens.
 */
interface RequestDecoder {

    /** Which of this request's current rows each next row continues ({@code parents}), with which token. */
    record Step(int[] parents, long[] tokens) {}

    /** Rows this request occupies in the batch now. */
    int rows();

    /** Consumes the log-probabilities (rows × W) of its rows; returns the next step, or null when finished. */
    Step step(float[][] logProbs);

    /** The finished continuation; valid once {@link #step} returned null. */
    GenerationResult result();
}
