package io.narrator.stream;

/**
 * The configured defaults of alert rules: the cooldown of a rule that sets none ({@code alert.cooldown.seconds}) and how
 * a question is put to the model when its rule says nothing ({@code alert.question.prompt}, {@code {question}} standing
 * for the question).
 */
public record AlertSettings(long cooldownSeconds, String questionPrompt) {
    /** What {@code {question}} in a question prompt is replaced with. */
    public static final String QUESTION_PLACEHOLDER = "{question}";

    public AlertSettings {
        if (cooldownSeconds < 0)
            throw new IllegalArgumentException(ConfigKey.ALERT_COOLDOWN_SECONDS.key() + " must be >= 0 (0 = an alert for every matching clip), got " + cooldownSeconds);
        if (cooldownSeconds > Long.MAX_VALUE / 1_000_000)
            throw new IllegalArgumentException(ConfigKey.ALERT_COOLDOWN_SECONDS.key() + " is out of range: " + cooldownSeconds);
        if (questionPrompt == null || questionPrompt.isBlank())
            throw new IllegalArgumentException(ConfigKey.ALERT_QUESTION_PROMPT.key() + " must not be empty: write the text put after the clip, e.g. 'Question: "
                    + QUESTION_PLACEHOLDER + " Answer:'");
    }
}
