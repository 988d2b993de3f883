package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

class WindowTopologyTest {

    @Test
    void everyHopMakesAClipOfTheLastWindowOfFramesInTimeOrder() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.frames("cam", new double[] {0.0, 1.0, 2.0, 3.0}, "red", "blue", "yellow", "white");
            List<Caption> captions = h.settle();
            assertThat(TopologyHarness.texts(captions)).containsExactly("frames=red", "frames=red,blue", "frames=blue,yellow");
            assertThat(captions).extracting(Caption::getClipIndex).containsExactly(0L, 1L, 2L);
            Caption last = captions.get(2);
            assertThat(last.getWindowStartMicros()).isEqualTo(1_000_000L);
            assertThat(last.getWindowEndMicros()).isEqualTo(3_000_000L);
            assertThat(last.getFrameTimestamps()).containsExactly(1_000_000L, 2_000_000L);
            assertThat(last.getFrameSequences()).containsExactly(1L, 2L);
            assertThat(last.getModelName()).isEqualTo("fake-narrator");
            assertThat(last.getError()).isNull();
            assertThat(last.getLogProb()).isEqualTo(-2.0);
            assertThat(h.captions.isEmpty()).isTrue();
        }
    }

    @Test
    void alignedWindowsEndAtMultiplesOfTheHopWhateverTheFirstFrame() {
        try (TopologyHarness h = new TopologyHarness(Map.of("window.seconds", "8", "hop.seconds", "4", "window.phase", "aligned"))) {
            h.frames("cam", new double[] {5.5, 6.5, 7.5, 8.5, 9.5, 12.0}, "red", "green", "blue", "yellow", "white", "red");
            List<Caption> captions = h.settle();
            assertThat(captions).extracting(Caption::getWindowEndMicros).containsExactly(8_000_000L, 12_000_000L);
            assertThat(captions).extracting(Caption::getWindowStartMicros).containsExactly(0L, 4_000_000L);
            assertThat(TopologyHarness.texts(captions)).containsExactly("frames=red,green,blue", "frames=red,green,blue,yellow,white");
        }
    }

    @Test
    void spreadWindowsOfStreamsThatStartTogetherCloseInDifferentSecondsOfTheHop() {
        List<String> ids = List.of("cam-0", "cam-1", "cam-2", "cam-3");
        try (TopologyHarness h = new TopologyHarness(Map.of("window.seconds", "8", "hop.seconds", "4"))) {
            double[] seconds = new double[13];
            String[] colours = new String[13];
            for (int i = 0; i < 13; i++) {
                seconds[i] = i;
                colours[i] = i < 4 ? "red" : "blue";
            }
            for (String id : ids) h.frames(id, seconds, colours);
            List<Caption> captions = h.settle();
            java.util.Set<Long> phases = new java.util.TreeSet<>();
            for (String id : ids) {
                long phase = WindowPhase.SPREAD.offsetMicros(id, 4);
                phases.add(phase);
                List<Caption> own = captions.stream().filter(c -> c.getStreamId().equals(id)).toList();
                long firstEnd = phase == 0 ? 4_000_000L : phase;
                assertThat(own).as(id).extracting(Caption::getWindowEndMicros)
                        .containsExactly(firstEnd, firstEnd + 4_000_000L, firstEnd + 8_000_000L);
                assertThat(own).as(id).allSatisfy(c -> assertThat(c.getWindowEndMicros() - c.getWindowStartMicros()).isEqualTo(8_000_000L));
                assertThat(own.get(own.size() - 1).getFrameTimestamps()).as(id).hasSize(8);
            }
            assertThat(phases).as("four ids that differ in their last character take the four seconds of the hop")
                    .containsExactly(0L, 1_000_000L, 2_000_000L, 3_000_000L);
        }
    }

    @Test
    void aPromptThatChangesTheHopMovesTheNextWindowToTheStreamsNewGridWithoutLosingFrames() {
        // "cam-2" spreads to second 0 of a 4 s hop and second 1 of a 3 s hop
        assertThat(WindowPhase.SPREAD.offsetMicros("cam-2", 4)).isZero();
        assertThat(WindowPhase.SPREAD.offsetMicros("cam-2", 3)).isEqualTo(1_000_000L);
        try (TopologyHarness h = new TopologyHarness(Map.of("window.seconds", "8", "hop.seconds", "4"))) {
            h.frames("cam-2", new double[] {0, 1, 2, 3, 4, 5}, "red", "red", "red", "red", "blue", "blue");
            assertThat(h.settle()).extracting(Caption::getWindowEndMicros).containsExactly(4_000_000L);
            h.prompt("*", io.narrator.avro.NarrationPrompt.newBuilder().setExamples(List.of()).setWindowSeconds(6).setHopSeconds(3).build());
            h.frames("cam-2", new double[] {6, 7, 8, 9, 10, 11, 12, 13}, "green", "green", "green", "green", "green", "green", "green", "green");
            List<Caption> captions = h.settle();
            assertThat(captions).extracting(Caption::getWindowEndMicros).containsExactly(10_000_000L, 13_000_000L);
            assertThat(TopologyHarness.texts(captions).get(0)).as("frames stored before the change are in the first window on the new grid")
                    .isEqualTo("frames=blue,blue,green,green,green,green");
        }
    }

    @Test
    void windowsWithoutFramesMakeNoClipButAreCounted() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.frames("cam", new double[] {0.0, 10.0, 11.0}, "red", "green", "blue");
            List<Caption> captions = h.settle();
            assertThat(captions).extracting(Caption::getWindowEndMicros).containsExactly(1_000_000L, 2_000_000L, 11_000_000L);
            assertThat(TopologyHarness.texts(captions)).containsExactly("frames=red", "frames=red", "frames=green");
            assertThat(captions).extracting(Caption::getClipIndex).containsExactly(0L, 1L, 2L);
            assertThat(h.metrics.count("narrator.windows.empty")).isEqualTo(8);
        }
    }

    @Test
    void anIdleStreamHasItsLastPartialWindowFlushedExactlyOnce() {
        try (TopologyHarness h = new TopologyHarness(Map.of("idle.timeout.ms", "5000"))) {
            h.frames("cam", new double[] {0.0, 1.0}, "red", "green");
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=red");
            h.advance(Duration.ofSeconds(6));
            List<Caption> flushed = h.settle();
            assertThat(TopologyHarness.texts(flushed)).containsExactly("frames=red,green");
            assertThat(flushed.get(0).getWindowEndMicros()).isEqualTo(2_000_000L);
            h.advance(Duration.ofSeconds(30));
            assertThat(h.settle()).isEmpty();
            assertThat(h.metrics.count("narrator.windows.idle.flushed")).isEqualTo(1);

            h.frames("cam", new double[] {3.0}, "blue");
            h.frames("cam", new double[] {4.0}, "white");
            // the stream resumes where it left off: the next windows end at 3 s and 4 s
            List<Caption> resumed = h.settle();
            assertThat(resumed).extracting(Caption::getWindowEndMicros).containsExactly(3_000_000L, 4_000_000L);
            assertThat(resumed).extracting(Caption::getClipIndex).containsExactly(2L, 3L);
        }
    }

    @Test
    void framesOlderThanAnyFutureWindowAreDeletedAndEachIsEncodedOnce() {
        try (TopologyHarness h = new TopologyHarness()) {
            for (int s = 0; s < 20; s++) h.frame(TestMedia.frame("cam", s, s, "red"));
            assertThat(h.settle()).hasSize(19);
            KeyValueStore<Object, Object> frames = h.driver.getKeyValueStore(NarratorStores.FRAMES);
            assertThat(frames.approximateNumEntries()).isLessThanOrEqualTo(2);
            KeyValueStore<Object, Object> pending = h.driver.getKeyValueStore(NarratorStores.PENDING);
            assertThat(pending.approximateNumEntries()).isZero();
            // each frame is in two windows but encoded once; the last one, in no closed window, only if the engine encoded it ahead
            assertThat(h.narration.encodedFrames.get()).isBetween(19, 20);
        }
    }

    @Test
    void streamsAreWindowedIndependently() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.frame(TestMedia.frame("a", 0, 0.0, "red"));
            h.frame(TestMedia.frame("b", 0, 5.0, "blue"));
            h.frame(TestMedia.frame("a", 1, 1.0, "green"));
            h.frame(TestMedia.frame("b", 1, 6.0, "white"));
            List<Caption> captions = h.settle();
            assertThat(captions).extracting(c -> c.getStreamId() + ":" + c.getText())
                    .containsExactlyInAnyOrder("a:frames=red", "b:frames=blue");
        }
    }
}
