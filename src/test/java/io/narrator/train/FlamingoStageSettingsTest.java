package io.narrator.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class FlamingoStageSettingsTest {

    @Test
    void theRecipeDrawsFromTheFirst3000ClipsForHalfTheStepsThenFromAll9000() {
        FlamingoStage.Settings recipe = FlamingoStage.Settings.DEFAULT;
        assertThat(recipe.poolSize()).isEqualTo(9000);
        assertThat(recipe.clipsAt(0, 6600)).isEqualTo(3000);
        assertThat(recipe.clipsAt(3299, 6600)).isEqualTo(3000);
        assertThat(recipe.clipsAt(3300, 6600)).isEqualTo(9000);
        assertThat(recipe.clipsAt(6599, 6600)).isEqualTo(9000);
        assertThat(recipe.describe()).startsWith("batch 16, lr 0.0015, pool 9000 (the first 3000 for 50% of the steps), gate lr ×5.0")
                .endsWith(", 2 replicas");
        assertThat(recipe.withReplicas(1).clipsAt(0, 6600)).isEqualTo(3000);
    }

    @Test
    void withoutAFirstPoolEveryStepDrawsFromTheWholePool() {
        FlamingoStage.Settings plain = new FlamingoStage.Settings(8, 3e-3f, 16, 100, 5.0);
        assertThat(plain.clipsAt(0, 30)).isEqualTo(16);
        assertThat(plain.clipsAt(29, 30)).isEqualTo(16);
        assertThat(plain.describe()).isEqualTo("batch 8, lr 0.003, pool 16, gate lr ×5.0");
        assertThat(plain.withFirstPool(4, 1).clipsAt(29, 30)).isEqualTo(4);
        assertThat(plain.withFirstPool(16, 0.5).describe()).isEqualTo("batch 8, lr 0.003, pool 16, gate lr ×5.0");
    }

    @Test
    void settingsThatCannotTrainAreRefused() {
        FlamingoStage.Settings plain = new FlamingoStage.Settings(8, 3e-3f, 16, 100, 5.0);
        assertThatThrownBy(() -> new FlamingoStage.Settings(8, 3e-3f, 0, 100, 5.0)).hasMessage("the pool must hold at least one clip, got 0");
        assertThatThrownBy(() -> plain.withFirstPool(0, 0.5)).hasMessage("firstPool must be between 1 and the pool (16), got 0");
        assertThatThrownBy(() -> plain.withFirstPool(17, 0.5)).hasMessage("firstPool must be between 1 and the pool (16), got 17");
        assertThatThrownBy(() -> plain.withFirstPool(4, 1.5)).hasMessage("firstPoolShare must be in [0, 1], got 1.5");
        assertThatThrownBy(() -> plain.withFirstPool(4, Double.NaN)).hasMessage("firstPoolShare must be in [0, 1], got NaN");
    }
}
