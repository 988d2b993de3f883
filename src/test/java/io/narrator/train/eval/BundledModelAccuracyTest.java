package io.narrator.train.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.train.world.Task;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The bundled model on a small held-out sample (scenes from another seed stream than training and than its
 * report): the floors it ships with, so a retrained or corrupted model that does worse fails the build. The
 * full evaluation with 100 clips per task is in its report.json.
 *
 * <p>These are the floors narrator-tiny 1.9.0 meets, less the sampling margin of 40 clips; the targets it was built
 * for (each caption attribute at least 95%, every task at 4 shots at least 90%) are measured on 100 clips per task
 * and more in docs/model.md.
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
            for (float[] gate : r.gates()) assertThat(Math.abs(gate[0]) + Math.abs(gate[1])).as("gates open\n" + summary).isGreaterThan(0f);
            assertThat(r.captionAttributes().get("colour")).as("0-shot caption colour\n" + summary).isGreaterThanOrEqualTo(CAPTION_COLOUR);
            assertThat(r.captionAttributes().get("count")).as("0-shot caption count\n" + summary).isGreaterThanOrEqualTo(CAPTION_COUNT);
            assertThat(r.accuracy(Task.COLOUR, 4)).as("colour task at 4 shots\n" + summary).isGreaterThanOrEqualTo(FEW_SHOT_COLOUR);
            assertThat(r.accuracy(Task.COUNT, 4)).as("count task at 4 shots\n" + summary).isGreaterThanOrEqualTo(FEW_SHOT_COUNT);
            assertThat(r.captionAttributes().get("event")).as("0-shot caption event\n" + summary).isGreaterThanOrEqualTo(CAPTION_EVENT);
            assertThat(r.accuracy(Task.EVENT, 4)).as("event task at 4 shots\n" + summary).isGreaterThanOrEqualTo(FEW_SHOT_EVENT);
            assertThat(r.captionAttributes().get("shape")).as("0-shot caption shape\n" + summary).isGreaterThanOrEqualTo(CAPTION_SHAPE);
            assertThat(r.accuracy(Task.SHAPE, 4)).as("shape task at 4 shots\n" + summary).isGreaterThanOrEqualTo(FEW_SHOT_SHAPE);
            // with no examples the model captions; the examples alone switch it to answering the task
            for (Task t : List.of(Task.COLOUR, Task.SHAPE, Task.COUNT, Task.EVENT))
                assertThat(r.accuracy(t, 4)).as(t + " rises from 0 shots\n" + summary).isGreaterThan(r.accuracy(t, 0));
        }
    }

    /**
     * Measured on 100 clips per task (report.json): colour 100%, count 100%, event 100% (0-shot captions);
     * colour 100%, count 100%, event 100% (4 shots). On this test's 40 clips: 100%, 100%, 97.5%; 100%, 100%, 100%.
     */
    static final double CAPTION_COLOUR = 0.90;
    static final double CAPTION_COUNT = 0.85;
    static final double CAPTION_EVENT = 0.85;
    static final double FEW_SHOT_COLOUR = 0.90;
    static final double FEW_SHOT_COUNT = 0.85;
    static final double FEW_SHOT_EVENT = 0.85;
    /**
     * 1.9.0 reads shape 98% in captions and 98% at 4 shots on 100 clips, 95.0% in captions on 400 others, and 92.5% and
     * 95% on this test's 40 (six shapes: chance 17%); 1.8.1 read it 94% and 94% (92.5% and 92.5% here), 1.8.0 89% and 91%,
     * 1.7.1 73% and 75%, 1.6.0 52–58%, 1.5.0 16%.
     */
    static final double CAPTION_SHAPE = 0.85;
    static final double FEW_SHOT_SHAPE = 0.85;
}
