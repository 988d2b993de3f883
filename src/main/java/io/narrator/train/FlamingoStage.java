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
import java.util.function.Function;

/**
 * Stage 3 of the recipe: with the language model and the vision encoder frozen, train the Perceiver
 * Resampler, the gated cross-attention layers and the special-token embeddings on interleaved sequences of
 * 1–5 (clip, text) pairs of one task, the task shown only by the texts.
 */
public final class FlamingoStage {
    public static final String NAME = "flamingo";
    /** Seeds of the feature pool's scenes; evaluation draws from another stream. */
    static final long POOL_SALT = 0x7E57_F00DL;

    /**
     * Sequences per batch, learning rate, pre-encoded clips, checkpoint interval, learning-rate multiplier of the gates,
     * and how many model replicas share each batch, each on its own thread ({@link DataParallel}). The recipe's two
     * replicas keep both cores of the build machine busy: 300 steps ran at 6.0 steps per second against 4.3 on one
     * thread (four replicas: 6.2; docs/notes/2026-12-07-recipe-details-and-replicas.md).
     *
     * @param firstPool how many of the pool's clips (its first) the steps draw from until {@code firstPoolShare} of the
     *     steps are done; the rest draw from all {@code poolSize}. The recipe's pool is 9,000 clips and its first half of
     *     the steps draw from the first 3,000 (since 1.9.0; 3,000 throughout before). On 3,000 clips throughout, each seen
     *     about a hundred times, stage 3 named the shape of its own pool's clips 98.5% of the time and of fresh clips
     *     drawn the same way 90.0%; on 9,000 throughout, held-out shape rose to 98% but motion direction was not learnt
     *     in 6,600 steps (events 78%); 3,000 clips learn it in the first half (docs/notes/2026-12-07-where-captions-lose-shape.md). Encoding costs about 13 s
     *     per 1,000 clips and 135 kB of heap per clip (float16)
     * @param firstPoolShare the fraction of the steps that draw from the first {@code firstPool} clips only
     */
    public record Settings(int batch, float learningRate, int poolSize, int checkpointEvery, double gateRateScale, int replicas,
            int firstPool, double firstPoolShare) {
        public static final Settings DEFAULT = new Settings(16, 1.5e-3f, 9000, 100, 5.0, 2, 3000, 0.5);

        public Settings {
            if (batch < 1) throw new IllegalArgumentException("the batch must hold at least one sequence, got " + batch);
            if (replicas < 1 || replicas > batch)
                throw new IllegalArgumentException("replicas must be between 1 and the batch (" + batch + "), got " + replicas);
            if (poolSize < 1) throw new IllegalArgumentException("the pool must hold at least one clip, got " + poolSize);
            if (firstPool < 1 || firstPool > poolSize)
                throw new IllegalArgumentException("firstPool must be between 1 and the pool (" + poolSize + "), got " + firstPool);
            if (!(firstPoolShare >= 0 && firstPoolShare <= 1))
                throw new IllegalArgumentException("firstPoolShare must be in [0, 1], got " + firstPoolShare);
        }

        /** Every step draws from the whole pool. */
        public Settings(int batch, float learningRate, int poolSize, int checkpointEvery, double gateRateScale, int replicas) {
            this(batch, learningRate, poolSize, checkpointEvery, gateRateScale, replicas, poolSize, 0);
        }

        /** One replica: the whole batch on the calling thread. */
        public Settings(int batch, float learningRate, int poolSize, int checkpointEvery, double gateRateScale) {
            this(batch, learningRate, poolSize, checkpointEvery, gateRateScale, 1);
        }

        /** These settings with {@code n} replicas. */
        public Settings withReplicas(int n) {
            return new Settings(batch, learningRate, poolSize, checkpointEvery, gateRateScale, n, firstPool, firstPoolShare);
        }

        /** These settings with the first {@code share} of the steps drawing from the pool's first {@code clips} clips. */
        public Settings withFirstPool(int clips, double share) {
            return new Settings(batch, learningRate, poolSize, checkpointEvery, gateRateScale, replicas, clips, share);
        }

        /** How many of the pool's clips (its first) step {@code step} of {@code steps} draws from. */
        int clipsAt(int step, int steps) {
            return step < Math.round(firstPoolShare * steps) ? firstPool : poolSize;
        }

        String describe() {
            boolean staged = firstPool < poolSize && firstPoolShare > 0;
            return "batch " + batch + ", lr " + learningRate + ", pool " + poolSize
                    + (staged ? " (the first " + firstPool + " for " + StageRun.plain(100 * firstPoolShare) + "% of the steps)" : "")
                    + ", gate lr ×" + gateRateScale + (replicas > 1 ? ", " + replicas + " replicas" : "");
        }
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
            Map<String, Parameter> trainable = block.trainOnly(TRAINED_PARTS);
            // the tanh gates are single numbers that start at 0: let them open faster than the matrices move
            AdamW optimizer = new AdamW(trainable, AdamW.Settings.DEFAULT, model.manager(),
                    name -> name.endsWith("_gate") ? settings.gateRateScale() : 1.0);
            LearningRate lr = new LearningRate(settings.learningRate(), Math.min(200, steps / 10), steps, 0.1f);
            FewShotSequences sequences = new FewShotSequences(model.tokenizer(), model.config().generation().promptPrefix());
            StageRun.Plan plan = new StageRun.Plan(NAME, out.stage(NAME), seed, steps, settings.checkpointEvery(), settings.describe());
            List<Float> losses;
            try (Prefetcher<Example> batches = new Prefetcher<>(s -> batch(sequences, pool, settings.clipsAt(s, steps),
                    StageRun.stepSeed(seed, NAME, s), settings.batch(), model.config().specialTokens().pad()), steps)) {
                losses = settings.replicas() == 1
                        ? StageRun.run(plan, trainable, optimizer, step -> {
                            Example batch = batches.get(step);
                            return StageRun.descend(model.manager(), optimizer, lr.at(step), m -> loss(block, pool, batch, m));
                        }, listener)
                        : runReplicated(out, model, trainable, settings.replicas(), pool, batches, plan, optimizer, lr, listener);
            }
            model.save(out.stageModel(NAME), out.tokenizer(), SafeTensors.Precision.F32);
            return losses;
        }
    }

    /** The parts of the model stage 3 trains. */
    static final Set<String> TRAINED_PARTS = Set.of("perceiver", "cross_attention", "special_tokens");

    /**
     * The steps with {@code replicas} copies of the model, each loaded from {@code vision/model} like {@code model}, on
     * consecutive runs of each batch's rows ({@link DataParallel}); {@code model}'s parameters are the ones trained.
     */
    private static List<Float> runReplicated(TrainingLayout out, FlamingoModel model, Map<String, Parameter> trainable,
            int replicas, FeaturePool pool, Prefetcher<Example> batches, StageRun.Plan plan, AdamW optimizer, LearningRate lr,
            TrainingListener listener) throws IOException {
        List<FlamingoModel> twins = new ArrayList<>();
        try {
            List<Map<String, Parameter>> params = new ArrayList<>(List.of(trainable));
            List<NDManager> managers = new ArrayList<>(List.of(model.manager()));
            List<Flamingo> blocks = new ArrayList<>(List.of(model.block()));
            for (int r = 1; r < replicas; r++) {
                FlamingoModel twin = FlamingoModel.load(out.require(VisionStage.NAME));
                twins.add(twin);
                twin.block().resetSpecialTokenEmbeddings();
                params.add(twin.block().trainOnly(TRAINED_PARTS));
                managers.add(twin.manager());
                blocks.add(twin.block());
            }
            try (DataParallel parallel = new DataParallel(params, managers, model.manager())) {
                return StageRun.run(plan, trainable, optimizer, step -> {
                    Example batch = batches.get(step);
                    double weight = batch.tokens().targetWeight();
                    List<Function<NDManager, NDArray>> parts = new ArrayList<>();
                    for (int r = 0; r < replicas; r++) {
                        Example part = batch.part(r, replicas);
                        Flamingo block = blocks.get(r);
                        parts.add(m -> partLoss(block, pool, part, weight, m));
                    }
                    return parallel.descend(optimizer, lr.at(step), parts);
                }, listener);
            }
        } finally {
            for (FlamingoModel twin : twins) twin.close();
        }
    }

    /**
     * A batch: token sequences and, per row, the pool clips its {@code <image>} markers stand for, with each
     * distinct clip's features already widened to floats (on the prefetch thread, not the training one).
     */
    record Example(TokenBatch tokens, List<int[]> clips, Map<Integer, float[]> features) {
        /** Part {@code index} of {@code parts} near-equal runs of consecutive rows (the earlier parts one row longer). */
        Example part(int index, int parts) {
            int rows = tokens.rows(), from = index * (rows / parts) + Math.min(index, rows % parts);
            int to = from + rows / parts + (index < rows % parts ? 1 : 0);
            return new Example(tokens.rows(from, to), clips.subList(from, to), features);
        }
    }

    /** A batch of {@code size} sequences whose clips are drawn from the pool's first {@code drawFrom}. */
    static Example batch(FewShotSequences sequences, FeaturePool pool, int drawFrom, long seed, int size, long pad) {
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
                chosen[j] = random.nextInt(drawFrom);
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
        TokenBatch t = batch.tokens();
        return Losses.nextToken(logits(block, pool, batch, m), t.targets(m), t.weights(m));
    }

    /** The loss of a part of a batch, over the whole batch's {@code batchWeight}: the parts add up to {@link #loss}. */
    static NDArray partLoss(Flamingo block, FeaturePool pool, Example part, double batchWeight, NDManager m) {
        TokenBatch t = part.tokens();
        return Losses.nextToken(logits(block, pool, part, m), t.targets(m), t.weights(m), batchWeight);
    }

    /** (B, T, W) logits of the batch's sequences after its clips. */
    private static NDArray logits(Flamingo block, FeaturePool pool, Example batch, NDManager m) {
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
        return block.forward(t.idsArray(m), t.mask(), state); // (B, T, W)
    }
}
