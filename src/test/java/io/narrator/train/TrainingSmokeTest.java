package io.narrator.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.tokenizer.WordLevelTokenizer;
import io.narrator.train.data.FeaturePool;
import io.narrator.train.data.FewShotSequences;
import io.narrator.train.eval.Evaluation;
import io.narrator.train.eval.ReportWriter;
import io.narrator.train.world.World;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole recipe at toy scale: losses fall, runs are deterministic and resumable, frozen parts stay frozen. */
class TrainingSmokeTest {
    @TempDir Path tmp;

    static FlamingoConfig toy(int vocab) {
        return new FlamingoConfig(FlamingoConfig.MODEL_TYPE, "toy", "0", 
                new FlamingoConfig.Vision(32, 8, 32, 1, 2, 64, 1e-5, "quick_gelu",
                        new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, FlamingoConfig.Vision.LETTERBOX),
                new FlamingoConfig.Gpt2(vocab, 160, 32, 1, 2, 1e-5),
                new FlamingoConfig.Perceiver(1, 2, 16, 4, 8, 2),
                new FlamingoConfig.CrossAttention(1, 2, 16, 2, true),
                WordLevelTokenizer.specialTokens(), null);
    }

    static final LanguageModelStage.Settings LM = new LanguageModelStage.Settings(8, 3e-3f, 10, TrainingSmokeTest::toy);

    @Test
    void languageModelLossFallsAndAnInterruptedRunResumesToTheSameResult() throws Exception {
        List<Float> whole = LanguageModelStage.run(TrainingLayout.at(tmp.resolve("a")), 3, 40, LM, TrainingListener.NONE);
        assertThat(mean(whole.subList(35, 40))).isLessThan(mean(whole.subList(0, 5)) - 0.5f);

        TrainingLayout b = TrainingLayout.at(tmp.resolve("b"));
        TrainingListener crash = new TrainingListener() {
            @Override
            public void step(String stage, int step, float loss) {
                if (step == 25) throw new IllegalStateException("simulated crash");
            }
        };
        assertThatThrownBy(() -> LanguageModelStage.run(b, 3, 40, LM, crash)).hasMessageContaining("simulated crash");
        List<Float> resumed = LanguageModelStage.run(b, 3, 40, LM, TrainingListener.NONE);
        assertThat(resumed).containsExactlyElementsOf(whole);
        try (FlamingoModel x = FlamingoModel.load(tmp.resolve("a/lm/model")); FlamingoModel y = FlamingoModel.load(tmp.resolve("b/lm/model"))) {
            for (String name : x.block().namedParameters().keySet())
                assertThat(y.block().namedParameters().get(name).getArray().toFloatArray()).as(name)
                        .containsExactly(x.block().namedParameters().get(name).getArray().toFloatArray());
        }

        assertThatThrownBy(() -> LanguageModelStage.run(b, 4, 40, LM, TrainingListener.NONE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("holds a lm run with seed 3").hasMessageContaining("use a new --out directory");
    }

    @Test
    void theThreeStagesTrainOnlyWhatTheyShouldAndTheResultEvaluates() throws Exception {
        TrainingLayout out = TrainingLayout.at(tmp.resolve("run"));
        LanguageModelStage.run(out, 1, 20, LM, TrainingListener.NONE);
        assertThatThrownBy(() -> FlamingoStage.run(out, 1, 5, new FlamingoStage.Settings(4, 1e-3f, 12, 100, 5.0), TrainingListener.NONE))
                .hasMessageContaining("run `narrator train vision --out");
        List<Float> vision = VisionStage.run(out, 1, 12, new VisionStage.Settings(16, 2e-3f, 100, 0.5, true, 0.5), TrainingListener.NONE);
        assertThat(vision).hasSize(12).allMatch(Float::isFinite);
        try (FlamingoModel model = FlamingoModel.load(out.stageModel(VisionStage.NAME))) {
            FeaturePool pool = FeaturePool.build(model, World.DEFAULT, 3, 16, i -> {});
            FewShotSequences sequences = new FewShotSequences(model.tokenizer(), model.config().generation().promptPrefix());
            FlamingoStage.Example early = FlamingoStage.batch(sequences, pool, 4, 11, 32, model.config().specialTokens().pad());
            assertThat(early.clips().stream().flatMapToInt(java.util.Arrays::stream).max().orElseThrow()).isLessThan(4);
            FlamingoStage.Example late = FlamingoStage.batch(sequences, pool, 16, 11, 32, model.config().specialTokens().pad());
            assertThat(late.clips().stream().flatMapToInt(java.util.Arrays::stream).max().orElseThrow()).isGreaterThanOrEqualTo(4);
        }
        // the recipe's form: the first half of the steps on the pool's first half
        List<Float> flamingo = FlamingoStage.run(out, 1, 30, new FlamingoStage.Settings(8, 3e-3f, 16, 100, 5.0).withFirstPool(8, 0.5),
                TrainingListener.NONE);
        assertThat(mean(flamingo.subList(24, 30))).isLessThan(mean(flamingo.subList(0, 6)));
        Recipe.checkFrozen(out);
        try (FlamingoModel model = FlamingoModel.load(out.stageModel(FlamingoStage.NAME))) {
            assertThat(model.block().crossAttentionLayers().get(0).gateValues()[0]).isNotEqualTo(0f);
            Evaluation.Report report = new Evaluation(model, new Evaluation.Options(List.of(0, 1), 2, 5, 4), text -> {}).run();
            assertThat(report.accuracy()).hasSize(10);
            assertThat(report.captionAttributes()).containsKeys("shape", "colour", "count", "event");
            ReportWriter.write(report, tmp.resolve("report"));
            assertThat(tmp.resolve("report/report.json")).isNotEmptyFile();
            assertThat(Files.size(tmp.resolve("report/accuracy-vs-shots.png"))).isGreaterThan(1000);
            assertThat(Files.size(tmp.resolve("report/event-confusion.png"))).isGreaterThan(1000);
            assertThat(ReportWriter.read(tmp.resolve("report/report.json")).accuracy()).isEqualTo(report.accuracy());
        }
    }

    @Test
    void aFileIsNotAnOutputDirectory() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> TrainingLayout.at(file)).hasMessageContaining("is a file; give a directory");
    }

    private static float mean(List<Float> xs) {
        float s = 0;
        for (float x : xs) s += x;
        return s / xs.size();
    }
}
