package io.narrator.stream;

import java.util.ArrayList;
import java.util.List;

/**
 * A yes/no question of an alert rule as the model is asked it: the question, the text put after the clip's media marker
 * (the rule's prompt with the question in it), and the answers that mean yes and those that mean no. Each answer is
 * scored after the clip and the text; the rule matches when the likeliest answer is a yes answer.
 */
public record AlertQuestion(String question, String prompt, List<String> yesAnswers, List<String> noAnswers) {
    public AlertQuestion {
        if (question == null || question.isBlank()) throw new IllegalArgumentException("the question must not be empty");
        if (prompt == null || prompt.isBlank()) throw new IllegalArgumentException("the question's prompt must not be empty");
        if (yesAnswers == null || yesAnswers.isEmpty() || noAnswers == null || noAnswers.isEmpty())
            throw new IllegalArgumentException("a question needs at least one yes answer and one no answer");
        yesAnswers = List.copyOf(yesAnswers);
        noAnswers = List.copyOf(noAnswers);
    }

    /** Every answer, the yes answers first: the order their scores come back in. */
    public List<String> answers() {
        List<String> all = new ArrayList<>(yesAnswers);
        all.addAll(noAnswers);
        return all;
    }
}
