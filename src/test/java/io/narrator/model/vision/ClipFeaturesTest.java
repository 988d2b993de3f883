package io.narrator.model.vision;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.DjlSetup;
import io.narrator.model.FlamingoConfig;
import org.junit.jupiter.api.Test;

/** Which tokens of a frame the vision encoder hands on ({@code vision.features}). */
class ClipFeaturesTest {

    private static FlamingoConfig.Vision vision(String features) {
        return new FlamingoConfig.Vision(8, 4, 16, 2, 2, 32, 1e-5, "quick_gelu", new float[] {0.5f, 0.5f, 0.5f},
                new float[] {0.25f, 0.25f, 0.25f}, null, new int[0], features, FlamingoConfig.Vision.AREA);
    }

    @Test
    void patchesAreAfterTheFinalNormWithoutTheClassTokenAndTheLastHiddenStateIsEveryTokenBeforeIt() {
        DjlSetup.configure();
        ClipVisionEncoder patches = new ClipVisionEncoder(vision(FlamingoConfig.Vision.PATCHES));
        ClipVisionEncoder lastHidden = new ClipVisionEncoder(vision(FlamingoConfig.Vision.LAST_HIDDEN_STATE));
        try (NDManager m = NDManager.newBaseManager()) {
            patches.initialize(m);
            lastHidden.initialize(m);
            // the same weights, a post_layernorm that is not the identity
            patches.namedParameters().get("post_layernorm.weight").getArray().set(new float[] {
                1.5f, 0.5f, 2f, 1f, 1f, 0.7f, 1.2f, 1f, 0.9f, 1.1f, 1f, 1f, 0.8f, 1.3f, 1f, 2.5f});
            patches.namedParameters().forEach((name, p) -> lastHidden.namedParameters().get(name).getArray().set(p.getArray().toFloatArray()));
            NDArray pixels = m.randomNormal(new Shape(3, 3, 8, 8));

            NDArray all = patches.allTokens(pixels); // (3, 5, 16) after post_layernorm
            NDArray hidden = lastHidden.forward(pixels); // (3, 5, 16) before it
            assertThat(hidden.getShape()).isEqualTo(new Shape(3, 5, 16));
            assertThat(patches.forward(pixels).getShape()).isEqualTo(new Shape(3, 4, 16));
            assertThat(patches.forward(pixels).toFloatArray()).containsExactly(all.get(":, 1:, :").toFloatArray());
            assertThat(hidden.toFloatArray()).containsExactly(lastHidden.lastHiddenState(pixels).toFloatArray());
            assertThat(hidden.toFloatArray()).isNotEqualTo(all.toFloatArray());
            assertThat(vision(FlamingoConfig.Vision.LAST_HIDDEN_STATE).tokensPerFrame()).isEqualTo(5);
            assertThat(vision(FlamingoConfig.Vision.PATCHES).tokensPerFrame()).isEqualTo(4);
        }
    }
}
