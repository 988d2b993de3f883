package io.narrator.train;

import ai.djl.ndarray.NDArray;
import io.narrator.model.nn.Scalars;

/** Training losses. Shapes: B batch, T positions, W vocabulary. */
public final class Losses {
    private Losses() {}

    /**
     * Weighted mean next-token cross-entropy.
     *
     * @param logits (B, T, W) for every input position; the last position is not used
     * @param targets (B, T−1) the next tokens
     * @param weights (B, T−1) 1 where the prediction counts
     */
    public static NDArray nextToken(NDArray logits, NDArray targets, NDArray weights) {
        NDArray picked = targetLogProbs(logits, targets);
        NDArray total = Scalars.maximum(weights.sum(), 1f);
        return picked.mul(weights).sum().neg().div(total); // ()
    }

    /**
     * The part of a batch's {@link #nextToken} that some of its rows contribute: their weighted cross-entropy divided by
     * the whole batch's weight ({@code batchWeight}, at least 1), so that the parts of a batch add up to its loss.
     */
    public static NDArray nextToken(NDArray logits, NDArray targets, NDArray weights, double batchWeight) {
        return Scalars.div(targetLogProbs(logits, targets).mul(weights).sum().neg(), (float) Math.max(batchWeight, 1)); // ()
    }

    /** (B, T−1): the log-probability each position gives the token that follows it. */
    private static NDArray targetLogProbs(NDArray logits, NDArray targets) {
        long t = logits.getShape().get(1);
        NDArray logProbs = logits.get(":, :" + (t - 1) + ", :").logSoftmax(2); // (B, T-1, W)
        return logProbs.gather(targets.expandDims(2), 2).squeeze(2); // (B, T-1)
    }

    /**
     * CLIP's symmetric contrastive loss with soft targets: {@code same[i][j]} marks pairs with the same
     * text (several frames of a batch can share a description), each row's targets normalised.
     *
     * @param image (N, E) L2-normalised image embeddings
     * @param text (N, E) L2-normalised text embeddings
     * @param scale the learned logit scale, exp(log τ⁻¹), ()
     * @param same (N, N) 1 where image i and text j match
     */
    public static NDArray contrastive(NDArray image, NDArray text, NDArray scale, NDArray same) {
        NDArray logits = image.matMul(text.transpose()).mul(scale); // (N, N)
        NDArray targets = same.div(same.sum(new int[] {1}, true)); // (N, N) rows sum to 1
        NDArray imageToText = logits.logSoftmax(1).mul(targets).sum(new int[] {1}).mean().neg();
        NDArray targetsT = same.transpose().div(same.transpose().sum(new int[] {1}, true));
        NDArray textToImage = logits.transpose().logSoftmax(1).mul(targetsT).sum(new int[] {1}).mean().neg();
        return Scalars.div(imageToText.add(textToImage), 2f);
    }
}
