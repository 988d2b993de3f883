package io.narrator.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TiedTensors}: one storage under two names, equal values in two places, and where large tensors differ. */
class TiedTensorsTest {
    @Test
    void twoNamesOfOneStorageAreTheSameStorage() throws Exception {
        Path release = Path.of(TiedTensorsTest.class.getResource("/checkpoints/flamingo-tiny-layout/pytorch_model.bin").toURI());
        try (Checkpoint c = Checkpoint.open(release)) {
            assertThat(TiedTensors.compare(c, "flamingo.lm_head.weight", c, "flamingo.lm.decoder.embed_tokens.weight").kind())
                    .isEqualTo(TiedTensors.Kind.SAME_STORAGE);
            assertThat(TiedTensors.compare(c, "flamingo.resampler.latents", c, "flamingo.resampler.norm.weight").kind())
                    .isEqualTo(TiedTensors.Kind.DIFFERENT_SHAPES);
        }
    }

    @Test
    void largeTensorsAreComparedABlockOfRowsAtATime() throws Exception {
        int rows = 2500, cols = 1000; // 2.5 M values: three blocks
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = i * 0.5f;
        float[] b = a.clone();
        Checkpoint equal = Checkpoint.of("mem", List.of(new Tensor("a", new long[] {rows, cols}, a), new Tensor("b", new long[] {rows, cols}, b)));
        assertThat(TiedTensors.compare(equal, "a", equal, "b")).isEqualTo(new TiedTensors.Comparison(TiedTensors.Kind.EQUAL_VALUES, -1));
        b[2_000_001] += 1;
        Checkpoint differ = Checkpoint.of("mem", List.of(new Tensor("a", new long[] {rows, cols}, a), new Tensor("b", new long[] {rows, cols}, b)));
        assertThat(TiedTensors.compare(differ, "a", differ, "b"))
                .isEqualTo(new TiedTensors.Comparison(TiedTensors.Kind.DIFFERENT_VALUES, 2_000_001));
    }
}
