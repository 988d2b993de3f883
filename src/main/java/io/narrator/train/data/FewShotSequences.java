package io.narrator.train.data;

import io.narrator.model.tokenizer.NarratorTokenizer;
import io.narrator.train.world.Task;
import java.util.ArrayList;
import java.util.List;

/**
 * Interleaved training text in the paper's format: {@code <image>Output: {answer}<|endofchunk|>} per
 * example. The answers (and their end-of-chunk) are the targets; prompts are not. The first answer of a
 * task other than captioning is not a target either: with nothing in context the task cannot be known,
 * and leaving it out is what makes the model caption when given no examples.
 */
public final class FewShotSequences {
    private final NarratorTokenizer tokenizer;
    private final long[] prefix;
    private final long endOfChunk;

    public FewShotSequences(NarratorTokenizer tokenizer, String promptPrefix) {
        this.tokenizer = tokenizer;
        this.prefix = tokenizer.encode(NarratorTokenizer.IMAGE + promptPrefix);
        this.endOfChunk = tokenizer.special().endOfChunk();
    }

    /** A token sequence and, per token, whether it is a training target. */
    public record Sequence(long[] ids, float[] targets) {}

    public Sequence build(Task task, List<String> answers) {
        List<Long> ids = new ArrayList<>();
        List<Float> weights = new ArrayList<>();
        for (int i = 0; i < answers.size(); i++) {
            for (long id : prefix) {
                ids.add(id);
                weights.add(0f);
            }
            float w = i == 0 && task != Task.CAPTION ? 0f : 1f;
            for (long id : tokenizer.encode(" " + answers.get(i))) {
                ids.add(id);
                weights.add(w);
            }
            ids.add(endOfChunk);
            weights.add(w);
        }
        long[] a = new long[ids.size()];
        float[] b = new float[ids.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ids.get(i);
            b[i] = weights.get(i);
        }
        return new Sequence(a, b);
    }
}
