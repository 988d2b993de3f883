package io.narrator.model.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Beam search for one request: keeps the {@code K} best partial captions by total log-probability; a
 * candidate ending in {@code <|endofchunk|>} or EOS becomes a finished hypothesis if it ranks among the
 * best K; search stops once K hypotheses are finished (early stopping) or at the token limit. The answer
 * is the finished hypothesis with the best score, total log-prob / length^lengthPenalty. With one beam
 * this is exactly greedy decoding.
 */
final class BeamSearch implements RequestDecoder {
    private final int beams;
    private final int maxNewTokens;
    private final double lengthPenalty;
    private final long endOfChunk;
    private final long eos;
    private final SampledDecoder.Finisher finisher;
    private final List<Hypothesis> finished = new ArrayList<>();
    private List<Hypothesis> alive = new ArrayList<>(List.of(new Hypothesis(new long[0], new float[0], 0, null)));
    private GenerationResult result;

    private record Hypothesis(long[] tokens, float[] logProbs, double total, GenerationResult.StopReason reason) {
        Hypothesis extend(long token, float lp) {
            long[] t = Arrays.copyOf(tokens, tokens.length + 1);
            t[t.length - 1] = token;
            float[] l = Arrays.copyOf(logProbs, logProbs.length + 1);
            l[l.length - 1] = lp;
            return new Hypothesis(t, l, total + lp, null);
        }

        double score(double lengthPenalty) {
            return total / Math.pow(Math.max(1, tokens.length), lengthPenalty);
        }
    }

    private record Candidate(int parent, int token, double total) {}

    BeamSearch(int beams, int maxNewTokens, double lengthPenalty, long endOfChunk, long eos, SampledDecoder.Finisher finisher) {
        this.beams = beams;
        this.maxNewTokens = maxNewTokens;
        this.lengthPenalty = lengthPenalty;
        this.endOfChunk = endOfChunk;
        this.eos = eos;
        this.finisher = finisher;
    }

    @Override
    public int rows() {
        return alive.size();
    }

    @Override
    public Step step(float[][] logProbs) {
        int want = 2 * beams;
        List<Candidate> candidates = new ArrayList<>();
        for (int row = 0; row < alive.size(); row++) {
            float[] lp = logProbs[row];
            for (int token : topK(lp, want)) candidates.add(new Candidate(row, token, alive.get(row).total() + lp[token]));
        }
        candidates.sort(Comparator.comparingDouble(Candidate::total).reversed().thenComparingInt(Candidate::parent)
                .thenComparingInt(Candidate::token));
        List<Hypothesis> next = new ArrayList<>();
        List<Integer> parents = new ArrayList<>();
        for (int rank = 0; rank < candidates.size() && next.size() < beams; rank++) {
            Candidate c = candidates.get(rank);
            Hypothesis parent = alive.get(c.parent());
            float lp = logProbs[c.parent()][c.token()];
            if (c.token() == endOfChunk || c.token() == eos) {
                if (rank < beams) {
                    GenerationResult.StopReason reason = c.token() == endOfChunk
                            ? GenerationResult.StopReason.END_OF_CHUNK : GenerationResult.StopReason.EOS;
                    finished.add(new Hypothesis(parent.tokens(), parent.logProbs(), parent.total(), reason));
                }
                continue;
            }
            next.add(parent.extend(c.token(), lp));
            parents.add(c.parent());
        }
        boolean atLimit = !next.isEmpty() && next.get(0).tokens().length >= maxNewTokens;
        if (finished.size() >= beams || next.isEmpty() || atLimit) {
            if (atLimit || finished.isEmpty())
                for (Hypothesis h : next) finished.add(new Hypothesis(h.tokens(), h.logProbs(), h.total(), GenerationResult.StopReason.MAX_TOKENS));
            Hypothesis best = finished.get(0);
            for (Hypothesis h : finished) if (h.score(lengthPenalty) > best.score(lengthPenalty)) best = h;
            result = finisher.finish(best.tokens(), best.logProbs(), best.reason());
            return null;
        }
        alive = next;
        int[] p = parents.stream().mapToInt(Integer::intValue).toArray();
        long[] tokens = next.stream().mapToLong(h -> h.tokens()[h.tokens().length - 1]).toArray();
        return new Step(p, tokens);
    }

    @Override
    public GenerationResult result() {
        return result;
    }

    /** Indices of the k largest values (ties: lower index first), best first. */
    static int[] topK(float[] v, int k) {
        k = Math.min(k, v.length);
        int[] best = new int[k];
        int n = 0;
        for (int i = 0; i < v.length; i++) {
            if (v[i] == Float.NEGATIVE_INFINITY) continue;
            if (n < k) {
                int j = n++;
                while (j > 0 && v[best[j - 1]] < v[i]) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = i;
            } else if (v[i] > v[best[k - 1]]) {
                int j = k - 1;
                while (j > 0 && v[best[j - 1]] < v[i]) {
                    best[j] = best[j - 1];
                    j--;
                }
                best[j] = i;
            }
        }
        return Arrays.copyOf(best, n);
    }
}
