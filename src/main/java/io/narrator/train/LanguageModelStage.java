package io.narrator.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.train.data.FewShotSequences;
import io.narrator.train.data.TaskMix;
import io.narrator.train.data.TokenBatch;
import io.narrator.train.world.CaptionGrammar;
import io.narrator.train.world.Task;
import io.narrator.train.world.World;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Stage 1 of the recipe: pretrain the GPT-2 language model on text alone — captions and few-shot
 * formatted sequences of every task — so that it knows the grammar and the prompt format. Images are not
 * seen; {@code <image>} is just a token here.
 */
public final class LanguageModelStage {
    public static final String NAME = "lm";

    /**
     * Batch size, learning rate, checkpoint interval, the architecture (from the vocabulary size), and how many model
     * replicas share each batch, each on its own thread ({@link DataParallel}).
     */
    public record Settings(int batch, float learningRate, int checkpointEvery, java.util.function.IntFunction<FlamingoConfig> architecture,
            int replicas) {
        public static final Settings DEFAULT = new Settings(32, 2e-3f, 100, vocab -> NarratorTiny.config(vocab, "stage-lm"), 2);

        public Settings {
            if (batch < 1) throw new IllegalArgumentException("the batch must hold at least one sequence, got " + batch);
            if (replicas < 1 || replicas > batch)
                throw new IllegalArgumentException("replicas must be between 1 and the batch (" + batch + "), got " + replicas);
        }

        /** One replica: the whole batch on the calling thread. */
        public Settings(int batch, float learningRate, int checkpointEvery, java.util.function.IntFunction<FlamingoConfig> architecture) {
            this(batch, learningRate, checkpointEvery, architecture, 1);
        }

        /** These settings with {@code n} replicas. */
        public Settings withReplicas(int n) {
            return new Settings(batch, learningRate, checkpointEvery, architecture, n);
        }

        String describe() {
            return "batch " + batch + ", lr " + learningRate + (replicas > 1 ? ", " + replicas + " replicas" : "");
        }
    }

    private LanguageModelStage() {}

    /** Trains from a random initialisation and writes {@code lm/model}. */
    public static List<Float> run(TrainingLayout out, long seed, int steps, Settings settings, TrainingListener listener)
            throws IOException {
        int vocab = out.ensureTokenizer();
        FlamingoConfig config = settings.architecture().apply(vocab);
        try (FlamingoModel model = FlamingoModel.random(config, out.tokenizer(), seed)) {
            Map<String, Parameter> trainable = model.block().trainOnly(Set.of("lm"));
            AdamW optimizer = new AdamW(trainable, AdamW.Settings.DEFAULT, model.manager());
            LearningRate lr = new LearningRate(settings.learningRate(), Math.min(100, steps / 10), steps, 0.1f);
            FewShotSequences sequences = new FewShotSequences(model.tokenizer(), model.config().generation().promptPrefix());
            long pad = model.config().specialTokens().pad();
            StageRun.Plan plan = new StageRun.Plan(NAME, out.stage(NAME), seed, steps, settings.checkpointEvery(), settings.describe());
            List<Float> losses;
            try (Prefetcher<TokenBatch> batches = new Prefetcher<>(s -> batch(sequences, StageRun.stepSeed(seed, NAME, s), settings.batch(), pad), steps)) {
                losses = settings.replicas() == 1
                        ? StageRun.run(plan, trainable, optimizer, step -> {
                            TokenBatch batch = batches.get(step);
                            return StageRun.descend(model.manager(), optimizer, lr.at(step), m -> {
                                NDArray logits = model.block().lm().forward(batch.idsArray(m), batch.mask()); // (B, T, W)
                                return Losses.nextToken(logits, batch.targets(m), batch.weights(m));
                            });
                        }, listener)
                        : runReplicated(config, out, seed, model, trainable, settings.replicas(), batches, plan, optimizer, lr, listener);
            }
            model.block().resetSpecialTokenEmbeddings();
            model.save(out.stageModel(NAME), out.tokenizer(), SafeTensors.Precision.F32);
            return losses;
        }
    }

    /**
     * The steps with {@code replicas} copies of the LM (the others made like {@code model} and given its weights before
     * every step), each on consecutive rows of every batch ({@link DataParallel#descend}).
     */
    private static List<Float> runReplicated(FlamingoConfig config, TrainingLayout out, long seed, FlamingoModel model,
            Map<String, Parameter> trainable, int replicas, Prefetcher<TokenBatch> batches, StageRun.Plan plan, AdamW optimizer,
            LearningRate lr, TrainingListener listener) throws IOException {
        List<FlamingoModel> twins = new ArrayList<>();
        try {
            List<Map<String, Parameter>> params = new ArrayList<>(List.of(trainable));
            List<NDManager> managers = new ArrayList<>(List.of(model.manager()));
            List<FlamingoModel> models = new ArrayList<>(List.of(model));
            for (int r = 1; r < replicas; r++) {
                FlamingoModel twin = FlamingoModel.random(config, out.tokenizer(), seed);
                twins.add(twin);
                params.add(twin.block().trainOnly(Set.of("lm")));
                managers.add(twin.manager());
                models.add(twin);
            }
            try (DataParallel parallel = new DataParallel(params, managers, model.manager())) {
                return StageRun.run(plan, trainable, optimizer, step -> {
                    TokenBatch batch = batches.get(step);
                    double weight = batch.targetWeight();
                    List<Function<NDManager, NDArray>> parts = new ArrayList<>();
                    for (int r = 0; r < replicas; r++) {
                        TokenBatch part = batch.rows(batch.rows() * r / replicas, batch.rows() * (r + 1) / replicas);
                        FlamingoModel replica = models.get(r);
                        parts.add(m -> Losses.nextToken(replica.block().lm().forward(part.idsArray(m), part.mask()),
                                part.targets(m), part.weights(m), weight));
                    }
                    return parallel.descend(optimizer, lr.at(step), parts);
                }, listener);
            }
        } finally {
            for (FlamingoModel twin : twins) twin.close();
        }
    }

    /** A batch of text-only few-shot sequences: 1–8 examples of one task each. */
    static TokenBatch batch(FewShotSequences sequences, long seed, int size, long pad) {
        SplittableRandom random = new SplittableRandom(seed);
        List<long[]> ids = new ArrayList<>();
        List<float[]> weights = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            Task task = TaskMix.draw(random);
            int examples = 1 + random.nextInt(8); // up to 8: positions for 8-shot prompts are learnt here
            List<String> answers = new ArrayList<>();
            for (int k = 0; k < examples; k++)
                answers.add(CaptionGrammar.describe(World.DEFAULT.scene(random.nextLong(), 8_000_000L), task, random));
            FewShotSequences.Sequence s = sequences.build(task, answers);
            ids.add(s.ids());
            weights.add(s.targets());
        }
        return TokenBatch.of(ids, weights, pad);
    }
}
