package io.narrator.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.narrator.model.FlamingoModel;
import io.narrator.train.data.TokenBatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The vision stage and stage 3 on two model replicas, each on its own thread, against the same stages on one. */
class DataParallelTest {
    @TempDir static Path tmp;
    static TrainingLayout frozen;
    static final FlamingoStage.Settings ONE = new FlamingoStage.Settings(8, 3e-3f, 16, 4, 5.0);

    @BeforeAll
    static void trainTheFrozenStages() throws Exception {
        frozen = TrainingLayout.at(tmp.resolve("frozen"));
        LanguageModelStage.run(frozen, 1, 20, TrainingSmokeTest.LM, TrainingListener.NONE);
        VisionStage.run(frozen, 1, 4, new VisionStage.Settings(16, 2e-3f, 100, 0.5, true, 0.5), TrainingListener.NONE);
    }

    /** A copy of the lm and vision stages' outputs, for one stage-3 run. */
    private static TrainingLayout copy(String name) throws Exception {
        Path to = tmp.resolve(name);
        try (Stream<Path> files = Files.walk(frozen.root())) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(frozen.root().relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
        return TrainingLayout.at(to);
    }

    @Test
    void twoReplicasComputeTheOneThreadLossRepeatablyAndResumeExactly() throws Exception {
        List<Float> one = FlamingoStage.run(copy("one"), 1, 10, ONE, TrainingListener.NONE);
        TrainingLayout twoOut = copy("two");
        List<Float> two = FlamingoStage.run(twoOut, 1, 10, ONE.withReplicas(2), TrainingListener.NONE);
        // the first step starts from the same weights: the halves' losses add up to the whole batch's
        assertThat(two.get(0)).isCloseTo(one.get(0), within(1e-5f));
        for (int i = 0; i < 10; i++) assertThat(two.get(i)).as("step %d", i + 1).isCloseTo(one.get(i), within(2e-3f));
        assertThat(two).isNotEqualTo(one); // another order of rounding
        Recipe.checkFrozen(twoOut);

        // deterministic for a seed and a replica count, also when stopped and resumed (the twin takes the restored weights)
        TrainingLayout again = copy("again");
        TrainingListener crash = crashAt(6);
        assertThatThrownBy(() -> FlamingoStage.run(again, 1, 10, ONE.withReplicas(2), crash)).hasMessageContaining("simulated crash");
        assertThat(FlamingoStage.run(again, 1, 10, ONE.withReplicas(2), TrainingListener.NONE)).containsExactlyElementsOf(two);
        assertSameWeights(twoOut.stageModel(FlamingoStage.NAME), again.stageModel(FlamingoStage.NAME));

        // a checkpoint of one replica count does not resume under another
        assertThatThrownBy(() -> FlamingoStage.run(again, 1, 12, ONE, TrainingListener.NONE))
                .hasMessageContaining("gate lr ×5.0, 2 replicas").hasMessageContaining("use a new --out directory");
    }

    @Test
    void theVisionStageOnTwoReplicasComputesTheOneThreadLossRepeatablyAndResumesExactly() throws Exception {
        VisionStage.Settings one = new VisionStage.Settings(16, 2e-3f, 3, 0.5, true, 0.5);
        List<Float> single = VisionStage.run(lmOnly("vision-one"), 1, 6, one, TrainingListener.NONE);
        TrainingLayout twoOut = lmOnly("vision-two");
        List<Float> two = VisionStage.run(twoOut, 1, 6, one.withReplicas(2), TrainingListener.NONE);
        // the first step starts from the same weights: the loss over both halves' features is the whole batch's
        assertThat(two.get(0)).isCloseTo(single.get(0), within(1e-5f));
        for (int i = 0; i < 6; i++) assertThat(two.get(i)).as("step %d", i + 1).isCloseTo(single.get(i), within(2e-3f));

        // deterministic for a seed and a replica count, also when stopped after a checkpoint and resumed
        TrainingLayout again = lmOnly("vision-again");
        TrainingListener crash = crashAt(4);
        assertThatThrownBy(() -> VisionStage.run(again, 1, 6, one.withReplicas(2), crash)).hasMessageContaining("simulated crash");
        assertThat(VisionStage.run(again, 1, 6, one.withReplicas(2), TrainingListener.NONE)).containsExactlyElementsOf(two);
        assertSameWeights(twoOut.stageModel(VisionStage.NAME), again.stageModel(VisionStage.NAME));
        assertThatThrownBy(() -> VisionStage.run(again, 1, 8, one, TrainingListener.NONE))
                .hasMessageContaining("2 replicas").hasMessageContaining("use a new --out directory");
    }

    @Test
    void theLanguageModelStageOnTwoReplicasComputesTheOneThreadLossRepeatably() throws Exception {
        List<Float> one = LanguageModelStage.run(TrainingLayout.at(tmp.resolve("lm-one")), 1, 8, TrainingSmokeTest.LM, TrainingListener.NONE);
        List<Float> two = LanguageModelStage.run(TrainingLayout.at(tmp.resolve("lm-two")), 1, 8, TrainingSmokeTest.LM.withReplicas(2),
                TrainingListener.NONE);
        assertThat(two.get(0)).isCloseTo(one.get(0), within(1e-5f));
        for (int i = 0; i < 8; i++) assertThat(two.get(i)).as("step %d", i + 1).isCloseTo(one.get(i), within(2e-3f));
        assertThat(LanguageModelStage.run(TrainingLayout.at(tmp.resolve("lm-again")), 1, 8, TrainingSmokeTest.LM.withReplicas(2),
                TrainingListener.NONE)).containsExactlyElementsOf(two);
        assertThatThrownBy(() -> TrainingSmokeTest.LM.withReplicas(9)).hasMessage("replicas must be between 1 and the batch (8), got 9");
    }

    /** A listener that fails the run when step {@code at} completes, as a crash would. */
    private static TrainingListener crashAt(int at) {
        return new TrainingListener() {
            @Override
            public void step(String stage, int step, float loss) {
                if (step == at) throw new IllegalStateException("simulated crash");
            }
        };
    }

    /** Every parameter of the two saved models is bit-identical. */
    private static void assertSameWeights(Path a, Path b) throws Exception {
        try (FlamingoModel x = FlamingoModel.load(a); FlamingoModel y = FlamingoModel.load(b)) {
            for (String name : x.block().namedParameters().keySet())
                assertThat(y.block().namedParameters().get(name).getArray().toFloatArray()).as(name)
                        .containsExactly(x.block().namedParameters().get(name).getArray().toFloatArray());
        }
    }

    /** A copy of the lm stage's output only, for one vision run. */
    private static TrainingLayout lmOnly(String name) throws Exception {
        TrainingLayout to = copy(name);
        try (Stream<Path> files = Files.walk(to.stage(VisionStage.NAME))) {
            for (Path p : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) Files.delete(p);
        }
        return to;
    }

    @Test
    void aBatchSplitsIntoConsecutiveRowsThatCoverItOnce() {
        List<long[]> ids = new ArrayList<>();
        List<float[]> weights = new ArrayList<>();
        List<int[]> clips = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(new long[] {3, 10 + i});
            weights.add(new float[] {0, 1});
            clips.add(new int[] {i});
        }
        FlamingoStage.Example batch = new FlamingoStage.Example(TokenBatch.of(ids, weights, 0), clips, new HashMap<>());
        List<Long> seen = new ArrayList<>();
        int[] sizes = new int[3];
        for (int p = 0; p < 3; p++) {
            FlamingoStage.Example part = batch.part(p, 3);
            sizes[p] = part.tokens().rows();
            for (int r = 0; r < part.tokens().rows(); r++) {
                seen.add(part.tokens().ids()[r][1]);
                assertThat(part.clips().get(r)[0]).isEqualTo(part.tokens().ids()[r][1] - 10);
            }
        }
        assertThat(sizes).containsExactly(2, 2, 1);
        assertThat(seen).containsExactly(10L, 11L, 12L, 13L, 14L);
    }

    @Test
    void moreReplicasThanSequencesAreRefused() {
        assertThatThrownBy(() -> ONE.withReplicas(9)).hasMessage("replicas must be between 1 and the batch (8), got 9");
        assertThatThrownBy(() -> ONE.withReplicas(0)).hasMessage("replicas must be between 1 and the batch (8), got 0");
    }
}
