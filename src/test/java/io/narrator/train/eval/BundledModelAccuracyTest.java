package io.narrator.train.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.train.world.Task;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The bundled model on a small held-out sample (scenes from the evaluation seed stream, never trained on):
 * the accuracy floors it ships with. The full evaluation with 100 clips per task is in its report.json.
 */
@EnabledIf("bundledModelPresent")
class BundledModelAccuracyTest {
    static boolean bundledModelPresent() {
        return ModelDirectory.class.getClassLoader().getResource(ModelDirectory.BUNDLED_RESOURCE + ModelDirectory.CONFIG) != null;
    }

    @Test
    void theBundledModelMeetsItsFloorsOnHeldOutClips() throws Exception {
        try (FlamingoModel model = FlamingoModel.load(ModelDirectory.BUNDLED)) {
            Evaluation.Report r = new Evaluation(model, new Evaluation.Options(List.of(0, 4), 40, 11, 20), text -> {}).run();
            String summary = String.join("\n", ReportWriter.summary(r));
            FLOORS.check(r, summary);
        }
    }

    /** The floors, kept in one place so docs/model.md can quote them. */
    static final Floors FLOORS = new Floors();

    static final class Floors {
        void check(Evaluation.Report r, String summary) {
            for (float[] gate : r.gates()) assertThat(Math.abs(gate[0]) + Math.abs(gate[1])).as("gates open\n" + summary).isGreaterThan(0f);
            assertThat(r.captionAllAttributes()).as("0-shot captions with every attribute right\n" + summary).isGreaterThanOrEqualTo(CAPTION_ALL);
            r.captionAttributes().forEach((attribute, accuracy) ->
                    assertThat(accuracy).as("0-shot caption " + attribute + "\n" + summary).isGreaterThanOrEqualTo(ATTRIBUTE));
            assertThat(r.temporalOrdered()).as("events, frames in order\n" + summary).isGreaterThanOrEqualTo(TEMPORAL_ORDERED);
            assertThat(r.temporalShuffled()).as("events, frames shuffled\n" + summary).isLessThanOrEqualTo(TEMPORAL_SHUFFLED);
            for (Task t : List.of(Task.COLOUR, Task.SHAPE, Task.COUNT, Task.EVENT)) {
                assertThat(r.accuracy(t, 4)).as(t + " at 4 shots\n" + summary).isGreaterThanOrEqualTo(FEW_SHOT);
                assertThat(r.accuracy(t, 4)).as(t + " rises from 0 shots\n" + summary).isGreaterThan(r.accuracy(t, 0));
            }
        }
    }

    static final double CAPTION_ALL = 0.90;
    static final double ATTRIBUTE = 0.95;
    static final double TEMPORAL_ORDERED = 0.95;
    static final double TEMPORAL_SHUFFLED = 0.65;
    static final double FEW_SHOT = 0.90;
}
