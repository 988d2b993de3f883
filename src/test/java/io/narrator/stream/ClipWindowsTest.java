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
            List<Double> seconds = new ArrayList<>();
            double t = random.nextInt(5) + 0.25;
            for (int i = 0; i < 24; i++) {
                seconds.add(t);
                t += new double[] {1, 1, 1, 2, 3, 9, 17}[random.nextInt(7)];
            }
            assertThat(inMemory(seconds, wh[0], wh[1])).as("window %d s, hop %d s, frames at %s", wh[0], wh[1], seconds)
                    .isEqualTo(streaming(seconds, wh[0], wh[1]));
        }
    }

    @Test
    void aWindowWithMoreFramesThanTheModelTakesKeepsTheLatest() {
        ClipWindows<Integer> windows = new ClipWindows<>(8, 8, 3);
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
        assertThatThrownBy(() -> new ClipWindows<>(4, 8, 8)).hasMessageContaining("hop 8 s is longer than window 4 s");
        assertThatThrownBy(() -> new ClipWindows<>(0, 1, 8)).hasMessageContaining("must be positive");
        ClipWindows<String> windows = new ClipWindows<>(8, 4, 8);
        windows.add(5_000_000L, "a");
        assertThatThrownBy(() -> windows.add(5_000_000L, "b")).hasMessageContaining("increasing time order");
        assertThatThrownBy(() -> windows.add(-1, "c")).hasMessageContaining(">= 0");
    }

    private static List<Bounds> inMemory(List<Double> seconds, int window, int hop) {
        ClipWindows<Integer> windows = new ClipWindows<>(window, hop, 16);
        List<ClipWindows.Clip<Integer>> clips = new ArrayList<>();
        for (int i = 0; i < seconds.size(); i++) clips.addAll(windows.add(Math.round(seconds.get(i) * 1e6), i));
        windows.flush().ifPresent(clips::add);
        return clips.stream().map(c -> new Bounds(c.index(), c.startMicros(), c.endMicros(), c.timestamps())).toList();
    }

    private static List<Bounds> streaming(List<Double> seconds, int window, int hop) {
        try (TopologyHarness h = new TopologyHarness(Map.of("window.seconds", String.valueOf(window), "hop.seconds", String.valueOf(hop),
                "idle.timeout.ms", "5000"))) {
            String[] colours = new String[seconds.size()];
            for (int i = 0; i < colours.length; i++) colours[i] = PALETTE[i % PALETTE.length];
            h.frames("cam", seconds.stream().mapToDouble(Double::doubleValue).toArray(), colours);
            List<Caption> captions = new ArrayList<>(h.settle());
            h.advance(Duration.ofSeconds(6));
            captions.addAll(h.settle());
            return captions.stream().map(c -> new Bounds(c.getClipIndex(), c.getWindowStartMicros(), c.getWindowEndMicros(), c.getFrameTimestamps())).toList();
        }
    }
}
