package io.narrator.stream;

import java.util.List;

/**
 * How a question about one clip reads to a model: the tokens of its prompt (the clip's media marker and the text after
 * it, as the model encodes a prompt) and the token ids of each answer as it continues that prompt.
 */
public record QuestionTokens(int promptTokens, List<long[]> answerTokens) {
    public QuestionTokens {
        if (promptTokens < 1) throw new IllegalArgumentException("a question's prompt has at least its media marker, got " + promptTokens + " tokens");
        answerTokens = List.copyOf(answerTokens);
    }

    /** The tokens of the prompt with its longest answer: what must fit the model's context. */
    public int longestTokens() {
        return promptTokens + answerTokens.stream().mapToInt(a -> a.length).max().orElse(0);
    }
}
