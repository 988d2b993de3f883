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
        long[] now = {5_000_000_000L}; // a clock that only the pieces move: each takes 10 ms
        Map<String, Runnable> pieces = new LinkedHashMap<>();
        for (String name : List.of("a", "b")) pieces.put(name, () -> {
            calls.add(name);
            now[0] += 10_000_000L;
        });

        Map<String, Timer.Timing> timed = Timer.interleaved(pieces, 0.05, 2, () -> now[0]);

        // rounds of 20 ms until 50 ms have passed: 3 warm-up rounds, then the 2 timed ones
        assertThat(calls).containsExactly("a", "b", "a", "b", "a", "b", "a", "b", "a", "b");
        assertThat(timed.get("a").runs()).as("warm-up rounds are not counted").isEqualTo(2);
        assertThat(timed.get("a").medianMs()).isEqualTo(10.0);
    }

    @Test
    void medianIsOfTheTimedRunsAndMinimumIsTheFastest() {
        long[] now = {0};
        long[] durations = {200, 1, 50, 7}; // ms: one warm-up run, then three timed ones
        int[] call = {0};
        Timer.Timing t = Timer.time(1, 3, () -> now[0] += durations[call[0]++] * 1_000_000L, () -> now[0]);
        assertThat(call[0]).isEqualTo(4);
        assertThat(t.runs()).isEqualTo(3);
        assertThat(t.minMs()).isEqualTo(1.0);
        assertThat(t.medianMs()).isEqualTo(7.0);
        assertThat(t.meanMs()).isCloseTo((1 + 50 + 7) / 3.0, org.assertj.core.api.Assertions.within(1e-9));
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
