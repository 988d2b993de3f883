package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.ALERT_RULE_TOO_LONG;
import static io.narrator.stream.DeadLetterReason.MALFORMED_ALERT_RULE;

import io.narrator.avro.AlertRule;
import io.narrator.avro.AlertRuleKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The alert rules in force on this instance, and how a rule is validated and turned into a {@link CompiledAlertRule}.
 * A stream's rules are its own and the default ones (scope = the default key), its own replacing a default rule of the
 * same id; shared by every stream thread (the global alert-rule table puts rules in force and removes them).
 *
 * <p>Validation decodes nothing, so it is quick enough for a stream thread: kind and fields, the question, answers and
 * prompt, then, for a question, its tokens under the model ({@link Narration#questionTokens}) against the model's
 * context and whether the model can tell each yes answer from each no answer; for a keyword or regular expression, that
 * it compiles and does not match an empty caption.
 */
public final class AlertRules {
    /** Most answers a question rule may give for yes, and for no (each answer is scored on every clip). */
    public static final int MAX_ANSWERS = 16;

    private final Narration narration;
    private final NarratorConfig config;
    /** Rules in force by scope, then by rule id (sorted, so a stream's rules come in id order). */
    private final Map<String, NavigableMap<String, CompiledAlertRule>> inForce = new ConcurrentHashMap<>();

    public AlertRules(Narration narration, NarratorConfig config) {
        if (narration == null || config == null) throw new IllegalArgumentException("narration and config must not be null");
        this.narration = narration;
        this.config = config;
    }

    /** The scope of rules for every stream: the default key. */
    public String defaultScope() {
        return config.defaultPromptKey();
    }

    /** Puts a rule in force (replacing the previous version of its key). */
    public void install(CompiledAlertRule rule) {
        inForce.computeIfAbsent(rule.key().scope(), s -> new ConcurrentSkipListMap<>()).put(rule.key().ruleId(), rule);
    }

    /** Removes the rule of a key (a tombstone in the alert-rules topic). */
    public void remove(AlertRuleKey key) {
        NavigableMap<String, CompiledAlertRule> rules = inForce.get(key.scope());
        if (rules != null) rules.remove(key.ruleId());
    }

    /** The rules in force for a stream, in rule-id order: its own, and the default ones whose id it does not use. */
    public List<CompiledAlertRule> forStream(String streamId) {
        NavigableMap<String, CompiledAlertRule> own = inForce.getOrDefault(streamId, Collections.emptyNavigableMap());
        NavigableMap<String, CompiledAlertRule> defaults = streamId.equals(defaultScope()) ? Collections.emptyNavigableMap()
                : inForce.getOrDefault(defaultScope(), Collections.emptyNavigableMap());
        if (own.isEmpty() && defaults.isEmpty()) return List.of();
        if (defaults.isEmpty()) return List.copyOf(own.values());
        NavigableMap<String, CompiledAlertRule> merged = new TreeMap<>(defaults);
        merged.putAll(own);
        return List.copyOf(merged.values());
    }

    /**
     * Validates a rule and compiles it: {@link #check} and then, for a question, its tokens under the model.
     *
     * @param version {@code <scope>/<rule id>@<offset>}
     * @throws RejectedRecordException with {@link DeadLetterReason#MALFORMED_ALERT_RULE} or
     *     {@link DeadLetterReason#ALERT_RULE_TOO_LONG}, naming what is wrong
     */
    public CompiledAlertRule compile(String version, AlertRuleKey key, AlertRule rule) {
        CompiledAlertRule compiled = check(version, key, rule, config.alerts());
        if (compiled.isQuestion()) checkTokens(compiled.question());
        return compiled;
    }

    /**
     * The checks that need no model, and the rule they make: kind and fields, cooldown (the configured one when the rule
     * has none), the question, its answers and prompt ({@code alert.question.prompt} when the rule has none), the keyword,
     * or the regular expression. {@code narrator alert set} runs them before it publishes a rule.
     *
     * @throws RejectedRecordException with {@link DeadLetterReason#MALFORMED_ALERT_RULE}, naming what is wrong
     */
    public static CompiledAlertRule check(String version, AlertRuleKey key, AlertRule rule, AlertSettings settings) {
        long cooldownSeconds = settings.cooldownSeconds();
        if (rule.getCooldownSeconds() != null) {
            if (rule.getCooldownSeconds() < 0) throw malformed("cooldownSeconds must be >= 0 (0 = an alert for every matching clip), got " + rule.getCooldownSeconds());
            cooldownSeconds = rule.getCooldownSeconds();
        }
        long cooldownMicros = cooldownSeconds * 1_000_000L;
        AlertRuleKind kind = rule.getKind();
        if (kind == AlertRuleKind.QUESTION) {
            if (rule.getPattern() != null) throw malformed("a QUESTION rule has no pattern (KEYWORD and REGEX rules do)");
            return new CompiledAlertRule(version, key, kind, question(rule, settings), null, null, cooldownMicros);
        }
        if (rule.getQuestion() != null || rule.getPrompt() != null) throw malformed("a " + kind + " rule has no question or prompt (QUESTION rules do)");
        String pattern = rule.getPattern();
        if (pattern == null || pattern.isBlank()) throw malformed("the " + (kind == AlertRuleKind.KEYWORD ? "keyword" : "regular expression") + " is empty");
        Pattern compiled;
        if (kind == AlertRuleKind.KEYWORD) {
            compiled = keyword(pattern);
        } else {
            try {
                compiled = Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw malformed("the regular expression /" + pattern + "/ is invalid: " + e.getDescription()
                        + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""));
            }
            if (compiled.matcher("").find())
                throw malformed("the regular expression /" + pattern + "/ matches an empty caption, so it would match every clip: make it require some text");
        }
        return new CompiledAlertRule(version, key, kind, null, kind == AlertRuleKind.KEYWORD ? pattern.strip() : pattern, compiled, cooldownMicros);
    }

    /** A keyword or phrase found as whole words (no letter, digit or '_' right before or after it), in any case. */
    static Pattern keyword(String keyword) {
        String boundary = "[\\p{L}\\p{N}_]";
        return Pattern.compile("(?<!" + boundary + ")" + Pattern.quote(keyword.strip()) + "(?!" + boundary + ")",
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    }

    private static AlertQuestion question(AlertRule rule, AlertSettings settings) {
        if (rule.getQuestion() == null || rule.getQuestion().isBlank()) throw malformed("the question is empty");
        String question = rule.getQuestion().strip();
        List<String> yes = answers("yes", rule.getYesAnswers());
        List<String> no = answers("no", rule.getNoAnswers());
        Set<String> yesSet = new HashSet<>(yes);
        for (String a : no)
            if (yesSet.contains(a)) throw malformed("the answer \"" + a + "\" is both a yes answer and a no answer");
        String template = rule.getPrompt() != null ? rule.getPrompt() : settings.questionPrompt();
        if (template.isBlank()) throw malformed("the prompt is empty: leave it out for alert.question.prompt, or write the text put after the clip");
        return new AlertQuestion(question, template.strip().replace(AlertSettings.QUESTION_PLACEHOLDER, question), yes, no);
    }

    /** The question under the model: it fits the model's context, and the model tells each yes answer from each no answer. */
    private void checkTokens(AlertQuestion q) {
        QuestionTokens tokens;
        try {
            tokens = narration.questionTokens(q.prompt(), q.answers());
        } catch (IllegalArgumentException e) {
            throw malformed(e.getMessage());
        }
        ModelInfo model = narration.modelInfo();
        if (tokens.longestTokens() > model.contextTokens())
            throw new RejectedRecordException(ALERT_RULE_TOO_LONG, "the question's prompt \"" + abbreviated(q.prompt()) + "\" takes " + tokens.promptTokens()
                    + " tokens with the clip's media marker, and its longest answer " + (tokens.longestTokens() - tokens.promptTokens()) + " more: "
                    + tokens.longestTokens() + " is more than model " + model.name() + "'s context of " + model.contextTokens() + " tokens");
        List<String> yes = q.yesAnswers();
        List<String> no = q.noAnswers();
        for (int i = 0; i < yes.size(); i++)
            for (int j = 0; j < no.size(); j++)
                if (Arrays.equals(tokens.answerTokens().get(i), tokens.answerTokens().get(yes.size() + j)))
                    throw malformed("model " + model.name() + " reads the yes answer \"" + yes.get(i) + "\" and the no answer \"" + no.get(j)
                            + "\" as the same tokens " + Arrays.toString(tokens.answerTokens().get(i))
                            + " (words it does not know?), so it cannot tell them apart: give answers in words the model says");
    }

    /** A text shown in a message: at most its first 80 characters. */
    private static String abbreviated(String text) {
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    private static List<String> answers(String side, List<String> given) {
        if (given == null || given.isEmpty()) throw malformed("the question has no " + side + " answer");
        if (given.size() > MAX_ANSWERS) throw malformed("the question has " + given.size() + " " + side + " answers, more than " + MAX_ANSWERS);
        List<String> out = new ArrayList<>(given.size());
        for (String a : given) {
            if (a == null || a.isBlank()) throw malformed("a " + side + " answer is empty");
            String stripped = a.strip();
            if (out.contains(stripped)) throw malformed("the " + side + " answer \"" + stripped + "\" is given twice");
            out.add(stripped);
        }
        return out;
    }

    private static RejectedRecordException malformed(String message) {
        return new RejectedRecordException(MALFORMED_ALERT_RULE, message);
    }
}
