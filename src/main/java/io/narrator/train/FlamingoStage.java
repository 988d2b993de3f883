package io.narrator.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.narrator.model.Flamingo;
import io.narrator.model.FlamingoModel;
import io.narrator.model.FlamingoState;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.train.data.FeaturePool;
import io.narrator.train.data.FewShotSequences;
import io.narrator.train.data.TaskMix;
import io.narrator.train.data.TokenBatch;
import io.narrator.train.world.CaptionGrammar;
import io.narrator.train.world.Task;
import io.narrator.train.world.World;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Stage 3 of the recipe: with the language model and the vision encoder frozen, train the Perceiver
 * Resampler, the gated cross-attention layers and the special-token embeddings on interleaved sequences of
 * 1–5 (clip, text) pairs of one task, the task shown only by the texts.
 */
public final class FlamingoStage {
    public static final String NAME = "flamingo";
    /** Seeds of the feature pool's scenes; evaluation draws from another stream. */
    static final long POOL_SALT = 0x7E57_F00DL;

    /** Sequences per batch, learning rate, pre-encoded clips, checkpoint interval, learning-rate multiplier of the gates. */
    public record Settings(int batch, float learningRate, int poolSize, int checkpointEvery, double gateRateScale) {
        public static final Settings DEFAULT = new Settings(16, 1.5e-3f, 3000, 100, 5.0);
    }

    private FlamingoStage() {}

    /** Trains from {@code vision/model}, writes {@code flamingo/model}; returns the losses. */
    public static List<Float> run(TrainingLayout out, long seed, int steps, Settings settings, TrainingListener listener)
            throws IOException {
        try (FlamingoModel model = FlamingoModel.load(out.require(VisionStage.NAME))) {
            Engine.getInstance().setRandomSeed((int) (seed * 31 + 3));
            Flamingo block = model.block();
            block.resetSpecialTokenEmbeddings(); // start from what the LM learned for <image> and <|endofchunk|>
            listener.message(NAME, "encoding " + settings.poolSize() + " clips with the frozen vision encoder");
            FeaturePool pool = FeaturePool.build(model, World.DEFAULT, seed ^ POOL_SALT, settings.poolSize(), i -> {
                if (i % 500 == 0) listener.message(NAME, "encoded " + i + " of " + settings.poolSize() + " clips");
            });
            Map<String, Parameter> trainable = block.trainOnly(Set.of("perceiver", "cross_attention", "special_tokens"));
            // the tanh gates are single numbers that start at 0: let them open faster than the matrices move
            AdamW optimizer = new AdamW(trainable, AdamW.Settings.DEFAULT, model.manager(),
                    name -> name.endsWith("_gate") ? settings.gateRateScale() : 1.0);
            LearningRate lr = new LearningRate(settings.learningRate(), Math.min(200, steps / 10), steps, 0.1f);
            FewShotSequences sequences = new FewShotSequences(model.tokenizer(), model.config().generation().promptPrefix());
            StageRun.Plan plan = new StageRun.Plan(NAME, out.stage(NAME), seed, steps, settings.checkpointEvery(),
                    "batch " + settings.batch() + ", lr " + settings.learningRate() + ", pool " + settings.poolSize() + ", gate lr ×" + settings.gateRateScale());
            List<Float> losses;
            try (Prefetcher<Example> batches = new Prefetcher<>(s -> batch(sequences, pool, StageRun.stepSeed(seed, NAME, s), settings.batch(), model.config().specialTokens().pad()), steps)) {
            losses = StageRun.run(plan, trainable, optimizer, step -> {
                Example batch = batches.get(step);
                return StageRun.descend(model.manager(), optimizer, lr.at(step), m -> loss(block, pool, batch, m));
            }, listener);
            }
            model.save(out.stageModel(NAME), out.tokenizer(), SafeTensors.Precision.F32);
            return losses;
        }
    }

    /**
     * A batch: token sequences and, per row, the pool clips its {@code <image>} markers stand for, with each
     * distinct clip's features already widened to floats (on the prefetch thread, not the training one).
     */
    record Example(TokenBatch tokens, List<int[]> clips, Map<Integer, float[]> features) {}

    static Example batch(FewShotSequences sequences, FeaturePool pool, long seed, int size, long pad) {
        SplittableRandom random = new SplittableRandom(seed);
        List<long[]> ids = new ArrayList<>();
        List<float[]> weights = new ArrayList<>();
        List<int[]> clips = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            Task task = TaskMix.draw(random);
            int k = 1 + random.nextInt(5);
            int[] chosen = new int[k];
            List<String> answers = new ArrayList<>();
            for (int j = 0; j < k; j++) {
                chosen[j] = random.nextInt(pool.size());
                answers.add(CaptionGrammar.describe(pool.get(chosen[j]).scene(), task, random));
            }
            FewShotSequences.Sequence s = sequences.build(task, answers);
            ids.add(s.ids());
            weights.add(s.targets());
            clips.add(chosen);
        }
        Map<Integer, float[]> features = new HashMap<>();
        for (int[] row : clips) for (int c : row) features.computeIfAbsent(c, i -> pool.floats(pool.get(i)));
        return new Example(TokenBatch.of(ids, weights, pad), clips, features);
    }

    static NDArray loss(Flamingo block, FeaturePool pool, Example batch, NDManager m) {
        Map<Integer, NDArray> arrays = new HashMap<>(); // one array per distinct clip: resampled once
        List<List<NDArray>> media = new ArrayList<>();
        for (int[] row : batch.clips()) {
            List<NDArray> items = new ArrayList<>();
            for (int c : row)
                items.add(arrays.computeIfAbsent(c, i -> m.create(batch.features().get(i),
                        new Shape(pool.get(i).frames(), pool.patches(), pool.dim())))); // (F, P, Dv)
            media.add(items);
        }
        FlamingoState state = block.start(m, block.visualTokens(m, media), false);
        TokenBatch t = batch.tokens();
        NDArray logits = block.forward(t.idsArray(m), t.mask(), state); // (B, T, W)
        return Losses.nextToken(logits, t.targets(m), t.weights(m));
    }
}
