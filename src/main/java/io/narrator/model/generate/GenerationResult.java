package io.narrator.model.generate;

/**
 * A generated continuation: its text (special tokens removed), token ids and each token's log-probability
 * under the model (the stop token excluded), their sum, and why generation stopped.
 */
public record GenerationResult(String text, long[] tokenIds, float[] logProbs, double totalLogProb, StopReason stopReason) {

    /** Why a continuation ended. */
    public enum StopReason {
        /** The model produced {@code <|endofchunk|>}. */
        END_OF_CHUNK,
        /** The model produced the end-of-text token. */
        EOS,
        /** The token limit was reached. */
        MAX_TOKENS
    }
}
