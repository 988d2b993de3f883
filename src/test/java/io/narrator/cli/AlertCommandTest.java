package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code narrator alert} refuses what it can check without Kafka or the model before it connects: the broker given here
 * does not exist, so each error names the rule's problem, not the broker.
 */
class AlertCommandTest {
    private static final String[] NOWHERE = {"--bootstrap-servers", "localhost:1", "--connect-timeout", "2"};

    private static Cli.Result run(String... args) {
        String[] all = new String[args.length + NOWHERE.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(NOWHERE, 0, all, args.length, NOWHERE.length);
        return Cli.run(all);
    }

    @Test
    void aRuleThatCannotWorkIsRefusedBeforeAnythingIsSent() {
        String[][] args = {
            {"alert", "set", "--default", "--rule", "r", "--regex", "(unclosed"},
            {"alert", "set", "--default", "--rule", "r", "--regex", "a*"},
            {"alert", "set", "--stream-id", "cam", "--rule", "r", "--keyword", " "},
            {"alert", "set", "--default", "--rule", "r", "--question", " "},
            {"alert", "set", "--default", "--rule", "r", "--question", "which?", "--yes", "a", "--no", "a"},
            {"alert", "set", "--default", "--rule", "r", "--question", "empty?", "--yes", " "},
            {"alert", "set", "--default", "--rule", "r", "--question", "prompt?", "--prompt", " "},
            {"alert", "set", "--default", "--rule", "r", "--keyword", "red", "--cooldown-seconds", "-1"},
            {"alert", "set", "--default", "--rule", "r", "--keyword", "red", "--yes", "two"},
            {"alert", "set", "--default", "--rule", "bad id", "--keyword", "red"},
            {"alert", "get", "--stream-id", "cam", "--rule", "a/b"},
            {"alert", "clear", "--stream-id", " ", "--rule", "r"},
            {"alert", "tail", "--limit", "0"},
        };
        String[] errors = {
            "rule r: the regular expression /(unclosed/ is invalid: Unclosed group near index 9",
            "rule r: the regular expression /a*/ matches an empty caption, so it would match every clip: make it require some text",
            "rule r: the keyword is empty",
            "rule r: the question is empty",
            "rule r: the answer \"a\" is both a yes answer and a no answer",
            "rule r: a yes answer is empty",
            "rule r: the prompt is empty: leave it out for alert.question.prompt, or write the text put after the clip",
            "rule r: cooldownSeconds must be >= 0 (0 = an alert for every matching clip), got -1",
            "--yes, --no and --prompt go with --question, not with --keyword or --regex",
            "--rule: rule id 'bad id' must be 1 to 64 letters, digits, '.', '_' or '-'",
            "--rule: rule id 'a/b' must be 1 to 64 letters, digits, '.', '_' or '-'",
            "--stream-id is empty",
            "--limit must be at least 1, got 0",
        };
        for (int i = 0; i < args.length; i++) {
            Cli.Result r = run(args[i]);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
            assertThat(r.errLines()).as(String.join(" ", args[i])).containsExactly("narrator: error: " + errors[i]);
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void aCommandLineWithoutScopeRuleOrKindIsAUsageError() {
        String[][] usage = {
            {"alert", "set", "--rule", "r", "--keyword", "red"},
            {"alert", "set", "--default", "--keyword", "red"},
            {"alert", "set", "--default", "--rule", "r"},
            {"alert", "set", "--default", "--rule", "r", "--keyword", "red", "--regex", "red"},
            {"alert", "set", "--default", "--stream-id", "cam", "--rule", "r", "--keyword", "red"},
            {"alert", "get"},
            {"alert", "clear", "--rule", "r"},
            {"alert", "tail", "--format", "webvtt"},
        };
        for (String[] args : usage) {
            Cli.Result r = run(args);
            assertThat(r.exitCode()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.errLines()).as(String.join(" ", args)).singleElement().asString().startsWith("narrator: ").contains("(see 'narrator alert ");
        }
    }

    @Test
    void aValidRuleGetsAsFarAsKafka() {
        for (String[] args : new String[][] {
            {"alert", "set", "--default", "--rule", "crowd", "--question", "is there more than one object?", "--prompt", "Output:", "--yes", "two", "--no", "a"},
            {"alert", "get", "--default"},
            {"alert", "clear", "--stream-id", "cam"},
            {"alert", "tail"},
        }) {
            Cli.Result r = run(args);
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
            assertThat(r.errLines()).singleElement().asString().startsWith("narrator: error: cannot reach Kafka at localhost:1 (");
        }
    }
}
