package io.narrator.model.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Picks the next token of one row from its log-probabilities (banned tokens already at −∞), like
 * llama3.java's {@code Sampler}. Beam search, which ranks whole hypotheses, is {@link BeamSearch}.
 */
@FunctionalInterface
public interface Sampler {
    int sample(float[] logProbs);

    /** The most likely token (lowest id on ties). */
    Sampler GREEDY = Sampler::argmax;

    /** Nucleus sampling: the smallest set of most likely tokens whose probability reaches {@code p}, renormalised. */
    static Sampler topP(double p, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return logProbs -> {
            Integer[] order = new Integer[logProbs.length];
            for (int i = 0; i < order.length; i++) order[i] = i;
            Arrays.sort(order, (a, b) -> Float.compare(logProbs[b], logProbs[a]));
            double total = 0;
            int keep = 0;
            double[] probs = new double[order.length];
            while (keep < order.length) {
                probs[keep] = Math.exp(logProbs[order[keep]]);
                total += probs[keep];
                keep++;
                if (total >= p) break;
            }
            double r = random.nextDouble() * total;
            for (int i = 0; i < keep; i++) {
                r -= probs[i];
                if (r <= 0) return order[i];
            }
            return order[keep - 1];
        };
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
