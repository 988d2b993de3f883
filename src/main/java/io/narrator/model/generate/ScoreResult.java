package io.narrator.model.generate;

/** The log-likelihood of a scored text: per token (ids, their text, log-probabilities) and in total. */
public record ScoreResult(long[] tokenIds, String[] tokens, float[] logProbs, double totalLogProb) {}
