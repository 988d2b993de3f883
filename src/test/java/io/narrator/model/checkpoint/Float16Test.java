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

    /** The bits torch 1.13's {@code x.to(torch.bfloat16)} gives for these float32 bits: rounding to nearest, ties to even. */
    @Test
    void floatsRoundToBfloat16AsTorchRoundsThem() {
        int[][] cases = {{0x3f800000, 0x3f80}, {0x3f808000, 0x3f80}, {0x3f818000, 0x3f82}, {0x3f808001, 0x3f81}, {0x7f7fffff, 0x7f80},
            {0x80000000, 0x8000}, {0x00008000, 0x0000}, {0x00018000, 0x0002}, {0xc0490fdb, 0xc049}, {0x7f800000, 0x7f80}};
        for (int[] c : cases)
            assertThat(Float16.bf16FromFloat(Float.intBitsToFloat(c[0])) & 0xffff).as("float bits %08x", c[0]).isEqualTo(c[1]);
        assertThat(Float16.bf16ToFloat(Float16.bf16FromFloat(Float.intBitsToFloat(0x7fc00001)))).isNaN();
        assertThat(Float16.bf16ToFloat(Float16.bf16FromFloat(Float.intBitsToFloat(0x7f800001)))).as("a NaN whose payload is in the low half").isNaN();
    }

    @Test
    void bfloat16IsTheUpperHalfOfAFloat() {
        assertThat(Float16.bf16ToFloat((short) 0x3f80)).isEqualTo(1.0f);
        assertThat(Float16.bf16ToFloat((short) 0xc040)).isEqualTo(-3.0f);
    }
}
