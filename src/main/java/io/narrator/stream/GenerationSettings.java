package io.narrator.stream;

/**
 * How to decode a caption: at most {@code maxTokens} new tokens, beam search with {@code beams}
 * beams, or nucleus sampling when {@code topP} is in (0, 1) (then {@code beams} must be 1).
 */
public record GenerationSettings(int maxTokens, int beams, double topP) {
    /** The paper's default: beam search with 3 beams, up to 20 tokens. */
    public static final GenerationSettings DEFAULT = new GenerationSettings(20, 3, 0.0);

    public GenerationSettings {
        if (maxTokens < 1 || maxTokens > 512)
            throw new IllegalArgumentException("maxTokens must be in [1, 512], got " + maxTokens);
        if (beams < 1 || beams > 16) throw new IllegalArgumentException("beams must be in [1, 16], got " + beams);
        if (!(topP >= 0 && topP <= 1))
            throw new IllegalArgumentException("topP must be in [0, 1], got " + topP);
        if (topP > 0 && topP < 1 && beams != 1)
            throw new IllegalArgumentException("top-p sampling uses one beam; got beams=" + beams);
    }

    /** True when this asks for nucleus sampling rather than beam search or greedy decoding. */
    public boolean sampling() {
        return topP > 0 && topP < 1;
    }
}
