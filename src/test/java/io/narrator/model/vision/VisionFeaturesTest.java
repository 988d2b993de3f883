package io.narrator.model.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class VisionFeaturesTest {
    @Test
    void roundTripsThroughBytesAtHalfPrecision() {
        float[] v = new float[6];
        for (int i = 0; i < v.length; i++) v[i] = (i - 3) * 0.37f;
        VisionFeatures f = new VisionFeatures(2, 3, v);
        byte[] bytes = f.toBytes();
        assertThat(bytes).hasSize(12 + 12);
        VisionFeatures back = VisionFeatures.fromBytes(bytes);
        assertThat(back.patches()).isEqualTo(2);
        assertThat(back.dim()).isEqualTo(3);
        for (int i = 0; i < v.length; i++) assertThat(back.values()[i]).isCloseTo(v[i], within(1e-3f));
    }

    @Test
    void rejectsBytesThatAreNotFeatures() {
        assertThatThrownBy(() -> VisionFeatures.fromBytes(new byte[] {1, 2})).hasMessageContaining("not vision features");
        byte[] good = new VisionFeatures(1, 2, new float[2]).toBytes();
        assertThatThrownBy(() -> VisionFeatures.fromBytes(java.util.Arrays.copyOf(good, good.length - 1)))
                .hasMessageContaining("cannot be 15 bytes");
    }
}
