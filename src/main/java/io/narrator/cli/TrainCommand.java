package io.narrator.cli;

import io.narrator.train.FlamingoStage;
import io.narrator.train.LanguageModelStage;
import io.narrator.train.Recipe;
import io.narrator.train.TrainingLayout;
import io.narrator.train.VisionStage;
import io.narrator.train.eval.ReportWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code narrator train}: trains narrator-tiny with the Flamingo recipe, stage by stage or all at once. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains a narrator-tiny model on the synthetic world with the Flamingo recipe:",
                "  lm        pretrain the GPT-2 language model on text",
                "  vision    pretrain the ViT with CLIP's contrastive loss (needs lm)",
                "  flamingo  train the resampler and cross-attention with LM and ViT frozen (needs vision)",
                "  all       all three, then evaluate and write OUT/model",
                "Runs resume from their last checkpoint when started again with the same settings."},
        footer = {"", "Examples:", "  narrator train all --out runs/tiny", "  narrator train lm --out runs/tiny --steps 200 --seed 7"})
final class TrainCommand implements Callable<Integer> {

    /** What {@code train} runs; parsed from its lower-case name. */
    enum Stage {
        LM, VISION, FLAMINGO, ALL;

        static Stage parse(String name) {
            for (Stage stage : values()) if (stage.name().toLowerCase(java.util.Locale.ROOT).equals(name)) return stage;
            throw new picocli.CommandLine.TypeConversionException(
                    "unknown stage '" + name + "': expected lm, vision, flamingo or all");
        }
    }

    @Parameters(index = "0", paramLabel = "STAGE", converter = StageConverter.class, description = "lm, vision, flamingo or all")
    Stage stage;

    static final class StageConverter implements picocli.CommandLine.ITypeConverter<Stage> {
        @Override
        public Stage convert(String value) {
            return Stage.parse(value);
        }
    }

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for checkpoints and models.")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Steps per stage (default: the recipe's).")
    Integer steps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of initialisation and data (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--replicas", paramLabel = "N",
            description = "Copies of the model that share each batch, each on its own thread, in every stage (default: the "
                    + "recipe's, 2). A run is deterministic for a seed and a replica count, not across replica counts.")
    Integer replicas;

    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    /**
     * The steps of every stage: the recipe's unless {@code --steps} is given, so a stage trained on its own is the
     * same run as that stage of {@code train all} with the same seed.
     */
    Recipe.Plan plan() {
        if (steps != null && steps < 1)
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--steps must be at least 1, got " + steps);
        if (replicas != null && replicas < 1)
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--replicas must be at least 1, got " + replicas);
        Recipe.Plan plan = steps == null ? Recipe.Plan.DEFAULT : Recipe.Plan.uniform(steps, Math.max(8, Math.min(100, steps)));
        return replicas == null ? plan : plan.withReplicas(replicas);
    }

    @Override
    public Integer call() throws Exception {
        Recipe.Plan plan = plan();
        TrainingLayout layout = TrainingLayout.at(out);
        TrainingProgressBar progress = new TrainingProgressBar(System.err);
        switch (stage) {
            case LM -> LanguageModelStage.run(layout, seed, plan.lmSteps(), plan.lmSettings(), progress);
            case VISION -> VisionStage.run(layout, seed, plan.visionSteps(), plan.visionSettings(), progress);
            case FLAMINGO -> FlamingoStage.run(layout, seed, plan.flamingoSteps(), plan.flamingoSettings(), progress);
            case ALL -> {
                var report = Recipe.run(layout, seed, plan, progress);
                for (String line : ReportWriter.summary(report)) spec.commandLine().getOut().println(line);
            }
        }
        spec.commandLine().getOut().println("wrote " + layout.root());
        return 0;
    }
}
