package io.narrator.model.generate;

/** Receives tokens as greedy or sampled decoding picks them (beam search reports its final choice at the end). */
@FunctionalInterface
public interface TokenListener {
    void onToken(int request, long tokenId);

    TokenListener NONE = (request, tokenId) -> {};
}
