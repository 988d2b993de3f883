package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PacerTest {

    @Test
    void releasesEachItemAtItsPresentationTimeCountedFromTheFirst() throws Exception {
        long[] now = {1_000_000_000L};
        List<Duration> waits = new ArrayList<>();
        Pacer pacer = new Pacer(d -> {
            waits.add(d);
            now[0] += d.toNanos();
        }, () -> now[0]);

        pacer.awaitMediaTime(3_000_000); // the first item sets the origin
        now[0] += 200_000_000L;           // 0.2 s of work
        pacer.awaitMediaTime(4_000_000); // due at origin + 1 s: waits 0.8 s
        now[0] += 1_500_000_000L;         // 1.5 s of work: now origin + 2.5 s
        pacer.awaitMediaTime(5_000_000); // was due at origin + 2 s: late, no wait
        pacer.awaitMediaTime(6_000_000); // due at origin + 3 s: waits 0.5 s

        assertThat(waits).containsExactly(Duration.ofMillis(800), Duration.ofMillis(500));
    }
}
