package io.narrator.stream;

import java.util.List;

/**
 * The answers to one {@link QuestionRequest}: the total log-probability of each answer (in the request's order) after
 * the clip and the question, or an error message when this question could not be scored.
 */
public record QuestionScores(List<Double> logProbs, String error) {
    public QuestionScores {
        logProbs = logProbs == null ? List.of() : List.copyOf(logProbs);
        if (error == null && logProbs.isEmpty()) throw new IllegalArgumentException("scores need a log-probability per answer, or an error");
    }

    /** A question that could not be scored, and why. */
    public static QuestionScores failed(String error) {
        if (error == null || error.isBlank()) throw new IllegalArgumentException("a failed question needs its reason");
        return new QuestionScores(List.of(), error);
    }

    public boolean ok() {
        return error == null;
    }
}
