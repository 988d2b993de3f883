package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.avro.Caption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplingTopologyTest {
    private static final String[] COLOURS = {"red", "green", "blue", "yellow"};

    @Test
    void keepsTheFirstFrameOfEachSecondOfA10FpsStreamAndDecodesOnlyThose() {
        try (TopologyHarness h = new TopologyHarness()) {
            for (int i = 0; i < 40; i++) h.frame(TestMedia.frame("cam", i, i / 10.0, COLOURS[i / 10]));
            List<Caption> captions = h.settle();
            assertThat(TopologyHarness.texts(captions)).containsExactly("frames=red", "frames=red,green", "frames=green,blue");
            assertThat(captions.get(2).getFrameSequences()).containsExactly(10L, 20L);
            assertThat(h.narration.preparedFrames.get()).isEqualTo(4);
            assertThat(h.metrics.count("narrator.frames.in", "source", "frames")).isEqualTo(40);
            assertThat(h.metrics.count("narrator.frames.sampled")).isEqualTo(4);
            assertThat(h.metrics.count("narrator.frames.dropped", "reason", "drop_rate")).isEqualTo(36);
        }
    }

    @Test
    void samplesAtTheConfiguredRate() {
        try (TopologyHarness h = new TopologyHarness(Map.of("sample.fps", "2"))) {
            for (int i = 0; i < 12; i++) h.frame(TestMedia.frame("cam", i, i / 4.0, COLOURS[i / 4]));
            // kept: 0, 0.5, 1.0, 1.5, 2.0, 2.5
            List<Caption> captions = h.settle();
            assertThat(captions).extracting(Caption::getFrameTimestamps)
                    .containsExactly(List.of(0L, 500_000L), List.of(0L, 500_000L, 1_000_000L, 1_500_000L));
            assertThat(h.metrics.count("narrator.frames.dropped", "reason", "drop_rate")).isEqualTo(6);
        }
    }

    @Test
    void duplicatesAndLateFramesAreDroppedCountedAndNeverReordered() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.frame(TestMedia.frame("cam", 0, 0.0, "red"));
            h.frame(TestMedia.frame("cam", 1, 1.0, "green"));
            h.frame(TestMedia.frame("cam", 2, 1.0, "blue"));     // duplicate event time
            h.frame(TestMedia.frame("cam", 3, 0.5, "yellow"));   // late
            h.frame(TestMedia.frame("cam", 4, 2.0, "white"));
            h.frame(TestMedia.frame("cam", 5, 3.0, "white"));
            List<Caption> captions = h.settle();
            assertThat(TopologyHarness.texts(captions)).containsExactly("frames=red", "frames=red,green", "frames=green,white");
            assertThat(h.metrics.count("narrator.frames.dropped", "reason", "drop_duplicate")).isEqualTo(1);
            assertThat(h.metrics.count("narrator.frames.dropped", "reason", "drop_late")).isEqualTo(1);
            assertThat(h.deadLetters.isEmpty()).isTrue();
        }
    }

    @Test
    void acceptsPngAndRawFramesAlike() {
        try (TopologyHarness h = new TopologyHarness()) {
            h.frame(TestMedia.frame("cam", 0, 0, "PNG", TestMedia.W, TestMedia.H, TestMedia.png("blue")));
            byte[] raw = new byte[TestMedia.W * TestMedia.H * 3];
            for (int i = 0; i < raw.length; i += 3) raw[i + 1] = (byte) 255;
            h.frame(TestMedia.frame("cam", 1, 1_000_000, "RAW_RGB24", TestMedia.W, TestMedia.H, raw));
            h.frame(TestMedia.frame("cam", 2, 2.0, "red"));
            assertThat(TopologyHarness.texts(h.settle())).containsExactly("frames=blue", "frames=blue,green");
        }
    }
}
