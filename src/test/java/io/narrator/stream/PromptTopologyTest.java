package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class PromptTopologyTest {

    static PromptExample image(String colour, String text) {
        return new PromptExample("PNG", ByteBuffer.wrap(TestMedia.png(colour)), text);
    }

    static NarrationPrompt prompt(PromptExample... examples) {
        return NarrationPrompt.newBuilder().setExamples(List.of(examples)).build();
    }

    @Test
    void theDefaultPromptReachesEveryStreamAndAStreamsOwnPromptWins() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.prompt("*", prompt(image("red", "a red screen")));
            h.prompt("b", prompt(image("blue", "blue!"), image("green", "green!")));
            h.frames("a", new double[] {0, 1}, "red", "green");
            h.frames("b", new double[] {0, 1}, "red", "green");
            h.frames("c", new double[] {0, 1}, "red", "green");
            List<Caption> captions = h.settle();
            assertThat(captions).extracting(c -> c.getStreamId() + ":" + c.getPromptVersion() + ":" + c.getText()).containsExactlyInAnyOrder(
                    "a:*@0:examples=a red screen/1 frames=red",
                    "b:b@1:examples=blue!/1|green!/1 frames=red",
                    "c:*@0:examples=a red screen/1 frames=red");
            assertThat(h.metrics.count("narrator.prompts", "outcome", "applied")).isEqualTo(2);
        }
    }

    @Test
    void promptsAreLiveUpdatedAndRemovedByTombstones() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.frames("cam", new double[] {0, 1}, "red", "green");
            assertThat(h.settle()).extracting(Caption::getPromptVersion).containsExactly((String) null);

            // a window closes when the frame after it has been through the vision encoder: settle before the next prompt
            h.prompt("cam", prompt(image("red", "first")));
            h.frames("cam", new double[] {2}, "blue");
            List<Caption> captions = new java.util.ArrayList<>(h.settle());
            h.prompt("cam", prompt(image("red", "second")));
            h.frames("cam", new double[] {3}, "blue");
            captions.addAll(h.settle());
            h.prompt("cam", null);
            h.frames("cam", new double[] {4}, "blue");
            captions.addAll(h.settle());
            assertThat(captions).extracting(Caption::getPromptVersion).containsExactly("cam@0", "cam@1", null);
            assertThat(TopologyHarness.texts(captions)).containsExactly(
                    "examples=first/1 frames=red,green", "examples=second/1 frames=green,blue", "frames=blue,blue");
            assertThat(h.metrics.count("narrator.prompts", "outcome", "removed")).isEqualTo(1);
        }
    }

    @Test
    void aMalformedPromptIsADeadLetterAndThePreviousPromptStaysInForce() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.prompt("cam", prompt(image("red", "good")));
            h.prompt("cam", NarrationPrompt.newBuilder().setExamples(List.of(image("red", "x"))).setBeams(99).build());
            h.prompt("cam", prompt(new PromptExample("PNG", ByteBuffer.wrap(new byte[] {1, 2, 3}), "broken image")));
            h.prompt("cam", prompt(image("red", "fine"), image("green", "a <image> inside")));
            h.frames("cam", new double[] {0, 1}, "red", "green");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("examples=good/1 frames=red");
            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).extracting(DeadLetter::getReason).containsExactly("MALFORMED_PROMPT", "MALFORMED_PROMPT", "MALFORMED_PROMPT");
            assertThat(letters.get(0).getMessage()).contains("beams must be in [1, 16], got 99");
            assertThat(letters.get(1).getMessage()).contains("example 0 (PNG, 3 bytes)");
            assertThat(letters.get(2).getMessage()).contains("example 1: the text \"a <image> inside\" holds <image>");
            assertThat(letters).extracting(DeadLetter::getOriginOffset).containsExactly(1L, 2L, 3L);
        }
    }

    @Test
    void clipExamplesAreSampledLikeALiveStreamAndSettingsAndWindowsCanBeOverridden() {
        try (TopologyHarness h = new TopologyHarness(Map.of("window.phase", "aligned"))) {
            byte[] clip = TestMedia.video(List.of("red", "green", "blue"), 5, false);
            h.prompt("*", NarrationPrompt.newBuilder()
                    .setExamples(List.of(new PromptExample("MPEGTS", ByteBuffer.wrap(clip), "colours change")))
                    .setMaxTokens(5).setBeams(1).setTopP(0.9).setWindowSeconds(4).setHopSeconds(2).build());
            h.frames("cam", new double[] {0, 1, 2, 3, 4}, "red", "green", "blue", "yellow", "white");
            List<Caption> captions = h.settle();
            assertThat(captions).extracting(Caption::getWindowEndMicros).containsExactly(2_000_000L, 4_000_000L);
            assertThat(TopologyHarness.texts(captions)).containsExactly(
                    "examples=colours change/3 frames=red,green", "examples=colours change/3 frames=red,green,blue,yellow");
            assertThat(h.narration.batches.get(0).get(0).settings()).isEqualTo(new GenerationSettings(5, 1, 0.9));
        }
    }

    private static NarrationPrompt examples(int count, String text) {
        return NarrationPrompt.newBuilder().setExamples(Collections.nCopies(count, image("red", text))).build();
    }

    @Test
    void promptsTheModelCannotUseAreDeadLetteredBeforeAnyMediaIsDecodedAndThePreviousPromptStaysInForce() {
        try (TopologyHarness h = new TopologyHarness(Map.of("prompt.max.bytes", "200000"))) {
            h.prompt("cam", prompt(image("red", "good")));
            int prepared = h.narration.preparedFrames.get();
            h.prompt("cam", prompt(image("red", "word ".repeat(507).strip()))); // 512 tokens, before the 20 to generate
            h.prompt("cam", examples(1000, "x")); // the campaign's 1,000 examples
            h.prompt("cam", prompt(image("red", "ab ".repeat(34_000).strip()))); // 100 KB of text
            h.prompt("cam", prompt(new PromptExample("PNG", ByteBuffer.wrap(new byte[200_001]), "big")));
            h.prompt("cam", NarrationPrompt.newBuilder().setExamples(List.of(image("red", "short"))).setMaxTokens(300).build());
            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).extracting(DeadLetter::getReason).containsOnly("PROMPT_TOO_LONG").hasSize(5);
            assertThat(letters).extracting(DeadLetter::getMessage).containsExactly(
                    "the prompt takes 512 tokens and 20 more are generated: 532 is more than model fake-narrator's context of 256 tokens",
                    "the prompt has 1000 examples, more than prompt.max.examples=32",
                    "the prompt takes 34005 tokens and 20 more are generated: 34025 is more than model fake-narrator's context of 256 tokens",
                    "the prompt's examples have 200004 bytes of media and text, more than prompt.max.bytes=200000",
                    "the prompt takes 6 tokens and 300 more are generated: 306 is more than model fake-narrator's context of 256 tokens");
            assertThat(letters).extracting(DeadLetter::getOriginOffset).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(h.narration.preparedFrames.get()).as("no example media decoded for a rejected prompt").isEqualTo(prepared);
            h.frames("cam", new double[] {0, 1}, "red", "green");
            assertThat(h.settle()).extracting(c -> c.getPromptVersion() + ":" + c.getText()).containsExactly("cam@0:examples=good/1 frames=red");
            assertThat(h.metrics.count("narrator.dead.letters", "reason", "PROMPT_TOO_LONG")).isEqualTo(5);
        }
    }

    @Test
    void thePreviousCaptionGivenAsContextCountsAgainstTheContext() {
        try (TopologyHarness h = new TopologyHarness(Map.of("context.previous.caption", "true", "generation.max.tokens", "100"))) {
            h.prompt("cam", prompt(image("red", "word ".repeat(40).strip()))); // 45 + 2 x 100 = 245 tokens: fits
            h.prompt("cam", prompt(image("red", "word ".repeat(60).strip()))); // 65 + 200 = 265: does not
            List<DeadLetter> letters = h.deadLetters.readValuesToList();
            assertThat(letters).extracting(DeadLetter::getMessage).containsExactly("the prompt takes 65 tokens and 200 more are generated (the previous "
                    + "caption given as context counts too): 265 is more than model fake-narrator's context of 256 tokens");
            assertThat(letters).extracting(DeadLetter::getOriginOffset).containsExactly(1L);
        }
    }

    @Test
    void aPromptIsValidatedOffTheStreamThreadAndOutcomesKeepTheTopicsOrder() throws Exception {
        try (TopologyHarness h = new TopologyHarness()) {
            CountDownLatch gate = new CountDownLatch(1);
            h.narration.promptValidationGate = gate;
            try {
                h.prompts.pipeInput("cam", AvroSerde.of(NarrationPrompt.class).encode(prompt(image("red", "slow"))));
                h.prompts.pipeInput("cam", null); // a tombstone behind it
                h.prompts.pipeInput("other", AvroSerde.of(NarrationPrompt.class).encode(prompt(image("blue", "after"))));
                // the stream thread is free: frames of every stream are narrated while the prompt is validated
                h.frames("cam", new double[] {0, 1}, "red", "green");
                h.frames("other", new double[] {0, 1}, "blue", "green");
                assertThat(h.settle()).extracting(c -> c.getStreamId() + ":" + c.getPromptVersion() + ":" + c.getText())
                        .containsExactlyInAnyOrder("cam:null:frames=red", "other:null:frames=blue");
                assertThat(h.metrics.promptsWaiting()).isEqualTo(3);
            } finally {
                gate.countDown();
            }
            h.awaitPrompts();
            h.frames("cam", new double[] {2}, "blue");
            h.frames("other", new double[] {2}, "blue");
            // cam's prompt was put in force, then removed by the tombstone that came after it
            assertThat(h.settle()).extracting(c -> c.getStreamId() + ":" + c.getPromptVersion() + ":" + c.getText())
                    .containsExactlyInAnyOrder("cam:null:frames=red,green", "other:other@2:examples=after/1 frames=blue,green");
            assertThat(h.metrics.count("narrator.prompts", "outcome", "applied")).isEqualTo(2);
            assertThat(h.metrics.count("narrator.prompts", "outcome", "removed")).isEqualTo(1);
        }
    }

    @Test
    void aConfiguredGenerationThatCannotFitTheModelsContextIsRefusedAtStart() {
        FakeNarration narration = new FakeNarration();
        try (NarrationEngine engine = NarrationEngine.start(narration, new NarrationEngine.Settings(1, 0, 1, 1000), NarratorMetrics.inMemory())) {
            NarratorConfig fits = NarratorConfig.of(Map.of("generation.max.tokens", "254"));
            NarratorTopology.build(new org.apache.kafka.streams.StreamsBuilder(), engine, Topics.from(fits), fits);
            NarratorConfig tooMany = NarratorConfig.of(Map.of("generation.max.tokens", "255"));
            assertThatThrownBy(() -> NarratorTopology.build(new org.apache.kafka.streams.StreamsBuilder(), engine, Topics.from(tooMany), tooMany))
                    .isInstanceOf(IllegalArgumentException.class).hasMessage("generation.max.tokens=255 and the zero-shot prompt's 2 tokens do not fit "
                            + "model fake-narrator's context of 256 tokens: lower generation.max.tokens");
            NarratorConfig withContext = fits.with("generation.max.tokens", "128").with("context.previous.caption", "true");
            assertThatThrownBy(() -> NarratorTopology.build(new org.apache.kafka.streams.StreamsBuilder(), engine, Topics.from(withContext), withContext))
                    .hasMessageStartingWith("generation.max.tokens=128 (twice, with context.previous.caption) and the zero-shot prompt's 2 tokens do not fit");
        }
    }
}
