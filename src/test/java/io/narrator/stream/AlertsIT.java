package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Alert;
import io.narrator.avro.AlertRule;
import io.narrator.avro.AlertRuleKind;
import io.narrator.avro.Caption;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.train.world.Episode;
import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.World;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Alerts exactly once on the embedded broker, with the narrator {@code narrator run} starts ({@link NarratorApp}) and the
 * bundled model: three streams of the synthetic world, a question rule and two regex rules for every stream (one with a
 * cooldown), a second instance that joins while clips are pending and the first that leaves (its tasks, their pending
 * clips and cooldowns move), and, read as a {@code read_committed} consumer: every window captioned once, an alert for
 * exactly the clips that match (the regex by the caption, the question by the scene's count, which the model gets right
 * on every clip of QuestionAccuracyTest), one per cooldown, and no alert twice.
 */
class AlertsIT {
    private static final Pattern SHAPES = Pattern.compile("\\b(circle|square)s?\\b");
    private static EmbeddedKafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = EmbeddedKafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) broker.close();
    }

    @Test
    void alertsArePublishedWithTheirCaptionsExactlyOnceWhileInstancesComeAndGo() throws Exception {
        String name = EndToEnd.unique("alerts");
        Map<String, String> settings = Map.of("window.seconds", "8", "hop.seconds", "8", "window.phase", "aligned", "batch.max", "4");
        NarratorConfig first = KafkaTestSupport.config(broker.bootstrapServers(), name, settings);
        NarratorConfig second = KafkaTestSupport.config(broker.bootstrapServers(), name, settings); // its own state directory
        Topics topics = Topics.from(first);
        int scenes = 4;
        Map<String, Episode> episodes = new HashMap<>();
        for (int s = 0; s < 3; s++) episodes.put("cam-" + s, World.DEFAULT.episode(9100 + s, scenes, 8_000_000L));
        try (FlamingoModel model = FlamingoModel.load(ModelDirectory.BUNDLED); FlamingoNarration narration = new FlamingoNarration(model)) {
            NarratorApp a = NarratorApp.create(first, narration);
            NarratorApp b = null;
            try {
                a.start();
                assertThat(a.awaitRunning(Duration.ofSeconds(90))).isTrue();
                try (KafkaProducer<String, byte[]> producer = KafkaTestSupport.producer(broker.bootstrapServers())) {
                    AvroSerde<AlertRule> rules = AvroSerde.of(AlertRule.class);
                    producer.send(new ProducerRecord<>(topics.alertRules().name(), "*/crowd", rules.encode(AlertRule.newBuilder()
                            .setKind(AlertRuleKind.QUESTION).setQuestion("is there more than one object?").setPrompt("Output:")
                            .setYesAnswers(List.of("two", "three")).setNoAnswers(List.of("a", "an")).setCooldownSeconds(0).build()))).get();
                    producer.send(new ProducerRecord<>(topics.alertRules().name(), "*/shape", rules.encode(AlertRule.newBuilder()
                            .setKind(AlertRuleKind.REGEX).setPattern(SHAPES.pattern()).setCooldownSeconds(0).build()))).get();
                    producer.send(new ProducerRecord<>(topics.alertRules().name(), "*/any", rules.encode(AlertRule.newBuilder()
                            .setKind(AlertRuleKind.REGEX).setPattern("[a-z]").setCooldownSeconds(16).build()))).get();
                    awaitRules(a, 3);
                    feed(producer, topics, episodes, 0, 16);
                    b = NarratorApp.create(second, narration); // joins: the group rebalances while clips are pending
                    b.start();
                    feed(producer, topics, episodes, 17, scenes * 8);
                }
                assertThat(b.awaitRunning(Duration.ofSeconds(90))).isTrue();
                a.close(); // leaves: its tasks, pending clips included, move to the second instance
                int windows = episodes.size() * scenes;
                List<Caption> captions = KafkaTestSupport.readCaptions(broker.bootstrapServers(), topics, got -> got.size() >= windows);
                List<Alert> alerts = KafkaTestSupport.readAlerts(broker.bootstrapServers(), topics, got -> true);

                Set<String> clips = new HashSet<>();
                for (Caption c : captions) assertThat(clips.add(c.getStreamId() + "#" + c.getClipIndex())).as("caption of " + c.getStreamId() + " clip "
                        + c.getClipIndex() + " once").isTrue();
                assertThat(captions).hasSize(windows).allSatisfy(c -> assertThat(c.getError()).isNull());
                List<String> published = new ArrayList<>();
                for (Alert alert : alerts) published.add(alert.getStreamId() + "#" + alert.getClipIndex() + "#" + alert.getRuleId());
                assertThat(new HashSet<>(published)).as("no alert twice").hasSize(published.size());
                List<String> expected = new ArrayList<>();
                for (Caption c : captions) {
                    String clip = c.getStreamId() + "#" + c.getClipIndex();
                    if (SHAPES.matcher(c.getText()).find()) expected.add(clip + "#shape");
                    int count = episodes.get(c.getStreamId()).truth(c.getWindowStartMicros(), c.getWindowEndMicros()).orElseThrow().count();
                    if (count > 1) expected.add(clip + "#crowd");
                    // every caption has a letter; windows end at 8, 16, 24 and 32 s: a 16 s cooldown lets through those at 8 and 24 s
                    if (c.getWindowEndMicros() == 8_000_000L || c.getWindowEndMicros() == 24_000_000L) expected.add(clip + "#any");
                }
                assertThat(published).as("alerts: the clips whose caption names a circle or square, those with more than one object, and every"
                        + " caption once per cooldown (kept in a state store that moved with its task)")
                        .containsExactlyInAnyOrderElementsOf(expected);
                assertThat(expected).as("this world has clips of both kinds").anyMatch(k -> k.endsWith("#shape")).anyMatch(k -> k.endsWith("#crowd"));
                Map<String, Caption> byClip = new HashMap<>();
                for (Caption c : captions) byClip.put(c.getStreamId() + "#" + c.getClipIndex(), c);
                for (Alert alert : alerts) {
                    Caption c = byClip.get(alert.getStreamId() + "#" + alert.getClipIndex());
                    assertThat(alert.getCaption()).isEqualTo(c.getText());
                    assertThat(alert.getWindowEndMicros()).isEqualTo(c.getWindowEndMicros());
                    assertThat(alert.getLatencyMs()).isEqualTo(c.getLatency().getTotalMs());
                }
            } finally {
                a.close();
                if (b != null) b.close();
            }
        }
    }

    /** Waits until the narrator has put {@code count} alert rules in force. */
    private static void awaitRules(NarratorApp app, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (app.engine().metrics().count("narrator.alert.rules", "outcome", "applied") < count) {
            if (System.nanoTime() > deadline) throw new AssertionError("alert rules not in force after a minute");
            Thread.sleep(50);
        }
    }

    /** Every stream's frames at seconds {@code from} to {@code to} (1 FPS, 160×120 JPEG); the one at the episode's end closes its last window. */
    private static void feed(KafkaProducer<String, byte[]> producer, Topics topics, Map<String, Episode> episodes, int from, int to) {
        FrameRenderer renderer = new FrameRenderer(160, 120);
        for (int s = from; s <= to; s++)
            for (Map.Entry<String, Episode> e : episodes.entrySet()) {
                long last = e.getValue().durationMicros() - 1_000_000L;
                byte[] jpeg = TestMedia.encode(renderer.render(e.getValue(), Math.min(s * 1_000_000L, last)).image(), "jpeg");
                KafkaTestSupport.send(producer, topics, TestMedia.frame(e.getKey(), s, s * 1_000_000L, "JPEG", 160, 120, jpeg));
            }
        producer.flush();
    }
}
