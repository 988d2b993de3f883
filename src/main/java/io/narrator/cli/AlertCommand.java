package io.narrator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.avro.Alert;
import io.narrator.avro.AlertRule;
import io.narrator.avro.AlertRuleKind;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.state.AlertRuleEntry;
import io.narrator.stream.AlertRuleKey;
import io.narrator.stream.AlertRules;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.RejectedRecordException;
import io.narrator.stream.OutputSerde;
import io.narrator.stream.Topics;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code narrator alert}: alert rules of streams, on the compacted alert-rules topic, and the alerts they publish. */
@Command(name = "alert", header = "Set, show or clear the alert rules of a stream; follow alerts.",
        mixinStandardHelpOptions = true,
        description = "Manages alert rules: a yes/no question the model answers about every clip (it scores each answer after the clip; the likelier wins), or a keyword or regular expression over every caption. A match publishes an Alert to the alerts topic with the clip's caption, at most once per stream and rule per cooldown. Rules are one stream's (--stream-id) or every stream's (--default); a stream's own rule replaces the default rule of the same id. A running narrator validates a new rule and uses it from the next clip; one it cannot use goes to the dead-letter topic and the rule's previous version stays. See docs/alerts.md.",
        subcommands = {AlertCommand.Set.class, AlertCommand.Get.class, AlertCommand.Clear.class, AlertCommand.Tail.class})
