package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NarrationTopologyTest {

    @Test
    void givesThePreviousCaptionAsContextWhenAsked() {
        try (TopologyHarness h = new TopologyHarness(Map.of("context.previous.caption", "true"))) {
            h.frames("cam", new double[] {0, 1}, "red", "green");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red");
            h.frames("cam", new double[] {2}, "blue");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("previous=[frames=red] frames=red,green");
            h.frames("cam", new double[] {3}, "blue");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("previous=[previous=[frames=red] frames=red,green] frames=green,blue");
        }
    }

    @Test
    void aStreamsCaptionsArePublishedInClipOrderWhenItsBatchesFinishOutOfOrder() throws Exception {
        try (TopologyHarness h = new TopologyHarness(Map.of("narration.threads", "2", "batch.max", "1", "vision.batch.max", "1"))) {
            h.narration.hold = batch -> batch.get(0).frameFeatures().size() == 1; // clip 0: the window holding only the red frame
            h.frames("cam", new double[] {0, 1}, "red", "green");
            assertThat(h.narration.held.await(30, TimeUnit.SECONDS)).as("clip 0 is being narrated").isTrue();
            h.frames("cam", new double[] {2}, "blue"); // clip 1 goes to the other thread and finishes first
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (h.narration.finished.isEmpty()) {
                if (System.nanoTime() > deadline) throw new AssertionError("clip 1 was not narrated within 30 s");
                Thread.sleep(5);
            }
            assertThat(h.narration.finished).as("the batch that finished first").singleElement()
                    .satisfies(batch -> assertThat(batch).extracting(FakeNarration::caption).as("clip 1: red then green").containsExactly("frames=red,green"));
            h.advance(Duration.ofMillis(h.config.drainIntervalMs()));
            assertThat(h.captions.isEmpty()).as("clip 1 waits for clip 0").isTrue();
            h.narration.release.countDown();
            assertThat(h.settle()).extracting(Caption::getClipIndex).containsExactly(0L, 1L);
        }
    }

    @Test
    void aClipWhoseNarrationNeverComesBackIsPublishedWithAnErrorAfterClipTimeoutAndReleasesTheStreamsLaterCaptions() throws Exception {
        try (TopologyHarness h = new TopologyHarness(Map.of("narration.threads", "2", "batch.max", "1", "vision.batch.max", "1",
                "max.lag.ms", "1000", "clip.timeout.ms", "5000"))) {
            h.narration.hold = batch -> batch.get(0).frameFeatures().size() == 1; // clip 0 is stuck in the model
            h.frames("cam", new double[] {0, 1}, "red", "green");
            assertThat(h.narration.held.await(30, TimeUnit.SECONDS)).as("clip 0 is being narrated").isTrue();
            h.frames("cam", new double[] {2, 3}, "blue", "white"); // clips 1 and 2 finish on the other thread
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (h.narration.finished.size() < 2 && System.nanoTime() < deadline) Thread.sleep(5);
            assertThat(h.narration.finished).as("clips 1 and 2 narrated on the other thread").hasSize(2);
            h.advance(Duration.ofMillis(4900));
            assertThat(h.captions.isEmpty()).as("clips 1 and 2 wait for clip 0 until clip.timeout.ms").isTrue();

            h.advance(Duration.ofMillis(100));
            List<Caption> captions = h.captions.readValuesToList();
            assertThat(captions).extracting(Caption::getClipIndex).containsExactly(0L, 1L, 2L);
            assertThat(captions.get(0).getText()).isEmpty();
            assertThat(captions.get(0).getError()).startsWith("not narrated within clip.timeout.ms=5000 ms");
            assertThat(TopologyHarness.texts(captions.subList(1, 3))).containsExactly("frames=red,green", "frames=green,blue");
            assertThat(h.metrics.count("narrator.clips.skipped", "reason", "timeout")).isEqualTo(1);

            h.narration.release.countDown(); // the lost narration comes back after all: not published twice
            assertThat(h.settle()).isEmpty();
            assertThat(h.metrics.count("narrator.completions.dropped", "reason", "duplicate")).isEqualTo(1);
        }
    }

    @Test
    void givesNoContextByDefault() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.frames("cam", new double[] {0, 1, 2}, "red", "green", "blue");
            assertThat(h.settle()).extracting(Caption::getText).containsExactly("frames=red", "frames=red,green");
            assertThat(h.narration.batches).flatExtracting(b -> b).allMatch(r -> r.previousCaption() == null);
        }
    }

    @Test
    void suppressesARepeatedCaptionAndCountsIt() {
        try (TopologyHarness h = new TopologyHarness(Map.of("suppress.repeats", "true"))) {
            // windows: [red] [red,red] [red,red] [red,green]: the third repeats the second
            h.frames("cam", new double[] {0, 1, 2, 3, 4}, "red", "red", "red", "green", "green");
            List<Caption> captions = h.settle();
            assertThat(TopologyHarness.texts(captions)).containsExactly("frames=red", "frames=red,red", "frames=red,green");
            assertThat(captions).extracting(Caption::getClipIndex).containsExactly(0L, 1L, 3L);
            assertThat(h.metrics.count("narrator.captions", "outcome", "suppressed")).isEqualTo(1);
        }
    }

    @Test
    void skipsClipsBeyondMaxLagWithACaptionThatCarriesTheError() {
        try (TopologyHarness h = new TopologyHarness(Map.of("max.lag.ms", "5000"))) {
            h.engineSkewMs.set(7000); // the engine sees every clip 7 s after its window closed
            h.frames("cam", new double[] {0, 1}, "red", "green");
            List<Caption> captions = h.settle();
            assertThat(captions).hasSize(1);
            Caption skipped = captions.get(0);
            assertThat(skipped.getText()).isEmpty();
            assertThat(skipped.getLogProb()).isNull();
            assertThat(skipped.getError()).startsWith("skipped: narration is 7000 ms behind, max.lag.ms=5000");
            assertThat(skipped.getFrameTimestamps()).containsExactly(0L);
            assertThat(h.narration.batches).isEmpty();
            assertThat(h.metrics.count("narrator.clips.skipped", "reason", "lag")).isEqualTo(1);

            h.engineSkewMs.set(0); // caught up: narrated again
            h.frames("cam", new double[] {2}, "blue");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red,green");
        }
    }

    @Test
    void usesTheConfiguredGenerationSettingsWithoutAPrompt() {
        try (TopologyHarness h = new TopologyHarness(Map.of("generation.max.tokens", "7", "generation.beams", "2"))) {
            h.frames("cam", new double[] {0, 1}, "red", "green");
            assertThat(h.settle()).hasSize(1);
            assertThat(h.narration.batches.get(0).get(0).settings()).isEqualTo(new GenerationSettings(7, 2, 0));
            assertThat(h.narration.batches.get(0).get(0).examples()).isEmpty();
        }
    }
}
