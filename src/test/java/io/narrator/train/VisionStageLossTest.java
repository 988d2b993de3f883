package io.narrator.train;

import io.narrator.train.world.World;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import io.narrator.model.FlamingoModel;
import io.narrator.train.data.TrainingFrames;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vision stage's loss is the weighted sum its settings describe, of a class-token and a mean-patch-token loss. */
class VisionStageLossTest {
    @TempDir Path tmp;

    @Test
    void theLossWeighsTheClassTokenAndTheMeanPatchTokenLossesAsItsSettingSays() throws Exception {
        TrainingLayout layout = TrainingLayout.at(tmp);
        int vocab = layout.ensureTokenizer();
        try (FlamingoModel model = FlamingoModel.random(TrainingSmokeTest.toy(vocab), layout.tokenizer(), 4)) {
            ClipTextTower tower = new ClipTextTower(model.config(), 128);
            tower.initialize(model.manager());
            TrainingFrames frames = new TrainingFrames(model.config().vision().imageSize());
            VisionStage.Batch batch = VisionStage.batch(model, frames, 9, 8, 0.5, World.EASY);
            try (NDManager m = model.manager().newSubManager()) {
                float classToken = VisionStage.loss(model, tower, batch, 1.0, m).getFloat();
                float meanPatch = VisionStage.loss(model, tower, batch, 0.0, m).getFloat();
                assertThat(classToken).isPositive().isNotCloseTo(meanPatch, within(1e-3f));
                for (double w : new double[] {0.5, 0.65, 0.75})
                    assertThat(VisionStage.loss(model, tower, batch, w, m).getFloat()).as("weight %s", w)
                            .isCloseTo((float) (w * classToken + (1 - w) * meanPatch), within(1e-5f));
            }
        }
    }
}
