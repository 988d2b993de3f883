package io.narrator.model.generate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.vision.VisionFeatures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A batch's media become one array per distinct item, compared by value, whatever objects carry them. */
class MediaArraysTest {
    private static Media media(int frames, float seed) {
        List<VisionFeatures> out = new ArrayList<>();
        for (int f = 0; f < frames; f++) {
            float[] v = new float[16 * 32];
            for (int i = 0; i < v.length; i++) v[i] = seed + f + i * 0.001f;
            out.add(new VisionFeatures(16, 32, v));
        }
        return new Media(out);
    }

    @Test
    void equalItemsShareOneArrayAndItemsThatDifferInOneValueDoNot() {
        Media example = media(1, 0);
        Media copy = media(1, 0); // the same values, another object (a prompt's example encoded again)
        Media clip = media(3, 5);
        Media almost = media(3, 5);
        almost.frames().get(2).values()[301] += 1e-3f; // one value no hash sample reads
        try (NDManager m = NDManager.newBaseManager()) {
            List<List<NDArray>> arrays = MediaArrays.of(m, List.of(List.of(example, clip), List.of(copy, almost), List.of(example)));
            assertThat(arrays.get(1).get(0)).isSameAs(arrays.get(0).get(0)).isSameAs(arrays.get(2).get(0));
            assertThat(arrays.get(1).get(1)).isNotSameAs(arrays.get(0).get(1));
            NDArray c = arrays.get(0).get(1);
            assertThat(c.getShape()).isEqualTo(new Shape(3, 16, 32));
            assertThat(c.get(2).toFloatArray()).containsExactly(clip.frames().get(2).values());
            assertThat(arrays.get(1).get(1).get(2).toFloatArray()).containsExactly(almost.frames().get(2).values());
        }
    }
}
