package io.narrator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LatencySummaryTest {
    @Test
    void percentilesAreNearestRankOfTheGivenValues() {
        double[] hundred = IntStream.rangeClosed(1, 100).mapToDouble(i -> 101 - i).toArray(); // 100, 99, ..., 1: order must not matter
        LatencySummary s = LatencySummary.of(hundred);
        assertThat(s.count()).isEqualTo(100);
        assertThat(s.p50()).isEqualTo(50);
        assertThat(s.p95()).isEqualTo(95);
        assertThat(s.p99()).isEqualTo(99);
        assertThat(s.max()).isEqualTo(100);
        assertThat(s.mean()).isEqualTo(50.5);
        assertThat(hundred[0]).as("input untouched").isEqualTo(100);
    }

    @Test
    void fewValuesGiveTheLargestAsHighPercentiles() {
        LatencySummary s = LatencySummary.of(new double[] {300, 100, 200});
        assertThat(s.p50()).isEqualTo(200);
        assertThat(s.p95()).isEqualTo(300);
        assertThat(s.p99()).isEqualTo(300);
    }

    @Test
    void noValuesGiveCountZeroAndNoFigures() {
        LatencySummary s = LatencySummary.of(new double[0]);
        assertThat(s.count()).isZero();
        assertThat(s.p99()).isNaN();
    }
}
