package io.narrator.stream;

import io.narrator.avro.AlertRuleKind;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A validated alert rule, ready to use: its version ({@code <scope>/<rule id>@<offset>}), key and kind, its cooldown in
 * event-time microseconds, and either its question ({@link AlertQuestion}, QUESTION) or its pattern as written and
 * compiled (KEYWORD: the phrase as whole words in any case; REGEX: the regular expression as given).
 */
public record CompiledAlertRule(String version, AlertRuleKey key, AlertRuleKind kind, AlertQuestion question, String pattern, Pattern compiled,
        long cooldownMicros) {
    public CompiledAlertRule {
        if (version == null || version.isBlank()) throw new IllegalArgumentException("rule version must not be blank");
        if (key == null || kind == null) throw new IllegalArgumentException("rule key and kind must not be null");
        if (kind == AlertRuleKind.QUESTION && question == null) throw new IllegalArgumentException("a QUESTION rule needs its question");
        if (kind != AlertRuleKind.QUESTION && (pattern == null || compiled == null))
            throw new IllegalArgumentException("a " + kind + " rule needs its pattern");
        if (cooldownMicros < 0) throw new IllegalArgumentException("cooldown must be >= 0, got " + cooldownMicros + " µs");
    }

    /** True for a rule the model answers (scored with the clip by the narration engine). */
    public boolean isQuestion() {
        return kind == AlertRuleKind.QUESTION;
    }

    /** The first part of {@code caption} a KEYWORD or REGEX rule finds; empty when none (always, for a QUESTION rule). */
    public Optional<String> find(String caption) {
        if (compiled == null) return Optional.empty();
        Matcher m = compiled.matcher(caption);
        return m.find() ? Optional.of(m.group()) : Optional.empty();
    }
}
