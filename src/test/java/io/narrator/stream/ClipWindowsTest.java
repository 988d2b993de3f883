package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.Caption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClipWindowsTest {
    private static final String[] PALETTE = {"red", "green", "blue", "yellow", "white", "cyan", "magenta", "black"};

    /** Window bounds and frame times of a clip: what the streaming and the in-memory windows must agree on. */
    private record Bounds(long index, long start, long end, List<Long> frames) {}

    @Test
    void closesTheSameWindowsAsTheStreamingTopology() {
        Random random = new Random(11);
        int[][] windowHop = {{2, 1}, {8, 4}, {6, 4}};
        for (int[] wh : windowHop) {
            for (String phase : List.of("aligned", "spread")) {
                for (String streamId : List.of("cam", "cam-1", "cam-2")) {
                    List<Double> seconds = new ArrayList<>();
                    double t = random.nextInt(5) + 0.25;
                    for (int i = 0; i < 24; i++) {
                        seconds.add(t);
                        t += new double[] {1, 1, 1, 2, 3, 9, 17}[random.nextInt(7)];
                    }
                    Map<String, String> config = Map.of("window.seconds", String.valueOf(wh[0]), "hop.seconds", String.valueOf(wh[1]),
                            "window.phase", phase, "idle.timeout.ms", "5000");
                    assertThat(inMemory(config, streamId, seconds))
                            .as("window %d s, hop %d s, %s phase, stream %s, frames at %s", wh[0], wh[1], phase, streamId, seconds)
                            .isEqualTo(streaming(config, streamId, seconds));
                }
            }
        }
    }

    @Test
    void spreadWindowsEndAtTheStreamsPhaseAfterEveryMultipleOfTheHop() {
        NarratorConfig config = NarratorConfig.of(Map.of("window.seconds", "8", "hop.seconds", "4"));
        long phase = WindowPhase.SPREAD.offsetMicros("cam-1", 4);
        ClipWindows<Integer> windows = config.clipWindows("cam-1", 8);
        List<ClipWindows.Clip<Integer>> closed = new ArrayList<>();
        for (int i = 0; i <= 12; i++) closed.addAll(windows.add(i * 1_000_000L, i));
        assertThat(closed).extracting(ClipWindows.Clip::endMicros).containsExactly(phase, phase + 4_000_000L, phase + 8_000_000L);
        assertThat(closed).allSatisfy(c -> assertThat(c.startMicros()).isEqualTo(c.endMicros() - 8_000_000L));
        assertThat(closed.get(2).timestamps()).hasSize(8);
    }

    @Test
    void aWindowWithMoreFramesThanTheModelTakesKeepsTheLatest() {
        ClipWindows<Integer> windows = new ClipWindows<>(8, 8, 3, 0);
        List<ClipWindows.Clip<Integer>> closed = new ArrayList<>();
        for (int i = 0; i < 9; i++) closed.addAll(windows.add(i * 1_000_000L, i));
        assertThat(closed).hasSize(1);
        assertThat(closed.get(0).frames()).containsExactly(5, 6, 7);
        assertThat(closed.get(0).timestamps()).containsExactly(5_000_000L, 6_000_000L, 7_000_000L);
        assertThat(windows.flush()).hasValueSatisfying(c -> assertThat(c.frames()).containsExactly(8));
        assertThat(windows.flush()).isEmpty();
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        assertThatThrownBy(() -> new ClipWindows<>(4, 8, 8, 0)).hasMessageContaining("hop 8 s is longer than window 4 s");
        assertThatThrownBy(() -> new ClipWindows<>(0, 1, 8, 0)).hasMessageContaining("must be positive");
        assertThatThrownBy(() -> new ClipWindows<>(8, 4, 8, 4_000_000L)).hasMessageContaining("window phase must be in [0, hop)");
        ClipWindows<String> windows = new ClipWindows<>(8, 4, 8, 0);
        windows.add(5_000_000L, "a");
        assertThatThrownBy(() -> windows.add(5_000_000L, "b")).hasMessageContaining("increasing time order");
        assertThatThrownBy(() -> windows.add(-1, "c")).hasMessageContaining(">= 0");
    }

    private static List<Bounds> inMemory(Map<String, String> config, String streamId, List<Double> seconds) {
        ClipWindows<Integer> windows = NarratorConfig.of(config).clipWindows(streamId, 16);
        List<ClipWindows.Clip<Integer>> clips = new ArrayList<>();
        for (int i = 0; i < seconds.size(); i++) clips.addAll(windows.add(Math.round(seconds.get(i) * 1e6), i));
        windows.flush().ifPresent(clips::add);
        return clips.stream().map(c -> new Bounds(c.index(), c.startMicros(), c.endMicros(), c.timestamps())).toList();
    }

    private static List<Bounds> streaming(Map<String, String> config, String streamId, List<Double> seconds) {
        try (TopologyHarness h = new TopologyHarness(config)) {
            String[] colours = new String[seconds.size()];
            for (int i = 0; i < colours.length; i++) colours[i] = PALETTE[i % PALETTE.length];
            h.frames(streamId, seconds.stream().mapToDouble(Double::doubleValue).toArray(), colours);
            List<Caption> captions = new ArrayList<>(h.settle());
            h.advance(Duration.ofSeconds(6));
            captions.addAll(h.settle());
            return captions.stream().map(c -> new Bounds(c.getClipIndex(), c.getWindowStartMicros(), c.getWindowEndMicros(), c.getFrameTimestamps())).toList();
        }
    }
}
