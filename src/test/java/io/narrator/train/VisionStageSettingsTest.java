package io.narrator.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.train.world.Event;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Size;
import io.narrator.train.world.Texture;
import io.narrator.train.world.World;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VisionStageSettingsTest {

    @Test
    void easyFramesAreOneLargeStillObjectOnAPlainBackgroundInEveryShapeAndColour() {
        List<Scene> scenes = oneStillObjectOnAPlainBackground(World.EASY, Size.LARGE, 5);
        Set<io.narrator.train.world.Colour> colours = EnumSet.noneOf(io.narrator.train.world.Colour.class);
        for (Scene scene : scenes) colours.add(scene.colour());
        assertThat(colours).hasSize(io.narrator.train.world.Colour.values().length);
    }

    @Test
    void smallEasyFramesAreOneSmallStillObjectOnAPlainBackgroundInEveryShape() {
        oneStillObjectOnAPlainBackground(World.SMALL_EASY, Size.SMALL, 6);
    }

    /** 300 scenes of {@code world}, each checked to be one still object of {@code size} on a plain background; every shape occurs. */
    private static List<Scene> oneStillObjectOnAPlainBackground(World world, Size size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Scene> scenes = new ArrayList<>();
        Set<io.narrator.train.world.Shape> shapes = EnumSet.noneOf(io.narrator.train.world.Shape.class);
        for (int i = 0; i < 300; i++) {
            Scene scene = world.scene(random.nextLong(), 8_000_000L);
            assertThat(scene.count()).isEqualTo(1);
            assertThat(scene.size()).isEqualTo(size);
            assertThat(scene.event()).isEqualTo(Event.STAY);
            assertThat(scene.background().texture()).isEqualTo(Texture.PLAIN);
            shapes.add(scene.shape());
            scenes.add(scene);
        }
        assertThat(shapes).hasSize(io.narrator.train.world.Shape.values().length);
        return scenes;
    }

    @Test
    void theRecipeTurnsItsEasyFramesSmallAfter65PercentOfTheSteps() {
        VisionStage.Settings recipe = VisionStage.Settings.DEFAULT;
        assertThat(recipe.smallEasyAfter()).isEqualTo(0.65);
        assertThat(recipe.easyWorld(0, 4600)).isSameAs(World.EASY);
        assertThat(recipe.easyWorld(2989, 4600)).isSameAs(World.EASY);
        assertThat(recipe.easyWorld(2990, 4600)).isSameAs(World.SMALL_EASY);
        assertThat(recipe.easyWorld(4599, 4600)).isSameAs(World.SMALL_EASY);
        assertThat(recipe.describe()).contains("50% easy frames (small ones after 65% of the steps)");
        assertThat(recipe.withReplicas(1).smallEasyAfter()).isEqualTo(0.65);

        VisionStage.Settings never = recipe.withSmallEasyAfter(1);
        assertThat(never.easyWorld(4599, 4600)).isSameAs(World.EASY);
        assertThat(never.describe()).contains("50% easy frames,").doesNotContain("small");
        assertThat(new VisionStage.Settings(64, 1e-3f, 100, 0.5, true, 0.5).smallEasyAfter()).isEqualTo(1);
        assertThat(recipe.withSmallEasyAfter(0).easyWorld(0, 4600)).isSameAs(World.SMALL_EASY);
    }

    @Test
    void theRecipeLocksTheTextTowerAndPutsTheLossOnThePatchTokens() {
        VisionStage.Settings recipe = VisionStage.Settings.DEFAULT;
        assertThat(recipe.easyShare()).isEqualTo(0.5);
        assertThat(recipe.lockTextTower()).isTrue();
        assertThat(recipe.classTokenWeight()).isEqualTo(0.5);
        assertThat(recipe.describe()).contains("50% easy frames", "locked text tower", "the class token and the mean patch token")
                .endsWith(", 2 replicas");
        assertThat(recipe.withReplicas(1).describe()).doesNotContain("replica");
        assertThat(VisionStage.Settings.plainClip(64, 1e-3f, 100).describe())
                .doesNotContain("easy").doesNotContain("locked").endsWith("loss on the class token");
        assertThat(new VisionStage.Settings(64, 1e-3f, 100, 0.5, true, 0).describe()).endsWith("loss on the mean patch token");
        assertThat(new VisionStage.Settings(64, 1e-3f, 100, 0.5, true, 0.65).describe())
                .endsWith("loss on the class token (weight 0.65) and the mean patch token (weight 0.35)");
    }

    @Test
    void settingsThatCannotTrainAreRefused() {
        assertThatThrownBy(() -> new VisionStage.Settings(1, 1e-3f, 100, 0.5, true, 0.5)).hasMessageContaining("at least 2 pairs");
        assertThatThrownBy(() -> new VisionStage.Settings(64, 1e-3f, 100, 1.5, true, 0.5)).hasMessageContaining("easyShare must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> new VisionStage.Settings(64, 1e-3f, 100, 0.5, true, -0.1)).hasMessageContaining("classTokenWeight must be in [0, 1], got -0.1");
        assertThatThrownBy(() -> new VisionStage.Settings(64, 1e-3f, 100, 0.5, true, Double.NaN)).hasMessageContaining("classTokenWeight must be in [0, 1], got NaN");
        assertThatThrownBy(() -> VisionStage.Settings.DEFAULT.withSmallEasyAfter(1.5)).hasMessage("smallEasyAfter must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> VisionStage.Settings.DEFAULT.withSmallEasyAfter(Double.NaN)).hasMessage("smallEasyAfter must be in [0, 1], got NaN");
        assertThatThrownBy(() -> VisionStage.Settings.DEFAULT.withReplicas(0)).hasMessage("replicas must be between 1 and the batch (64), got 0");
        assertThatThrownBy(() -> VisionStage.Settings.DEFAULT.withReplicas(65)).hasMessage("replicas must be between 1 and the batch (64), got 65");
    }
}
