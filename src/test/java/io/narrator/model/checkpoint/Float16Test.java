package io.narrator.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class Float16Test {
    @Test
    void everyHalfPrecisionValueSurvivesARoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float f = Float16.toFloat((short) bits);
            if (Float.isNaN(f)) {
                assertThat(Float.isNaN(Float16.toFloat(Float16.fromFloat(f)))).isTrue();
                continue;
            }
            assertThat(Float16.fromFloat(f) & 0xffff).as("bits %04x", bits).isEqualTo(bits);
        }
    }

    @Test
    void roundsToNearestEvenAndSaturates() {
        assertThat(Float16.toFloat(Float16.fromFloat(1.0f))).isEqualTo(1.0f);
        assertThat(Float16.toFloat(Float16.fromFloat(0.1f))).isEqualTo(0.099975586f);
        assertThat(Float16.toFloat(Float16.fromFloat(1 + 1f / 2048))).isEqualTo(1.0f); // tie → even
        assertThat(Float16.toFloat(Float16.fromFloat(1 + 3f / 2048))).isEqualTo(1 + 2f / 1024); // tie → even (up)
        assertThat(Float16.toFloat(Float16.fromFloat(1e6f))).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Float16.toFloat(Float16.fromFloat(65504f))).isEqualTo(65504f);
        assertThat(Float16.toFloat(Float16.fromFloat(6e-8f))).isEqualTo(5.9604645e-8f); // smallest subnormal
    }

    @Test
    void bfloat16IsTheUpperHalfOfAFloat() {
        assertThat(Float16.bf16ToFloat((short) 0x3f80)).isEqualTo(1.0f);
        assertThat(Float16.bf16ToFloat((short) 0xc040)).isEqualTo(-3.0f);
    }
}
