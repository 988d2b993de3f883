package io.narrator.ingest;

import static io.narrator.ingest.FpsSampler.Decision.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FpsSamplerTest {

    @Test
    void keepsFirstFrameOfEachSecondOfA15FpsStream() {
        FpsSampler sampler = new FpsSampler(1);
        long last = FpsSampler.NONE;
        List<Long> kept = new ArrayList<>();
        for (int i = 0; i < 15 * 4; i++) {
            long t = 2_500_000L + Math.round(i * 1_000_000d / 15);
            if (sampler.decide(last, t) == KEEP) {
                kept.add(t);
                last = t;
            }
        }
        // 2.5 s, then the first frames at or after 3 s, 4 s, 5 s, 6 s (frames fall every 66.7 ms)
        assertThat(kept).containsExactly(2_500_000L, 3_033_333L, 4_033_333L, 5_033_333L, 6_033_333L);
    }

    @Test
    void namesDuplicatesAndLateFrames() {
        FpsSampler sampler = new FpsSampler(1);
        assertThat(sampler.decide(FpsSampler.NONE, 5)).isEqualTo(KEEP);
        assertThat(sampler.decide(1_000_000, 1_000_000)).isEqualTo(DROP_DUPLICATE);
        assertThat(sampler.decide(1_000_000, 999_999)).isEqualTo(DROP_LATE);
        assertThat(sampler.decide(1_000_000, 1_999_999)).isEqualTo(DROP_RATE);
        assertThat(sampler.decide(1_999_999, 2_000_000)).isEqualTo(KEEP);
    }

    @Test
    void supportsFractionalRatesAndRejectsNonsense() {
        assertThat(new FpsSampler(0.5).decide(0, 1_999_999)).isEqualTo(DROP_RATE);
        assertThat(new FpsSampler(0.5).decide(0, 2_000_000)).isEqualTo(KEEP);
        assertThatThrownBy(() -> new FpsSampler(0)).hasMessageContaining("fps must be in");
        assertThatThrownBy(() -> new FpsSampler(Double.NaN)).hasMessageContaining("fps must be in");
    }
}
