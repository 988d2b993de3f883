package io.narrator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimerTest {
    @Test
    void interleavedRunsEveryPieceOncePerRoundInTheGivenOrder() {
        List<String> calls = new ArrayList<>();

        Map<String, Timer.Timing> timed = Timer.interleaved(recording(calls, "a", "b", "c"), 0, 3);

        assertThat(calls).containsExactly("a", "b", "c", "a", "b", "c", "a", "b", "c");
        assertThat(timed.keySet()).containsExactly("a", "b", "c");
        assertThat(timed.values()).allSatisfy(t -> assertThat(t.runs()).isEqualTo(3));
    }

    @Test
    void warmUpRunsWholeRoundsUntilItsTimeHasPassedAndIsNotTimed() {
        List<String> calls = new ArrayList<>();
        long start = System.nanoTime();

        Map<String, Timer.Timing> timed = Timer.interleaved(recording(calls, "a", "b"), 0.05, 2);

        assertThat((System.nanoTime() - start) / 1e9).isGreaterThanOrEqualTo(0.05);
        assertThat(calls.size()).as("whole rounds only").isEven().isGreaterThan(2 * 2);
        assertThat(calls.subList(calls.size() - 4, calls.size())).containsExactly("a", "b", "a", "b");
        assertThat(timed.get("a").runs()).as("warm-up rounds are not counted").isEqualTo(2);
    }

    @Test
    void medianIsOfTheTimedRunsAndMinimumIsTheFastest() {
        int[] call = {0};
        long[] sleeps = {200, 1, 50}; // ms
        Timer.Timing t = Timer.time(0, 3, () -> {
            try {
                Thread.sleep(sleeps[call[0]++]);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(t.minMs()).isGreaterThanOrEqualTo(1).isLessThan(t.medianMs());
        assertThat(t.medianMs()).isGreaterThanOrEqualTo(50).isLessThan(200);
    }

    /** Pieces, in the given order, that record their name in {@code calls} when they run. */
    private static Map<String, Runnable> recording(List<String> calls, String... names) {
        Map<String, Runnable> pieces = new LinkedHashMap<>();
        for (String name : names) pieces.put(name, () -> calls.add(name));
        return pieces;
    }

    @Test
    void badArgumentsAreRejected() {
        Map<String, Runnable> none = Map.of("a", () -> {});
        assertThatThrownBy(() -> Timer.interleaved(none, 0, 0)).hasMessage("runs must be at least 1, got 0");
        assertThatThrownBy(() -> Timer.interleaved(none, -1, 1)).hasMessage("warmupSeconds must be at least 0, got -1.0");
    }
}
