package io.narrator.model.generate;

/**
 * How to choose tokens: greedy, beam search with {@code beams} beams (the paper uses 3), or nucleus
 * (top-p) sampling seeded by {@code seed}; at most {@code maxNewTokens} tokens, and no stop before
 * {@code minNewTokens}; beam scores are divided by length^{@code lengthPenalty}.
 */
public record DecodingOptions(
        Strategy strategy, int beams, double topP, long seed, int minNewTokens, int maxNewTokens, double lengthPenalty) {

    /** The decoding strategies. */
    public enum Strategy {
        GREEDY,
        BEAM,
        TOP_P
    }

    public DecodingOptions {
        if (strategy == null) throw new IllegalArgumentException("strategy must not be null");
        if (minNewTokens < 0 || minNewTokens > maxNewTokens)
            throw new IllegalArgumentException("minNewTokens must be in [0, maxNewTokens], got " + minNewTokens);
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be at least 1, got " + maxNewTokens);
        if (strategy == Strategy.BEAM && (beams < 1 || beams > 64))
            throw new IllegalArgumentException("beams must be in [1, 64], got " + beams);
        if (strategy == Strategy.TOP_P && !(topP > 0 && topP <= 1))
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(lengthPenalty >= 0)) throw new IllegalArgumentException("lengthPenalty must be ≥ 0, got " + lengthPenalty);
    }

    public static DecodingOptions greedy(int maxNewTokens) {
        return new DecodingOptions(Strategy.GREEDY, 1, 0, 0, 0, maxNewTokens, 1.0);
    }

    public static DecodingOptions beam(int beams, int maxNewTokens) {
        return new DecodingOptions(Strategy.BEAM, beams, 0, 0, 0, maxNewTokens, 1.0);
    }

    public static DecodingOptions topP(double p, long seed, int maxNewTokens) {
        return new DecodingOptions(Strategy.TOP_P, 1, p, seed, 0, maxNewTokens, 1.0);
    }

    /** The same options, generating exactly {@code n} tokens (stop tokens are not allowed before that). */
    public DecodingOptions exactly(int n) {
        return new DecodingOptions(strategy, beams, topP, seed, n, n, lengthPenalty);
    }

    /** Rows this request occupies in a batch. */
    int rows() {
        return strategy == Strategy.BEAM ? beams : 1;
    }
}
