package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.avro.AlertRule;
import io.narrator.avro.AlertRuleKind;
import io.narrator.stream.AvroSerde;
import io.narrator.stream.EmbeddedKafkaBroker;
import io.narrator.stream.FakeNarration;
import io.narrator.stream.NarratorApp;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code narrator alert set|get|clear} against an embedded broker, with a running narrator that validates the rules. */
class AlertCommandIT {
    @TempDir static Path dir;
    static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void setUp() {
        ProcessSetup.configure();
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    static Path config(String name) throws Exception {
        Path file = dir.resolve(name + ".properties");
        Files.writeString(file, "application.id=" + name + "\ntopic.prefix=" + name + ".\ntopic.partitions=1\ncommit.interval.ms=100\nstate.dir="
                + Files.createDirectories(dir.resolve("state-" + name)) + "\n");
        return file;
    }

    static Cli.Result run(Path config, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", broker.bootstrapServers(), "--config", config.toString()));
        Cli.Result r = Cli.run(all.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r;
    }

    /** The records of the alert-rules topic, from its beginning, once there are {@code count}. */
    static List<ConsumerRecord<String, byte[]>> rules(Path config, int count) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        String topic = Topics.from(NarratorConfig.load(config)).alertRules().name();
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (out.size() < count) {
                if (System.nanoTime() > deadline) throw new AssertionError("only " + out.size() + " of " + count + " records in " + topic);
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void setGetAndClearRulesOfAStreamAndOfEveryStream() throws Exception {
        Path config = config("alert-cli");
        Cli.Result keyword = run(config, "alert", "set", "--stream-id", "door", "--rule", "red-car", "--keyword", "red car", "--cooldown-seconds", "30");
        assertThat(keyword.outLines()).containsExactly(
                "set rule red-car of stream door: KEYWORD \"red car\", alert-cli.alert-rules partition 0 offset 0 (version door/red-car@0)",
                "a running narrator validates it and uses it from the next clip; `narrator alert get` shows whether it is in force");
        Cli.Result question = run(config, "alert", "set", "--default", "--rule", "person", "--question", "Is there a person?");
        assertThat(question.outLines().get(0)).isEqualTo("set rule person of every stream (default key *): QUESTION \"Is there a person?\" yes yes,"
                + " no no, alert-cli.alert-rules partition 0 offset 1 (version */person@1)");
        run(config, "alert", "set", "--stream-id", "door", "--rule", "moving", "--regex", "\\bmoves?\\b");

        List<ConsumerRecord<String, byte[]>> records = rules(config, 3);
        assertThat(records).extracting(ConsumerRecord::key).containsExactly("door/red-car", "*/person", "door/moving");
        AlertRule person = AvroSerde.of(AlertRule.class).decode(records.get(1).value());
        assertThat(person.getKind()).isEqualTo(AlertRuleKind.QUESTION);
        assertThat(person.getYesAnswers()).containsExactly("yes");
        assertThat(person.getNoAnswers()).containsExactly("no");
        assertThat(person.getPrompt()).as("the narrator's alert.question.prompt").isNull();
        assertThat(person.getCooldownSeconds()).isNull();
        AlertRule redCar = AvroSerde.of(AlertRule.class).decode(records.get(0).value());
        assertThat(redCar.getPattern()).isEqualTo("red car");
        assertThat(redCar.getCooldownSeconds()).isEqualTo(30);

        Cli.Result get = run(config, "alert", "get", "--stream-id", "door");
        assertThat(get.outLines()).containsExactly(
                "Alert rules of stream door:",
                "  moving  version door/moving@2, not validated yet (is a narrator running?)",
                "      REGEX /\\bmoves?\\b/, cooldown default",
                "  red-car  version door/red-car@0, not validated yet (is a narrator running?)",
                "      KEYWORD \"red car\", cooldown 30 s",
                "the default rules (narrator alert get --default) apply to it too, where it has no rule of the same id");

        NarratorConfig narrator = NarratorConfig.load(config).with("bootstrap.servers", broker.bootstrapServers());
        try (NarratorApp app = NarratorApp.create(narrator, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofMinutes(2))).isTrue();
            assertThat(awaitStatus(config, "door", "red-car", "in force")).isEqualTo("in force");
            assertThat(awaitStatus(config, null, "person", "in force")).isEqualTo("in force");

            String wordy = "word ".repeat(300).strip(); // more tokens than the fake model's context of 256
            run(config, "alert", "set", "--default", "--rule", "person", "--question", wordy);
            assertThat(awaitStatus(config, null, "person", "rejected")).isEqualTo("rejected by the narrator (ALERT_RULE_TOO_LONG: the question's prompt"
                    + " \"Question: word word word word word word word word word word word word word word ...\" takes 303 tokens with the"
                    + " clip's media marker, and its longest answer 1 more: 304 is more than model fake-narrator's context of 256 tokens); */person@1"
                    + " stays in force");
        }

        JsonNode json = new ObjectMapper().readTree(run(config, "alert", "get", "--default", "--rule", "person", "--json").out());
        assertThat(json.get("scope").asText()).isEqualTo("*");
        assertThat(json.get("rules")).hasSize(1);
        assertThat(json.at("/rules/0/version").asText()).isEqualTo("*/person@3");
        assertThat(json.at("/rules/0/rule/kind").asText()).isEqualTo("QUESTION");
        assertThat(json.at("/rules/0/rule/question").asText()).startsWith("word word");
        assertThat(json.at("/rules/0/rule/yes/0").asText()).isEqualTo("yes");
        assertThat(json.at("/rules/0/rule/prompt").isNull()).isTrue();

        Cli.Result clearOne = run(config, "alert", "clear", "--stream-id", "door", "--rule", "red-car");
        assertThat(clearOne.outLines()).containsExactly("cleared rule red-car of stream door (alert-cli.alert-rules partition 0 offset 4)");
        assertThat(rules(config, 5).get(4).value()).as("a tombstone").isNull();
        assertThat(run(config, "alert", "get", "--stream-id", "door", "--rule", "red-car").outLines())
                .containsExactly("rule red-car is not set for stream door; the default rules (narrator alert get --default) apply to it");
        Cli.Result clearAll = run(config, "alert", "clear", "--default");
        assertThat(clearAll.outLines()).containsExactly("cleared rule person of every stream (default key *) (alert-cli.alert-rules partition 0 offset 5)");
        run(config, "alert", "clear", "--stream-id", "door");
        assertThat(run(config, "alert", "get", "--stream-id", "door").outLines())
                .containsExactly("no alert rules are set for stream door; the default rules (narrator alert get --default) apply to it");
        assertThat(run(config, "alert", "clear", "--default").outLines()).containsExactly("every stream (default key *) has no alert rules");
    }

    @Test
    void tailFollowsTheAlertsOfARunningNarrator() throws Exception {
        Path config = config("alert-tail");
        NarratorConfig narrator = NarratorConfig.load(config).with("bootstrap.servers", broker.bootstrapServers())
                .with("hop.seconds", "1").with("window.seconds", "2").with("window.phase", "aligned");
        try (NarratorApp app = NarratorApp.create(narrator, new FakeNarration())) {
            app.start();
            assertThat(app.awaitRunning(Duration.ofMinutes(2))).isTrue();
            run(config, "alert", "set", "--stream-id", "door", "--rule", "red", "--keyword", "RED", "--cooldown-seconds", "0");
            assertThat(awaitStatus(config, "door", "red", "in force")).isEqualTo("in force");
            String[] colours = {"red", "green", "green", "blue", "red", "white"};
            try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>(producerProperties(),
                    new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                for (int s = 0; s < colours.length; s++) {
                    var frame = io.narrator.stream.TestMedia.frame("door", s, s, colours[s]);
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(Topics.from(narrator).frames().name(), "door",
                            AvroSerde.of(io.narrator.avro.VideoFrame.class).encode(frame))).get();
                }
            }
            // windows of 2 s every second, closed by the frames at 1..5 s: the fake's captions name each frame's colour
            Cli.Result text = run(config, "alert", "tail", "--stream-id", "door", "--from-beginning", "--limit", "3");
            assertThat(text.outLines()).hasSize(3);
            assertThat(text.outLines().get(0)).matches("door  00:00:00\\.000 → 00:00:01\\.000  red: KEYWORD RED matched \"red\"  \"frames=red\"  \\(\\d+ ms\\)");
            assertThat(text.outLines().get(1)).startsWith("door  00:00:00.000 → 00:00:02.000  red: KEYWORD RED matched \"red\"  \"frames=red,green\"");
            assertThat(text.outLines().get(2)).startsWith("door  00:00:03.000 → 00:00:05.000  red: KEYWORD RED matched \"red\"  \"frames=blue,red\"");
            JsonNode json = new ObjectMapper().readTree(run(config, "alert", "tail", "--from-beginning", "--limit", "1", "--format", "json").out());
            assertThat(json.get("streamId").asText()).isEqualTo("door");
            assertThat(json.get("ruleId").asText()).isEqualTo("red");
            assertThat(json.get("ruleScope").asText()).isEqualTo("door");
            assertThat(json.get("ruleVersion").asText()).isEqualTo("door/red@0");
            assertThat(json.get("ruleKind").asText()).isEqualTo("KEYWORD");
            assertThat(json.get("pattern").asText()).isEqualTo("RED");
            assertThat(json.get("matchedText").asText()).isEqualTo("red");
            assertThat(json.get("question").isNull()).isTrue();
            assertThat(json.get("windowEndMicros").asLong()).isEqualTo(1_000_000L);
            assertThat(json.get("caption").asText()).isEqualTo("frames=red");
        }
    }

    private static Properties producerProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", broker.bootstrapServers());
        p.put("acks", "all");
        return p;
    }

    /** Asks {@code alert get --json} until the rule's status starts with {@code prefix} (a narrator validates as rules arrive). */
    private static String awaitStatus(Path config, String stream, String rule, String prefix) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            Cli.Result get = stream == null ? run(config, "alert", "get", "--default", "--rule", rule, "--json")
                    : run(config, "alert", "get", "--stream-id", stream, "--rule", rule, "--json");
            String status = new ObjectMapper().readTree(get.out()).at("/rules/0/status").asText();
            if (status.startsWith(prefix) || System.nanoTime() > deadline) return status;
            Thread.sleep(300);
        }
    }
}
