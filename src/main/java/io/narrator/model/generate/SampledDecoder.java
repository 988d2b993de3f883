package io.narrator.model.generate;

import java.util.Arrays;

/** One row decoded token by token with a {@link Sampler} (greedy or top-p). */
final class SampledDecoder implements RequestDecoder {
    private final Sampler sampler;
    private final int maxNewTokens;
    private final long endOfChunk;
    private final long eos;
    private final int request;
    private final TokenListener listener;
    private final Finisher finisher;
    private long[] tokens = new long[0];
    private float[] logProbs = new float[0];
    private GenerationResult result;

    /** Turns tokens into a result (text decoding lives with the tokenizer). */
    interface Finisher {
        GenerationResult finish(long[] tokens, float[] logProbs, GenerationResult.StopReason reason);
    }

    SampledDecoder(Sampler sampler, int maxNewTokens, long endOfChunk, long eos, int request, TokenListener listener, Finisher finisher) {
        this.sampler = sampler;
        this.maxNewTokens = maxNewTokens;
        this.endOfChunk = endOfChunk;
        this.eos = eos;
        this.request = request;
        this.listener = listener;
        this.finisher = finisher;
    }

    @Override
    public int rows() {
        return 1;
    }

    @Override
    public Step step(float[][] rowLogProbs) {
        float[] lp = rowLogProbs[0];
        int next = sampler.sample(lp);
        if (next == endOfChunk || next == eos) {
            result = finisher.finish(tokens, logProbs,
                    next == endOfChunk ? GenerationResult.StopReason.END_OF_CHUNK : GenerationResult.StopReason.EOS);
            return null;
        }
        tokens = Arrays.copyOf(tokens, tokens.length + 1);
        tokens[tokens.length - 1] = next;
        logProbs = Arrays.copyOf(logProbs, logProbs.length + 1);
        logProbs[logProbs.length - 1] = lp[next];
        listener.onToken(request, next);
        if (tokens.length >= maxNewTokens) {
            result = finisher.finish(tokens, logProbs, GenerationResult.StopReason.MAX_TOKENS);
            return null;
        }
        return new Step(new int[] {0}, new long[] {next});
    }

    @Override
    public GenerationResult result() {
        return result;
    }
}
