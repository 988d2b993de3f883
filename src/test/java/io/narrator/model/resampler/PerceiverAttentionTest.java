package io.narrator.model.resampler;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.resampler.PerceiverAttention.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PerceiverAttentionTest {
    private static final int DIM = 32;
    private static final FlamingoConfig.Perceiver CONFIG = new FlamingoConfig.Perceiver(2, 4, 8, 5, 4, 4);
    /** flamingo-mini's: keys and values from to_k and to_v. */
    private static final FlamingoConfig.Perceiver SEPARATE = new FlamingoConfig.Perceiver(2, 4, 8, 5, 4, 4,
            FlamingoConfig.Perceiver.SEPARATE, "sqrelu", FlamingoConfig.Perceiver.INTERPOLATE, 0);

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void foldedAttentionGivesTheProjectedResultAndItsGradients(boolean separate) {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            PerceiverAttention attention = new PerceiverAttention(DIM, separate ? SEPARATE : CONFIG, 1e-5);
            attention.initialize(m);
            NDArray media = m.randomNormal(new Shape(3, 2 * 7, DIM)); // 3 media of 2 frames × 7 patches
            NDArray latents = m.randomNormal(new Shape(3, CONFIG.latents(), DIM));

            Map<String, float[]> projected = new LinkedHashMap<>();
            Map<String, float[]> folded = new LinkedHashMap<>();
            float[] outProjected = run(attention, media, latents, Path.KEYS_AND_VALUES, projected);
            float[] outFolded = run(attention, media, latents, Path.FOLDED, folded);

            assertThat(maxAbsDiff(outFolded, outProjected)).isLessThan(1e-5).isLessThan(1e-4 * maxAbs(outProjected));
            assertThat(folded.keySet()).containsExactlyElementsOf(projected.keySet()).contains("to_q.weight");
            if (separate) assertThat(folded.keySet()).contains("to_k.weight", "to_v.weight").doesNotContain("to_kv.weight");
            else assertThat(folded.keySet()).contains("to_kv.weight").doesNotContain("to_k.weight");
            projected.forEach((name, g) -> {
                assertThat(maxAbs(g)).as("gradient of %s", name).isGreaterThan(0);
                assertThat(maxAbsDiff(folded.get(name), g)).as("gradient of %s", name).isLessThan(1e-4 * maxAbs(g) + 1e-6);
            });
        }
    }

    @Test
    void theCheaperPathIsFoldedOnlyWhenTheQueryRowsAreFewerThanTheInnerWidth() {
        // the bundled model: 8 frames × 64 patches + 16 latents, width 128, 4 heads of 32
        assertThat(Path.cheaper(528, 16, 128, 4, 128)).isEqualTo(Path.FOLDED);
        // OpenFlamingo-9B: 64 latents, 8 heads of 64 (inner 512), width 1024; H·V = 512 = inner
        assertThat(Path.cheaper(257 + 64, 64, 1024, 8, 512)).isEqualTo(Path.KEYS_AND_VALUES);
        // many heads over few keys
        assertThat(Path.cheaper(20, 16, 64, 16, 64)).isEqualTo(Path.KEYS_AND_VALUES);
    }

    private static float[] run(PerceiverAttention attention, NDArray media, NDArray latents, Path path, Map<String, float[]> gradients) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray out = attention.forward(media, latents, path);
            gc.backward(out.mul(out.sin()).sum()); // a loss that weighs every output differently
            for (Map.Entry<String, Parameter> e : attention.namedParameters().entrySet()) {
                NDArray g = e.getValue().getArray().getGradient();
                gradients.put(e.getKey(), g.toFloatArray());
                g.subi(g); // PyTorch accumulates gradients
            }
            return out.toFloatArray();
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        return max;
    }

    private static double maxAbs(float[] a) {
        double max = 0;
        for (float x : a) max = Math.max(max, Math.abs(x));
        return max;
    }
}
