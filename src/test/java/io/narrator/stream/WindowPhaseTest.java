package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class WindowPhaseTest {

    @Test
    void alignedWindowsHaveNoOffset() {
        assertThat(WindowPhase.ALIGNED.offsetMicros("cam-7", 4)).isZero();
    }

    @Test
    void spreadOffsetsAreWholeSecondsWithinTheHopAndTheSameForAStreamEveryTime() {
        for (int hop = 1; hop <= 10; hop++) {
            for (int i = 0; i < 50; i++) {
                long offset = WindowPhase.SPREAD.offsetMicros("stream-" + i, hop);
                assertThat(offset).isBetween(0L, (hop - 1) * 1_000_000L);
                assertThat(offset % 1_000_000L).isZero();
                assertThat(WindowPhase.SPREAD.offsetMicros("stream-" + i, hop)).isEqualTo(offset);
            }
        }
    }

    @Test
    void sixtyFourNumberedStreamsAreSharedNearlyEquallyOverTheSecondsOfAFourSecondHop() {
        Map<Long, Long> perSecond = IntStream.range(0, 64).mapToObj(i -> "stream-" + i)
                .collect(Collectors.groupingBy(id -> WindowPhase.SPREAD.offsetMicros(id, 4), TreeMap::new, Collectors.counting()));
        assertThat(perSecond).containsOnlyKeys(0L, 1_000_000L, 2_000_000L, 3_000_000L);
        assertThat(perSecond.values()).allSatisfy(n -> assertThat(n).isBetween(15L, 17L));
    }

    @Test
    void parsesEitherCaseAndRejectsOtherValuesNamingTheKey() {
        assertThat(WindowPhase.parse(" Spread ")).isEqualTo(WindowPhase.SPREAD);
        assertThat(WindowPhase.parse("aligned")).isEqualTo(WindowPhase.ALIGNED);
        assertThatThrownBy(() -> WindowPhase.parse("random")).hasMessage("window.phase must be aligned or spread, got 'random'");
        assertThatThrownBy(() -> WindowPhase.SPREAD.offsetMicros("cam", 0)).hasMessageContaining("hop must be positive");
    }
}
