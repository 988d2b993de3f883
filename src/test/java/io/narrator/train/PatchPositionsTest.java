package io.narrator.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.TinyModels;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vision stage's starting position code tells every patch's row and column apart, at the promised scale. */
class PatchPositionsTest {
    @TempDir Path tmp;

    @Test
    void patchesOfOneColumnShareTheColumnCodeAndEveryPatchHasItsOwnRow() {
        int grid = 8, d = 128;
        float[] code = PatchPositions.sinCos(grid, d, 0.5f);
        assertThat(code).hasSize(grid * grid * d);
        float[] topLeft = row(code, 0, d), belowIt = row(code, grid, d), rightOfIt = row(code, 1, d);
        assertThat(Arrays.copyOfRange(belowIt, 0, d / 2)).containsExactly(Arrays.copyOfRange(topLeft, 0, d / 2));
        assertThat(Arrays.copyOfRange(rightOfIt, d / 2, d)).containsExactly(Arrays.copyOfRange(topLeft, d / 2, d));
        double closest = Double.MAX_VALUE;
        for (int a = 0; a < grid * grid; a++) {
            assertThat(norm(row(code, a, d))).isCloseTo(0.5 * Math.sqrt(d / 2.0), org.assertj.core.data.Offset.offset(1e-4));
            for (int b = a + 1; b < grid * grid; b++) closest = Math.min(closest, distance(row(code, a, d), row(code, b, d)));
        }
        assertThat(closest).isGreaterThan(0.5);
    }

    @Test
    void widthMustSplitIntoFourParts() {
        assertThatThrownBy(() -> PatchPositions.sinCos(8, 30, 1f)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 4");
    }

    @Test
    void theVisionStageStartsFromTheCodeAndKeepsTheClassTokenRow() throws Exception {
        try (FlamingoModel model = TinyModels.random(tmp, 4)) {
            var table = model.block().namedParameters().get("vision_model.embeddings.position_embedding.weight").getArray();
            int d = model.config().vision().hiddenSize();
            int grid = model.config().vision().imageSize() / model.config().vision().patchSize();
            float[] before = table.toFloatArray();
            VisionStage.startPositions(model);
            float[] after = table.toFloatArray();
            assertThat(Arrays.copyOfRange(after, 0, d)).containsExactly(Arrays.copyOfRange(before, 0, d));
            assertThat(Arrays.copyOfRange(after, d, after.length)).containsExactly(PatchPositions.sinCos(grid, d, VisionStage.POSITION_AMPLITUDE));
        }
    }

    @Test
    void thePatchConvolutionLearnsSlowerAndThePositionRowsFasterThanTheRest() {
        var rate = VisionStage.rateScale(TinyModels.config(30).vision());
        assertThat(rate.applyAsDouble("vision_model.embeddings.patch_embedding.weight")).isLessThan(1.0);
        assertThat(rate.applyAsDouble("vision_model.embeddings.position_embedding.weight")).isGreaterThan(1.0);
        assertThat(rate.applyAsDouble("vision_model.encoder.layers.0.self_attn.q_proj.weight")).isEqualTo(1.0);
        assertThat(rate.applyAsDouble("clip.logit_scale")).isEqualTo(1.0);
    }

    @Test
    void behindAConvolutionalStemThePatchConvolutionLearnsAtTheCommonRate() {
        var rate = VisionStage.rateScale(new FlamingoConfig.Vision(96, 12, 128, 4, 4, 512, 1e-5, "quick_gelu",
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, null, new int[] {32, 64}));
        assertThat(rate.applyAsDouble("vision_model.embeddings.patch_embedding.weight")).isEqualTo(1.0);
        assertThat(rate.applyAsDouble("vision_model.embeddings.conv_stem.0.weight")).isEqualTo(1.0);
        assertThat(rate.applyAsDouble("vision_model.embeddings.position_embedding.weight")).isGreaterThan(1.0);
    }

    private static float[] row(float[] code, int patch, int d) {
        return Arrays.copyOfRange(code, patch * d, (patch + 1) * d);
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += x * x;
        return Math.sqrt(s);
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.sqrt(s);
    }
}
