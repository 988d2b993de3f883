package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import io.narrator.avro.DeadLetter;
import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
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
}
