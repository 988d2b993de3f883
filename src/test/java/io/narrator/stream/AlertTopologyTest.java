package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.narrator.avro.Alert;
import io.narrator.avro.AlertRule;
import io.narrator.avro.AlertRuleKind;
import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.ingest.FrameEncoding;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.train.world.Episode;
import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.Scene;
import io.narrator.train.world.World;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Alert rules in the topology with the real bundled model: streams of the synthetic world (one 8-second scene per
 * window, the windows aligned with the scenes) narrated and asked questions by narrator-tiny, keyword and regex rules
 * over its captions, cooldowns, a stream's own rules beside the default ones, and rules the narrator cannot use.
 *
 * <p>The bundled model reads no questions (its words are the world's: counts, sizes, colours, shapes, events), so its
 * question rules use its own prompt ({@code Output:}) and answers in its words: a caption starts with the count
 * ("a"/"an" for one object, "two", "three"), and comparing those beginnings is a reliable yes/no question about the
 * count (all 60 of 60 windows right when measured on the world; the test asserts every window).
 */
class AlertTopologyTest {
    private static final Map<String, String> SCENE_WINDOWS = Map.of("window.seconds", "8", "hop.seconds", "8", "window.phase", "aligned",
            "batch.max", "4");
    private static FlamingoModel model;

    @BeforeAll
    static void load() throws Exception {
        model = FlamingoModel.load(ModelDirectory.BUNDLED);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    /** The bundled model, recording the threads that ask it questions. */
    static final class AskedNarration implements Narration {
        final FlamingoNarration inner = new FlamingoNarration(model);
        final List<String> questionThreads = new CopyOnWriteArrayList<>();

        @Override
        public ModelInfo modelInfo() {
            return inner.modelInfo();
        }

        @Override
        public float[] visionInput(BufferedImage frame) {
            return inner.visionInput(frame);
        }

        @Override
        public List<byte[]> encodeVisionInputs(List<float[]> inputs) {
            return inner.encodeVisionInputs(inputs);
        }

        @Override
        public void checkExampleText(String text) {
            inner.checkExampleText(text);
        }

        @Override
        public int promptTokens(List<String> exampleTexts) {
            return inner.promptTokens(exampleTexts);
        }

        @Override
        public List<ClipNarration> narrate(List<ClipRequest> clips) {
            return inner.narrate(clips);
        }

        @Override
        public QuestionTokens questionTokens(String text, List<String> answers) {
            return inner.questionTokens(text, answers);
        }

        @Override
        public List<QuestionScores> answer(List<QuestionRequest> questions) {
            questionThreads.add(Thread.currentThread().getName());
            return inner.answer(questions);
        }

        @Override
        public void close() {} // the model is shared by the tests
    }

    static AlertRule question(String question, List<String> yes, List<String> no, Integer cooldownSeconds) {
        return AlertRule.newBuilder().setKind(AlertRuleKind.QUESTION).setQuestion(question).setPrompt("Output:").setYesAnswers(yes).setNoAnswers(no)
                .setCooldownSeconds(cooldownSeconds).build();
    }

    /** "Is there more than one object?" in the bundled model's words: a caption that starts with "two" or "three", not "a" or "an". */
    static AlertRule crowd(Integer cooldownSeconds) {
        return question("is there more than one object?", List.of("two", "three"), List.of("a", "an"), cooldownSeconds);
    }

    static AlertRule pattern(AlertRuleKind kind, String pattern, Integer cooldownSeconds) {
        return AlertRule.newBuilder().setKind(kind).setPattern(pattern).setCooldownSeconds(cooldownSeconds).build();
    }

    /** One scene per 8 s of the world from {@code seed}: the ground truth of each window. */
    static Episode episode(long seed, int scenes) {
        return World.DEFAULT.episode(seed, scenes, 8_000_000L);
    }

    /** The episode's frames at 1 FPS as 160×120 JPEGs, and one more at its end, which closes its last window. */
    static void feed(TopologyHarness h, String stream, Episode episode) {
        FrameRenderer renderer = new FrameRenderer(160, 120);
        int seconds = (int) (episode.durationMicros() / 1_000_000);
        for (int s = 0; s <= seconds; s++) {
            byte[] jpeg = TestMedia.encode(renderer.render(episode, Math.min(s, seconds - 1) * 1_000_000L).image(), "jpeg");
            h.frame(TestMedia.frame(stream, s, s * 1_000_000L, "JPEG", 160, 120, jpeg));
        }
    }

    static Scene truth(Episode episode, Caption c) {
        return episode.truth(c.getWindowStartMicros(), c.getWindowEndMicros()).orElseThrow();
    }

    static List<Alert> of(List<Alert> alerts, String stream, String ruleId) {
        return alerts.stream().filter(a -> a.getStreamId().equals(stream) && a.getRuleId().equals(ruleId)).toList();
    }

    @Test
    void questionRulesSayYesAndNoAsTheSceneIsAndAreAnsweredByTheEngine() {
        AskedNarration narration = new AskedNarration();
        try (TopologyHarness h = new TopologyHarness(narration, SCENE_WINDOWS, null)) {
            h.alertRule("*/crowd", crowd(0));
            h.alertRule("cam-b/single", question("is there only one object?", List.of("a", "an"), List.of("two", "three"), 0));
            Map<String, Episode> episodes = Map.of("cam-a", episode(9000, 4), "cam-b", episode(9030, 4));
            episodes.forEach((stream, episode) -> feed(h, stream, episode));
            List<Caption> captions = h.settle();
            List<Alert> alerts = h.alerts.readValuesToList();

            assertThat(captions).hasSize(8);
            int crowded = 0;
            for (Caption c : captions) {
                Scene scene = truth(episodes.get(c.getStreamId()), c);
                String where = c.getStreamId() + " clip " + c.getClipIndex() + " (" + scene.count() + " objects, caption \"" + c.getText() + "\")";
                List<Alert> crowd = of(alerts, c.getStreamId(), "crowd").stream().filter(a -> a.getClipIndex() == c.getClipIndex()).toList();
                assertThat(crowd).as("crowd alert of " + where).hasSize(scene.count() > 1 ? 1 : 0);
                if (scene.count() > 1) crowded++;
                List<Alert> single = of(alerts, c.getStreamId(), "single").stream().filter(a -> a.getClipIndex() == c.getClipIndex()).toList();
                assertThat(single).as("single alert of " + where).hasSize(c.getStreamId().equals("cam-b") && scene.count() == 1 ? 1 : 0);
                for (Alert a : concat(crowd, single)) {
                    assertThat(a.getWindowStartMicros()).isEqualTo(c.getWindowStartMicros());
                    assertThat(a.getWindowEndMicros()).isEqualTo(c.getWindowEndMicros());
                    assertThat(a.getCaption()).isEqualTo(c.getText());
                    assertThat(a.getLatencyMs()).isEqualTo(c.getLatency().getTotalMs());
                }
            }
            assertThat(crowded).as("windows with more than one object, and windows with one, in the streams").isBetween(1, captions.size() - 1);
            Alert first = of(alerts, "cam-a", "crowd").get(0);
            assertThat(first.getRuleKind()).isEqualTo(AlertRuleKind.QUESTION);
            assertThat(first.getRuleScope()).isEqualTo("*");
            assertThat(first.getRuleVersion()).isEqualTo("*/crowd@0");
            assertThat(first.getQuestion()).isEqualTo("is there more than one object?");
            assertThat(first.getAnswer()).isIn("two", "three");
            assertThat(first.getOtherAnswer()).isIn("a", "an");
            assertThat(first.getAnswerLogProb()).isLessThan(0).isGreaterThan(first.getOtherAnswerLogProb());
            assertThat(first.getPattern()).isNull();
            assertThat(first.getModelName()).isEqualTo("narrator-tiny");
            Alert single = of(alerts, "cam-b", "single").get(0);
            assertThat(single.getRuleScope()).isEqualTo("cam-b");
            assertThat(single.getRuleVersion()).isEqualTo("cam-b/single@1");
            assertThat(single.getAnswer()).isIn("a", "an");
            assertThat(narration.questionThreads).as("questions are asked on the engine's thread, never a stream thread").isNotEmpty()
                    .containsOnly("narrator-engine");
            assertThat(h.metrics.count("narrator.alerts", "kind", "QUESTION")).isEqualTo(alerts.size());
            assertThat(h.deadLetters.readValuesToList()).isEmpty();
        }
    }

    /** Each answer of a question alert is the log-probability {@code narrator score} gives it after the same clip. */
    @Test
    void aQuestionsLogProbabilitiesAreTheScoresOfTheAnswersAfterTheClip() {
        try (TopologyHarness h = new TopologyHarness(new AskedNarration(), SCENE_WINDOWS, null)) {
            h.alertRule("*/crowd", crowd(0));
            Episode episode = episode(9000, 1);
            assertThat(episode.scenes().get(0).count()).as("the scene of seed 9000").isGreaterThan(1);
            feed(h, "cam", episode);
            Caption caption = h.settle().get(0);
            Alert alert = h.alerts.readValuesToList().get(0);
            FlamingoNarration direct = new FlamingoNarration(model);
            FrameRenderer renderer = new FrameRenderer(160, 120);
            List<BufferedImage> frames = new ArrayList<>();
            for (long t : caption.getFrameTimestamps())
                frames.add(ImageDecoder.decode(FrameEncoding.JPEG, TestMedia.encode(renderer.render(episode, t).image(), "jpeg"), 160, 120, Long.MAX_VALUE));
            QuestionScores scores = direct.answer(List.of(new QuestionRequest("cam", direct.encodeFrames(frames), "Output:", List.of("two", "three", "a", "an"))))
                    .get(0);
            List<Double> yes = scores.logProbs().subList(0, 2);
            List<Double> no = scores.logProbs().subList(2, 4);
            assertThat(alert.getAnswerLogProb()).isEqualTo(Collections.max(yes));
            assertThat(alert.getOtherAnswerLogProb()).isEqualTo(Collections.max(no));
            var score = model.score(List.of(new io.narrator.model.generate.ScoreRequest(model.queryPrompt(1),
                    List.of(new io.narrator.model.generate.Media(model.encode(frames))), model.continuation(model.queryPrompt(1), alert.getAnswer())))).get(0);
            assertThat(alert.getAnswerLogProb()).as("the score of narrator score's path, alone in its batch").isCloseTo(score.totalLogProb(), within(1e-4));
        }
    }

    @Test
    void keywordAndRegexRulesMatchTheCaptionAndAStreamsOwnRuleReplacesTheDefaultOne() {
        try (TopologyHarness h = new TopologyHarness(new AskedNarration(), SCENE_WINDOWS, null)) {
            h.alertRule("*/shape", pattern(AlertRuleKind.REGEX, "\\b(circle|square)s?\\b", 0));
            h.alertRule("cam-b/shape", pattern(AlertRuleKind.KEYWORD, "TRIANGLE", 0));
            h.alertRule("cam-a/moving", pattern(AlertRuleKind.REGEX, "\\b(moves?|drifts?|slides?|travels?|goes|go|rises?|sinks?)\\b", 0));
            Map<String, Episode> episodes = Map.of("cam-a", episode(9010, 4), "cam-b", episode(9020, 4), "cam-c", episode(9030, 4));
            episodes.forEach((stream, episode) -> feed(h, stream, episode));
            List<Caption> captions = h.settle();
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(captions).hasSize(12);
            Pattern shapes = Pattern.compile("\\b(circle|square)s?\\b");
            Pattern triangle = Pattern.compile("(?i)\\btriangles?\\b");
            Pattern moving = Pattern.compile("\\b(moves?|drifts?|slides?|travels?|goes|go|rises?|sinks?)\\b");
            int matched = 0;
            for (Caption c : captions) {
                String where = c.getStreamId() + " clip " + c.getClipIndex() + " \"" + c.getText() + "\"";
                boolean own = c.getStreamId().equals("cam-b");
                boolean shape = own ? Pattern.compile("(?i)(?<![\\p{L}\\p{N}_])triangle(?![\\p{L}\\p{N}_])").matcher(c.getText()).find()
                        : shapes.matcher(c.getText()).find();
                List<Alert> shapeAlerts = of(alerts, c.getStreamId(), "shape").stream().filter(a -> a.getClipIndex() == c.getClipIndex()).toList();
                assertThat(shapeAlerts).as("shape alert of " + where).hasSize(shape ? 1 : 0);
                if (shape) {
                    matched++;
                    Alert a = shapeAlerts.get(0);
                    assertThat(a.getRuleScope()).isEqualTo(own ? "cam-b" : "*");
                    assertThat(a.getRuleKind()).isEqualTo(own ? AlertRuleKind.KEYWORD : AlertRuleKind.REGEX);
                    assertThat(a.getPattern()).isEqualTo(own ? "TRIANGLE" : "\\b(circle|square)s?\\b");
                    assertThat(c.getText()).contains(a.getMatchedText());
                    assertThat(a.getQuestion()).isNull();
                    assertThat(a.getAnswer()).isNull();
                }
                if (own) assertThat(triangle.matcher(c.getText()).find()).isEqualTo(shape);
                List<Alert> movingAlerts = of(alerts, c.getStreamId(), "moving").stream().filter(a -> a.getClipIndex() == c.getClipIndex()).toList();
                assertThat(movingAlerts).as("moving alert of " + where).hasSize(c.getStreamId().equals("cam-a") && moving.matcher(c.getText()).find() ? 1 : 0);
            }
            assertThat(matched).as("captions naming the rules' shapes in these streams").isGreaterThan(0);
            assertThat(alerts).hasSize((int) h.metrics.count("narrator.alerts", "kind", "REGEX")
                    + (int) h.metrics.count("narrator.alerts", "kind", "KEYWORD"));
        }
    }

    @Test
    void aCooldownLetsOneAlertThroughPerCooldownPerStreamAndRule() {
        // every caption has a letter: without a cooldown every clip would alert
        try (TopologyHarness h = new TopologyHarness(new AskedNarration(), with(SCENE_WINDOWS, "alert.cooldown.seconds", "16"), null)) {
            h.alertRule("*/any", pattern(AlertRuleKind.REGEX, "[a-z]", null)); // the configured 16 s
            h.alertRule("*/every", pattern(AlertRuleKind.REGEX, "[a-z]", 0));
            h.alertRule("cam-b/any", pattern(AlertRuleKind.REGEX, "[a-z]", 24));
            feed(h, "cam-a", episode(9040, 6));
            feed(h, "cam-b", episode(9050, 6));
            List<Caption> captions = h.settle();
            assertThat(captions).hasSize(12).allSatisfy(c -> assertThat(c.getText()).isNotEmpty());
            List<Alert> alerts = h.alerts.readValuesToList();
            // windows end at 8, 16, ... 48 s: 16 s lets through 8, 24, 40; 24 s lets through 8, 32
            assertThat(ends(of(alerts, "cam-a", "any"))).containsExactly(8L, 24L, 40L);
            assertThat(ends(of(alerts, "cam-b", "any"))).containsExactly(8L, 32L);
            assertThat(ends(of(alerts, "cam-a", "every"))).containsExactly(8L, 16L, 24L, 32L, 40L, 48L);
            assertThat(ends(of(alerts, "cam-b", "every"))).containsExactly(8L, 16L, 24L, 32L, 40L, 48L);
            assertThat(h.metrics.count("narrator.alerts.cooled.down", "kind", "REGEX")).isEqualTo(3 + 4);
        }
    }

    @Test
    void rulesTheNarratorCannotUseAreDeadLetteredAndThePreviousVersionStaysInForce() {
        try (TopologyHarness h = new TopologyHarness(new AskedNarration(), SCENE_WINDOWS, null)) {
            h.alertRule("*/r", pattern(AlertRuleKind.REGEX, "[a-z]", 0)); // offset 0, in force throughout
            h.alertRule("*/r", pattern(AlertRuleKind.REGEX, "(unclosed", 0));
            h.alertRule("*/r", pattern(AlertRuleKind.REGEX, "x*", 0));
            h.alertRule("*/r", question(" ", List.of("two"), List.of("a"), 0));
            h.alertRule("*/r", question("yes or no?", List.of("yes"), List.of("no"), 0));
            h.alertRule("*/r", AlertRule.newBuilder().setKind(AlertRuleKind.QUESTION).setQuestion(String.join(" ", Collections.nCopies(300, "red")))
                    .setYesAnswers(List.of("two")).setNoAnswers(List.of("a")).build()); // alert.question.prompt: the question in the prompt
            h.alertRule("*/r", question("which?", List.of("two", "a"), List.of("a"), 0));
            h.alertRule("*/r", question("media?", List.of("two <image>"), List.of("a"), 0));
            h.alertRule("*/r", pattern(AlertRuleKind.KEYWORD, "  ", 0));
            h.alertRule("*/r", pattern(AlertRuleKind.KEYWORD, "red", -5));
            h.alertRule("no-slash", pattern(AlertRuleKind.KEYWORD, "red", 0));
            h.alertRule("*/bad id!", pattern(AlertRuleKind.KEYWORD, "red", 0));
            h.alertRules.pipeInput("*/r", "not avro".getBytes(StandardCharsets.UTF_8));
            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).extracting(DeadLetter::getOriginOffset).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
            assertThat(letters).extracting(DeadLetter::getReason).containsExactly("MALFORMED_ALERT_RULE", "MALFORMED_ALERT_RULE",
                    "MALFORMED_ALERT_RULE", "MALFORMED_ALERT_RULE", "ALERT_RULE_TOO_LONG", "MALFORMED_ALERT_RULE", "MALFORMED_ALERT_RULE",
                    "MALFORMED_ALERT_RULE", "MALFORMED_ALERT_RULE", "MALFORMED_ALERT_RULE", "MALFORMED_ALERT_RULE", "NOT_AVRO");
            assertThat(letters).extracting(DeadLetter::getMessage).containsExactly(
                    "the regular expression /(unclosed/ is invalid: Unclosed group near index 9",
                    "the regular expression /x*/ matches an empty caption, so it would match every clip: make it require some text",
                    "the question is empty",
                    "model narrator-tiny reads the yes answer \"yes\" and the no answer \"no\" as the same tokens [1] (words it does not know?), so it"
                            + " cannot tell them apart: give answers in words the model says",
                    "the question's prompt \"Question: red red red red red red red red red red red red red red red red red re...\" takes 305"
                            + " tokens with the clip's media marker, and its longest answer 1 more: 306 is more than model narrator-tiny's context of 256 tokens",
                    "the answer \"a\" is both a yes answer and a no answer",
                    "the answer \"two <image>\" holds a token that marks media in this model (<image>): it would be read as an image; leave it out of the text",
                    "the keyword is empty",
                    "cooldownSeconds must be >= 0 (0 = an alert for every matching clip), got -5",
                    "key 'no-slash' is not <scope>/<rule id>: the scope is a stream id or the default key, e.g. cam-1/red-car",
                    "key '*/bad id!': rule id 'bad id!' must be 1 to 64 letters, digits, '.', '_' or '-'",
                    letters.get(11).getMessage());
            assertThat(letters).extracting(DeadLetter::getKey).startsWith("*/r");
            feed(h, "cam", episode(9000, 1));
            List<Caption> captions = h.settle();
            assertThat(h.alerts.readValuesToList()).extracting(Alert::getRuleVersion).as("the first version, after every rejected one")
                    .containsExactly("*/r@0");
            assertThat(captions).hasSize(1);
            assertThat(h.metrics.count("narrator.dead.letters", "reason", "MALFORMED_ALERT_RULE")).isEqualTo(10);
        }
    }

    @Test
    void aTombstoneRemovesARuleFromTheNextClipOn() {
        try (TopologyHarness h = new TopologyHarness(new AskedNarration(), SCENE_WINDOWS, null)) {
            h.alertRule("cam/letters", pattern(AlertRuleKind.REGEX, "[a-z]", 0));
            Episode episode = episode(9060, 3);
            FrameRenderer renderer = new FrameRenderer(160, 120);
            for (int s = 0; s <= 8; s++)
                h.frame(TestMedia.frame("cam", s, s * 1_000_000L, "JPEG", 160, 120, TestMedia.encode(renderer.render(episode, s * 1_000_000L).image(), "jpeg")));
            assertThat(h.settle()).hasSize(1);
            assertThat(h.alerts.readValuesToList()).hasSize(1);
            h.alertRule("cam/letters", null);
            for (int s = 9; s <= 24; s++)
                h.frame(TestMedia.frame("cam", s, s * 1_000_000L, "JPEG", 160, 120,
                        TestMedia.encode(renderer.render(episode, Math.min(s, 23) * 1_000_000L).image(), "jpeg")));
            assertThat(h.settle()).hasSize(2);
            assertThat(h.alerts.readValuesToList()).isEmpty();
            assertThat(h.metrics.count("narrator.alert.rules", "outcome", "removed")).isEqualTo(1);
        }
    }

    private static List<Long> ends(List<Alert> alerts) {
        return alerts.stream().map(a -> a.getWindowEndMicros() / 1_000_000).toList();
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> out = new java.util.HashMap<>(base);
        out.put(key, value);
        return out;
    }

    private static List<Alert> concat(List<Alert> a, List<Alert> b) {
        List<Alert> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