final class AlertCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Whose rules: one stream's or every stream's. */
    static final class Scope {
        @Option(names = "--stream-id", paramLabel = "ID", description = "The stream's rules.")
        String streamId;

        @Option(names = "--default", description = "The default rules, for every stream.")
        boolean defaults;

        String scope(NarratorConfig config) {
            if (defaults) return config.defaultPromptKey();
            if (streamId == null || streamId.isBlank()) throw new IllegalArgumentException("--stream-id is empty");
            return streamId.strip();
        }

        String describe(NarratorConfig config) {
            return defaults ? "every stream (default key " + config.defaultPromptKey() + ")" : "stream " + scope(config);
        }
    }

    /** What a rule looks for: the model's answer to a question, or a keyword or regular expression in the caption. */
    static final class Match {
        @Option(names = "--question", paramLabel = "TEXT", description = "A yes/no question the model answers about every clip.")
        String question;

        @Option(names = "--keyword", paramLabel = "WORDS", description = "A word or phrase in the caption, as whole words, in any case.")
        String keyword;

        @Option(names = "--regex", paramLabel = "PATTERN", description = "A Java regular expression found anywhere in the caption (add (?i) for any case).")
        String regex;
    }

    /** {@code narrator alert set}. */
    @Command(name = "set", header = "Publish an alert rule of a stream or of every stream.",
            mixinStandardHelpOptions = true, sortOptions = false,
            description = "Publishes a rule (replacing the rule of the same id and scope). A question is put to the model after each clip as --prompt says (default: alert.question.prompt, 'Question: {question} Answer:'), and the --yes and --no answers (default: yes, no) are scored after it: the rule matches when the likeliest answer is a yes answer. Models that read no questions, like the bundled narrator-tiny, are asked with their own prompt (--prompt 'Output:') and answers in the words they say. Checks what needs no model before publishing; the narrator checks the rest.",
            footer = {"", "Examples:",
                    "  narrator alert set --stream-id door --rule red-car --keyword 'red car'",
                    "  narrator alert set --default --rule moving --regex '\\b(moves?|drifts?)\\b' \\",
                    "      --cooldown-seconds 30",
                    "  narrator alert set --default --rule person --question 'Is there a person?'",
                    "  # the bundled model reads no questions: its own prompt, answers in its words",
                    "  narrator alert set --default --rule crowd --question 'is there more than one object?' \\",
                    "      --prompt 'Output:' --yes two --yes three --no a --no an"})
    static final class Set implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        @Option(names = "--rule", required = true, paramLabel = "ID", description = "The rule's id: 1 to 64 letters, digits, '.', '_' or '-'.")
        String ruleId;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Match match;

        @Option(names = "--yes", paramLabel = "ANSWER", description = "An answer that means yes; repeat for several (default: yes).")
        List<String> yes = new ArrayList<>();

        @Option(names = "--no", paramLabel = "ANSWER", description = "An answer that means no; repeat for several (default: no).")
        List<String> no = new ArrayList<>();

        @Option(names = "--prompt", paramLabel = "TEXT",
                description = "How the question is put to the model after the clip; {question} stands for the question (default: alert.question.prompt).")
        String prompt;

        @Option(names = "--cooldown-seconds", paramLabel = "S",
                description = "No alert from this rule on a stream for S seconds (event time) after one (default: alert.cooldown.seconds; 0 = every match).")
        Integer cooldownSeconds;

        @Mixin KafkaOptions kafka;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NarratorConfig config = kafka.clientConfig();
            AlertRuleKey key = key(scope.scope(config), ruleId);
            AlertRule rule = rule();
            try {
                AlertRules.check(key.key() + "@0", key, rule, config.alerts());
            } catch (RejectedRecordException e) {
                throw new IllegalArgumentException("rule " + ruleId + ": " + e.getMessage(), e);
            }
            byte[] value = AvroSerde.of(AlertRule.class).encode(rule);
            kafka.prepare(config);
            RecordMetadata at = send(config, kafka.connectTimeout(), List.of(new ProducerRecord<>(Topics.from(config).alertRules().name(), key.key(), value)))
                    .get(0);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("set rule %s of %s: %s, %s partition %d offset %d (version %s@%d)%n", ruleId, scope.describe(config), summary(rule), at.topic(),
                    at.partition(), at.offset(), key.key(), at.offset());
            out.println("a running narrator validates it and uses it from the next clip; `narrator alert get` shows whether it is in force");
            return 0;
        }

        private AlertRule rule() {
            boolean question = match.question != null;
            if (!question && (!yes.isEmpty() || !no.isEmpty() || prompt != null))
                throw new IllegalArgumentException("--yes, --no and --prompt go with --question, not with --keyword or --regex");
            AlertRule.Builder b = AlertRule.newBuilder().setCooldownSeconds(cooldownSeconds);
            if (question) {
                b.setKind(AlertRuleKind.QUESTION).setQuestion(match.question).setPrompt(prompt);
                if (!yes.isEmpty()) b.setYesAnswers(yes);
                if (!no.isEmpty()) b.setNoAnswers(no);
            } else if (match.keyword != null) {
                b.setKind(AlertRuleKind.KEYWORD).setPattern(match.keyword);
            } else {
                b.setKind(AlertRuleKind.REGEX).setPattern(match.regex);
            }
            return b.build();
        }
    }

    /** {@code narrator alert get}. */
    @Command(name = "get", header = "Show alert rules and whether they are in force.",
            mixinStandardHelpOptions = true,
            description = "Shows the alert rules of a stream (or the default ones, for every stream), or one of them, and whether a narrator has put each in force or rejected it (and why).",
            footer = {"", "Examples:", "  narrator alert get --stream-id door", "  narrator alert get --default --rule crowd --json"})
    static final class Get implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        @Option(names = "--rule", paramLabel = "ID", description = "Only this rule.")
        String ruleId;

        @Option(names = "--json", description = "Print the rules and their status as JSON.")
        boolean json;

        @Mixin KafkaOptions kafka;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NarratorConfig config = kafka.clientConfig();
            String scopeKey = scope.scope(config);
            if (ruleId != null) key(scopeKey, ruleId);
            kafka.prepare(config);
            Topics topics = Topics.from(config);
            Duration timeout = kafka.connectTimeout();
            Map<String, ConsumerRecord<String, byte[]>> rules = latest(config, topics, timeout, scopeKey, ruleId);
            PrintWriter out = spec.commandLine().getOut();
            ObjectMapper mapper = new ObjectMapper();
            Map<String, String> inForce = rules.isEmpty() ? Map.of() : inForce(config, topics, timeout);
            Map<String, DeadLetter> rejected = rules.isEmpty() ? Map.of() : rejected(config, topics, timeout);
            if (json) {
                ArrayNode list = mapper.createArrayNode();
                for (ConsumerRecord<String, byte[]> r : rules.values()) {
                    AlertRule rule = AvroSerde.of(AlertRule.class).decode(r.value());
                    ObjectNode n = list.addObject();
                    n.put("key", r.key());
                    n.put("version", r.key() + "@" + r.offset());
                    n.put("status", status(r, inForce, rejected));
                    ObjectNode p = n.putObject("rule");
                    p.put("kind", rule.getKind().name());
                    if (rule.getKind() == AlertRuleKind.QUESTION) {
                        p.put("question", rule.getQuestion());
                        rule.getYesAnswers().forEach(p.putArray("yes")::add);
                        rule.getNoAnswers().forEach(p.putArray("no")::add);
                        if (rule.getPrompt() == null) p.putNull("prompt");
                        else p.put("prompt", rule.getPrompt());
                    } else {
                        p.put("pattern", rule.getPattern());
                    }
                    if (rule.getCooldownSeconds() == null) p.putNull("cooldownSeconds");
                    else p.put("cooldownSeconds", rule.getCooldownSeconds());
                }
                out.println(mapper.createObjectNode().put("scope", scopeKey).<ObjectNode>set("rules", list).toPrettyString());
                return 0;
            }
            if (rules.isEmpty()) {
                out.println((ruleId != null ? "rule " + ruleId + " is not set for " : "no alert rules are set for ") + scope.describe(config)
                        + (scope.defaults ? "" : "; the default rules (narrator alert get --default) apply to it"));
                return 0;
            }
            out.printf("Alert rules of %s:%n", scope.describe(config));
            for (ConsumerRecord<String, byte[]> r : rules.values()) {
                AlertRule rule = AvroSerde.of(AlertRule.class).decode(r.value());
                out.printf("  %s  version %s@%d, %s%n", AlertRuleKey.parse(r.key()).ruleId(), r.key(), r.offset(), status(r, inForce, rejected));
                out.printf("      %s, cooldown %s%n", summary(rule), rule.getCooldownSeconds() == null ? "default" : rule.getCooldownSeconds() + " s");
            }
            if (!scope.defaults) out.println("the default rules (narrator alert get --default) apply to it too, where it has no rule of the same id");
            return 0;
        }

        /** In force (in the alert-rule table), rejected (a dead letter), or waiting for a narrator. */
        private static String status(ConsumerRecord<String, byte[]> record, Map<String, String> inForce, Map<String, DeadLetter> rejected) {
            String version = record.key() + "@" + record.offset();
            String current = inForce.get(record.key());
            if (version.equals(current)) return "in force";
            DeadLetter d = rejected.get(record.partition() + "@" + record.offset());
            if (d != null)
                return "rejected by the narrator (" + d.getReason() + ": " + d.getMessage() + ")" + (current != null ? "; " + current + " stays in force" : "");
            return "not validated yet (is a narrator running?)" + (current != null ? "; " + current + " is in force" : "");
        }

        /** The version in force of every rule key in the alert-rule table. */
        private static Map<String, String> inForce(NarratorConfig config, Topics topics, Duration timeout) {
            AvroSerde<AlertRuleEntry> entries = AvroSerde.of(AlertRuleEntry.class);
            Map<String, String> out = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : TopicSnapshot.read(config, topics.alertRuleTable().name(), timeout)) {
                if (r.key() == null) continue;
                if (r.value() == null) out.remove(r.key());
                else out.put(r.key(), entries.decode(r.value()).getVersion());
            }
            return out;
        }

        /** Dead letters of the alert-rules topic, by the {@code partition@offset} of the rule they reject. */
        private static Map<String, DeadLetter> rejected(NarratorConfig config, Topics topics, Duration timeout) {
            OutputSerde<DeadLetter> letters = topics.deadLetterSerde();
            Map<String, DeadLetter> out = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : TopicSnapshot.read(config, topics.deadLetters().name(), timeout)) {
                if (r.value() == null) continue;
                DeadLetter d = letters.decode(r.value());
                if (d.getOriginTopic().equals(topics.alertRules().name())) out.put(d.getOriginPartition() + "@" + d.getOriginOffset(), d);
            }
            return out;
        }
    }

    /** {@code narrator alert clear}. */
    @Command(name = "clear", header = "Remove alert rules.",
            mixinStandardHelpOptions = true,
            description = "Removes one rule of a stream (or of every stream), or all of them without --rule. A stream whose own rule is removed falls back to the default rule of the same id, if any.",
            footer = {"", "Examples:", "  narrator alert clear --stream-id door --rule red-car", "  narrator alert clear --default"})
    static final class Clear implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        Scope scope;

        @Option(names = "--rule", paramLabel = "ID", description = "Only this rule (default: every rule of the stream, or every default rule).")
        String ruleId;

        @Mixin KafkaOptions kafka;

        @Spec CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            NarratorConfig config = kafka.clientConfig();
            String scopeKey = scope.scope(config);
            if (ruleId != null) key(scopeKey, ruleId);
            kafka.prepare(config);
            Topics topics = Topics.from(config);
            Duration timeout = kafka.connectTimeout();
            List<String> keys = ruleId != null ? List.of(key(scopeKey, ruleId).key())
                    : List.copyOf(latest(config, topics, timeout, scopeKey, null).keySet());
            PrintWriter out = spec.commandLine().getOut();
            if (keys.isEmpty()) {
                out.println(scope.describe(config) + " has no alert rules");
                return 0;
            }
            List<ProducerRecord<String, byte[]>> tombstones = keys.stream()
                    .map(k -> new ProducerRecord<String, byte[]>(topics.alertRules().name(), k, null)).toList();
            List<RecordMetadata> sent = send(config, timeout, tombstones);
            for (int i = 0; i < keys.size(); i++)
                out.printf("cleared rule %s of %s (%s partition %d offset %d)%n", AlertRuleKey.parse(keys.get(i)).ruleId(), scope.describe(config),
                        sent.get(i).topic(), sent.get(i).partition(), sent.get(i).offset());
            return 0;
        }
    }

    /** {@code narrator alert tail}. */
    @Command(name = "tail", header = "Follow alerts as text or JSON lines.",
            mixinStandardHelpOptions = true, sortOptions = false,
            description = "Follows the alerts topic (committed alerts only) until Ctrl-C: per alert the stream, the clip's window, the rule, what matched (the question's winning answer and the likeliest other answer with their log-probabilities, or the keyword or pattern and the text it found) and the caption.",
            footer = {"", "Examples:",
                    "  narrator alert tail",
                    "  narrator alert tail --stream-id door --from-beginning --format json | jq .ruleId"})
    static final class Tail implements Callable<Integer> {
        @Option(names = {"-s", "--stream-id"}, paramLabel = "ID", description = "Only this stream's alerts (default: every stream).")
        String streamId;

        @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "text", description = "text or json (default: ${DEFAULT-VALUE}).")
        AlertWriter.Format format;

        @Option(names = "--from-beginning", description = "Start with the oldest alert still in the topic (default: only new ones).")
        boolean fromBeginning;

        @Option(names = {"-n", "--limit"}, paramLabel = "N", description = "Exit after N alerts.")
        Long limit;

        @Mixin KafkaOptions kafka;

        @Spec CommandSpec spec;

        @Override
        public Integer call() {
            if (limit != null && limit < 1) throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
            if (streamId != null && streamId.isBlank()) throw new IllegalArgumentException("--stream-id is empty");
            NarratorConfig config = kafka.clientConfig();
            kafka.prepare(config);
            Topics topics = Topics.from(config);
            String topic = topics.alerts().name();
            OutputSerde<Alert> serde = topics.alertSerde();
            AlertWriter writer = new AlertWriter(spec.commandLine().getOut(), format);
            long printed = 0;
            try (StopSignal stop = StopSignal.install();
                    KafkaConsumer<String, byte[]> consumer = Consumers.of(config, topic, fromBeginning, kafka.connectTimeout())) {
                stop.onStop(consumer::wakeup);
                while (!stop.isStopped() && !Thread.currentThread().isInterrupted() && (limit == null || printed < limit)) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        if (streamId != null && !streamId.equals(r.key())) continue;
                        Alert alert;
                        try {
                            alert = serde.decode(r.value());
                        } catch (AvroSerde.AvroFormatException e) {
                            spec.commandLine().getErr().printf("narrator: skipped record %s-%d@%d: %s%n", r.topic(), r.partition(), r.offset(), e.getMessage());
                            continue;
                        }
                        if (alert == null) continue;
                        writer.write(alert);
                        if (limit != null && ++printed >= limit) break;
                    }
                }
            } catch (WakeupException stopped) {
                // Ctrl-C
            } catch (org.apache.kafka.common.errors.InterruptException interrupted) {
                Thread.interrupted();
            }
            return 0;
        }
    }

    /** A rule's key, refusing a rule id or scope that cannot be one with a message naming the option. */
    static AlertRuleKey key(String scope, String ruleId) {
        try {
            return new AlertRuleKey(scope, ruleId);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--rule: " + e.getMessage(), e);
        }
    }

    /** The latest record of every rule key of a scope (one rule if {@code ruleId} is given) that is not removed, by key. */
    static Map<String, ConsumerRecord<String, byte[]>> latest(NarratorConfig config, Topics topics, Duration timeout, String scope, String ruleId) {
        Map<String, ConsumerRecord<String, byte[]>> out = new TreeMap<>();
        for (ConsumerRecord<String, byte[]> r : TopicSnapshot.read(config, topics.alertRules().name(), timeout)) {
            if (r.key() == null) continue;
            AlertRuleKey key;
            try {
                key = AlertRuleKey.parse(r.key());
            } catch (IllegalArgumentException e) {
                continue; // not a rule key: the narrator dead-letters it
            }
            if (!key.scope().equals(scope) || (ruleId != null && !key.ruleId().equals(ruleId))) continue;
            if (r.value() == null) out.remove(r.key());
            else out.put(r.key(), r);
        }
        return out;
    }

    /** A rule in a few words: its kind and what it looks for. */
    static String summary(AlertRule rule) {
        return switch (rule.getKind()) {
            case QUESTION -> "QUESTION \"" + rule.getQuestion() + "\" yes " + String.join(" | ", rule.getYesAnswers()) + ", no "
                    + String.join(" | ", rule.getNoAnswers()) + (rule.getPrompt() == null ? "" : ", prompt \"" + rule.getPrompt() + "\"");
            case KEYWORD -> "KEYWORD \"" + rule.getPattern() + "\"";
            case REGEX -> "REGEX /" + rule.getPattern() + "/";
        };
    }

    /** Sends records (rules or tombstones) to the alert-rules topic and waits for the broker's acknowledgement of each. */
    static List<RecordMetadata> send(NarratorConfig config, Duration timeout, List<ProducerRecord<String, byte[]>> records) throws InterruptedException {
        Properties p = config.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(timeout.toMillis()));
        String topic = Topics.from(config).alertRules().name();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (ProducerRecord<String, byte[]> r : records) sent.add(producer.send(r));
            List<RecordMetadata> out = new ArrayList<>();
            for (Future<RecordMetadata> f : sent) out.add(f.get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS));
            return out;
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish to Kafka topic " + topic + ": " + KafkaOptions.rootMessage(e));
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka did not acknowledge the alert rule within " + timeout.toSeconds() * 2 + " s");
        }
    }
}
