package io.narrator.train;

import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.checkpoint.Tensor;
import io.narrator.train.eval.Evaluation;
import io.narrator.train.eval.ReportWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code narrator train all}: the three stages of the Flamingo recipe in order, then the final model under
 * its release name with the evaluation report and charts beside it. Before publishing, it checks the
 * recipe's promise: the LM and vision weights of the final model are bit-identical to the stage-1 and
 * stage-2 outputs.
 */
public final class Recipe {
    /** The version written into the final model's config. */
    public static final String VERSION = "1.9.0";

    /**
     * Steps of each stage, the size of the final evaluation, and the model replicas that share each batch of every stage
     * ({@link LanguageModelStage.Settings#replicas()}, {@link VisionStage.Settings#replicas()},
     * {@link FlamingoStage.Settings#replicas()}).
     */
    public record Plan(int lmSteps, int visionSteps, int flamingoSteps, int evalClips, int replicas) {
        /**
         * What the bundled model was trained with. Since 1.7.0 the vision stage runs 3,300 steps (its ViT holds more
         * shape: a linear probe reads 73% instead of 54% at 2,200 steps) under stage 3's 6,600: captions name the shape
         * 73–75% of the time (1.6.0, with 2,200: 52%) and events 99–100%. Since 1.7.1 stage 3 runs on two model replicas
         * ({@link FlamingoStage.Settings#DEFAULT}): the whole recipe took 42.7 minutes on the build machine instead of
         * about 50. Since 1.8.0 every stage runs on two replicas, and the vision stage, 1.35× faster per step, runs 4,200
         * steps: captions name the shape 89% of the time, and the recipe takes 39.1 minutes. 1.8.1 runs it 4,600 steps:
         * shape 94%, whole captions 94%, events 100%, 41.7 minutes. 1.9.0 keeps the steps and changes what the stages
         * read ({@link VisionStage.Settings#smallEasyAfter()}, {@link FlamingoStage.Settings#firstPool()}): shape 98%,
         * whole captions 98%, events 100%. 1.6.0 was 2,200 and 6,600, 1.5.0 1,100 and 4,400 (CHANGELOG.md).
         */
        public static final Plan DEFAULT = new Plan(1000, 4600, 6600, 100);

        public Plan {
            if (replicas < 1) throw new IllegalArgumentException("a stage needs at least one replica, got " + replicas);
        }

        /** Every stage on the recipe's replicas. */
        public Plan(int lmSteps, int visionSteps, int flamingoSteps, int evalClips) {
            this(lmSteps, visionSteps, flamingoSteps, evalClips, FlamingoStage.Settings.DEFAULT.replicas());
        }

        /** The same number of steps for every stage (a quick run). */
        public static Plan uniform(int steps, int evalClips) {
            return new Plan(steps, steps, steps, evalClips);
        }

        /** This plan with {@code n} replicas in every stage. */
        public Plan withReplicas(int n) {
            return new Plan(lmSteps, visionSteps, flamingoSteps, evalClips, n);
        }

        /** The LM stage's settings under this plan. */
        public LanguageModelStage.Settings lmSettings() {
            return LanguageModelStage.Settings.DEFAULT.withReplicas(replicas);
        }

        /** The vision stage's settings under this plan. */
        public VisionStage.Settings visionSettings() {
            return VisionStage.Settings.DEFAULT.withReplicas(replicas);
        }

        /** Stage 3's settings under this plan. */
        public FlamingoStage.Settings flamingoSettings() {
            return FlamingoStage.Settings.DEFAULT.withReplicas(replicas);
        }
    }

    private Recipe() {}

    /** Runs everything; returns the evaluation of the final model. */
    public static Evaluation.Report run(TrainingLayout out, long seed, Plan plan, TrainingListener listener) throws IOException {
        LanguageModelStage.run(out, seed, plan.lmSteps(), plan.lmSettings(), listener);
        VisionStage.run(out, seed, plan.visionSteps(), plan.visionSettings(), listener);
        FlamingoStage.run(out, seed, plan.flamingoSteps(), plan.flamingoSettings(), listener);
        checkFrozen(out);
        Path finalDir = out.finalModel();
        FlamingoModel.copyAs(out.stageModel(FlamingoStage.NAME), finalDir, NarratorTiny.NAME, VERSION);
        try (FlamingoModel model = FlamingoModel.load(finalDir)) {
            listener.message("eval", "evaluating on held-out scenes");
            Evaluation.Report report = new Evaluation(model,
                    new Evaluation.Options(java.util.List.of(0, 1, 2, 4, 8), plan.evalClips(), seed + 1000, 16),
                    text -> listener.message("eval", text)).run();
            ReportWriter.write(report, finalDir);
            return report;
        }
    }

    /** Fails unless the final LM and vision tensors equal the stage-1 and stage-2 outputs bit for bit. */
    static void checkFrozen(TrainingLayout out) throws IOException {
        Map<String, Tensor> lm = SafeTensors.read(out.stageModel(LanguageModelStage.NAME).resolve(ModelDirectory.WEIGHTS));
        Map<String, Tensor> vision = SafeTensors.read(out.stageModel(VisionStage.NAME).resolve(ModelDirectory.WEIGHTS));
        Map<String, Tensor> last = SafeTensors.read(out.stageModel(FlamingoStage.NAME).resolve(ModelDirectory.WEIGHTS));
        for (Tensor t : last.values()) {
            Tensor reference = t.name().startsWith("transformer.") ? lm.get(t.name())
                    : t.name().startsWith("vision_model.") ? vision.get(t.name()) : null;
            if (reference != null && !java.util.Arrays.equals(reference.values(), t.values()))
                throw new IllegalStateException("frozen tensor " + t.name() + " changed during training");
        }
    }
}
