package io.narrator.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.nn.Scalars;
import io.narrator.train.data.TrainingFrames;
import io.narrator.train.world.CaptionGrammar;
import io.narrator.train.world.Scene;
import io.narrator.train.world.World;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Stage 2 of the recipe: pretrain the ViT with CLIP's symmetric contrastive loss on (frame, description)
 * pairs, against a small text encoder that is discarded afterwards. Descriptions say what is visible and
 * where ("two small red circles on the left"), so the patch tokens must carry shape, colour, size, count
 * and position — what the resampler later compares across frames to see motion.
 *
 * <p>Since narrator-tiny 1.4.0 the loss reaches the patch tokens the resampler reads: half of every batch is
 * {@link World#EASY} frames, the text tower stays locked at its random start (LiT), and the loss is the mean of
 * two contrastive losses, one on the class token and one on the mean patch token ({@link Settings#classTokenWeight()}).
 * Stage 3 on that ViT reads events 78% right instead of 37% (docs/notes/2026-11-28-narrator-tiny-1.4.0.md). Since 1.8.0 two replicas of the ViT share
 * every batch ({@link Settings#replicas()}), which makes a step about 1.35× faster on two cores, and the recipe spends
 * that on 4,200 steps instead of 3,300: the probe reads shape 85% instead of 75%. Since 1.9.0 the easy frames hold a
 * small object after 65% of the steps ({@link Settings#smallEasyAfter()}), where the ViT still confuses shapes.
 */
public final class VisionStage {
    public static final String NAME = "vision";
    private static final String TOWER = "clip.";
    private static final String POSITIONS = "vision_model.embeddings.position_embedding.weight";
    private static final String PATCH_WEIGHTS = "vision_model.embeddings.patch_embedding.weight";
    /** Amplitude of the starting sine-cosine position code: rows of norm amplitude·√(D/2) (4 at width 128), about the starting patch content. */
    static final float POSITION_AMPLITUDE = 0.5f;
    /**
     * Learning-rate multipliers that keep the patch tokens' position from being drowned: Adam moves every
     * weight by about the rate each step, so the patch content, a sum over the convolution's 3·p·p = 432
     * inputs, grows far faster than the position rows it is added to (shipped 1.0.0: content norm 23 against
     * positions 0.34, and a linear probe told a patch token's own column 28% of the time, untrained 86%).
     */
    static final double PATCH_RATE = 0.25;
    static final double POSITION_RATE = 4.0;
    /** Frames in the held-out retrieval batch (chance 1/96). */
    static final int RETRIEVAL_BATCH = 96;

    /**
     * Pairs per batch, learning rate, checkpoint interval, and what makes shape part of the loss:
     *
     * @param easyShare the fraction of every batch drawn from {@link World#EASY} (one large still object on a plain
     *     background), whose descriptions differ only in size, colour and shape, so that among frames of one colour
     *     shape is what tells them apart
     * @param lockTextTower LiT's locked side, here the text one: the text encoder stays at its random start, which
     *     already tells descriptions that differ in one word apart, and only the visual projection and the
     *     temperature train with the ViT (a trained tower that cannot yet tell the shape words apart gives
     *     same-coloured frames near-identical descriptions, and the loss pulls them together)
     * @param classTokenWeight the loss is {@code w}·(contrastive loss on the class token, as CLIP) + {@code (1 − w)}·
     *     (contrastive loss on the mean patch token, which is what the resampler reads); 1 is CLIP as it is, 0 the
     *     patch tokens only. The recipe's is 0.5; what stage 3 read on each weight tried is in docs/notes/2026-11-28-one-recipe-two-machines.md (one run
     *     per weight, and two runs of 0.5 differ by 22 points in count, so single runs rank weights only roughly)
     * @param replicas copies of the ViT that share each batch, each on its own thread ({@link
     *     DataParallel#descendThroughFeatures}): replica r encodes its consecutive run of the batch's frames, and the
     *     contrastive loss, which compares every frame with every text, is computed once from all of them
     * @param smallEasyAfter the fraction of the stage's steps after which the easy frames are one <em>small</em> still
     *     object on a plain background ({@link World#SMALL_EASY}) instead of a large one: large shapes first, then the
     *     small ones, where shape is lost (1: never). Continuing the 1.8.1 ViT for 600 steps on small easy frames, a
     *     linear probe read shape 91.5% (small objects 85.8%) against 88.2% (82.1%) on large ones (docs/notes/2026-12-07-where-captions-lose-shape.md)
     */
    public record Settings(int batch, float learningRate, int checkpointEvery, double easyShare, boolean lockTextTower,
            double classTokenWeight, int replicas, double smallEasyAfter) {
        public static final Settings DEFAULT = new Settings(64, 1.5e-3f, 100, 0.5, true, 0.5, 2, 0.65);

        public Settings {
            if (batch < 2) throw new IllegalArgumentException("the contrastive loss needs at least 2 pairs per batch, got " + batch);
            if (replicas < 1 || replicas > batch)
                throw new IllegalArgumentException("replicas must be between 1 and the batch (" + batch + "), got " + replicas);
            if (!(easyShare >= 0 && easyShare <= 1)) throw new IllegalArgumentException("easyShare must be in [0, 1], got " + easyShare);
            if (!(classTokenWeight >= 0 && classTokenWeight <= 1))
                throw new IllegalArgumentException("classTokenWeight must be in [0, 1], got " + classTokenWeight);
            if (!(smallEasyAfter >= 0 && smallEasyAfter <= 1))
                throw new IllegalArgumentException("smallEasyAfter must be in [0, 1], got " + smallEasyAfter);
        }

        /** Large easy frames only ({@code smallEasyAfter} 1). */
        public Settings(int batch, float learningRate, int checkpointEvery, double easyShare, boolean lockTextTower,
                double classTokenWeight, int replicas) {
            this(batch, learningRate, checkpointEvery, easyShare, lockTextTower, classTokenWeight, replicas, 1);
        }

        /** One replica: the whole batch on the calling thread. */
        public Settings(int batch, float learningRate, int checkpointEvery, double easyShare, boolean lockTextTower,
                double classTokenWeight) {
            this(batch, learningRate, checkpointEvery, easyShare, lockTextTower, classTokenWeight, 1);
        }

        /** CLIP as it is, on the world's frames only, with a trained text tower and the class token. */
        public static Settings plainClip(int batch, float learningRate, int checkpointEvery) {
            return new Settings(batch, learningRate, checkpointEvery, 0, false, 1.0);
        }

        /** These settings with {@code n} replicas. */
        public Settings withReplicas(int n) {
            return new Settings(batch, learningRate, checkpointEvery, easyShare, lockTextTower, classTokenWeight, n, smallEasyAfter);
        }

        /** These settings with the easy frames small after {@code fraction} of the steps (1: never). */
        public Settings withSmallEasyAfter(double fraction) {
            return new Settings(batch, learningRate, checkpointEvery, easyShare, lockTextTower, classTokenWeight, replicas, fraction);
        }

        /** Where step {@code step} of {@code steps} draws its easy frames from. */
        World easyWorld(int step, int steps) {
            return smallEasyAfter < 1 && step >= Math.round(smallEasyAfter * steps) ? World.SMALL_EASY : World.EASY;
        }

        String describe() {
            return "batch " + batch + ", lr " + learningRate + ", sin-cos patch positions"
                    + (easyShare > 0 ? ", " + Math.round(100 * easyShare) + "% easy frames"
                            + (smallEasyAfter < 1 ? " (small ones after " + StageRun.plain(100 * smallEasyAfter) + "% of the steps)" : "") : "")
                    + (lockTextTower ? ", locked text tower" : "") + ", loss on " + lossWords()
                    + (replicas > 1 ? ", " + replicas + " replicas" : "");
        }

        private String lossWords() {
            if (classTokenWeight == 1) return "the class token";
            if (classTokenWeight == 0) return "the mean patch token";
            if (classTokenWeight == 0.5) return "the class token and the mean patch token";
            return "the class token (weight " + StageRun.plain(classTokenWeight) + ") and the mean patch token (weight "
                    + StageRun.plain(1 - classTokenWeight) + ")";
        }
    }

    private VisionStage() {}

    /** Trains the vision encoder of {@code lm/model} and writes {@code vision/model}; returns the losses. */
    public static List<Float> run(TrainingLayout out, long seed, int steps, Settings settings, TrainingListener listener)
            throws IOException {
        try (FlamingoModel model = FlamingoModel.load(out.require(LanguageModelStage.NAME))) {
            Engine.getInstance().setRandomSeed((int) (seed * 31 + 2));
            ClipTextTower tower = new ClipTextTower(model.config(), 128);
            tower.initialize(model.manager());
            Map<String, Parameter> vision = model.block().trainOnly(Set.of("vision"));
            Map<String, Parameter> trainable = new LinkedHashMap<>(vision);
            tower.namedParameters().forEach((name, p) -> {
                boolean train = !settings.lockTextTower() || !name.startsWith("text_");
                p.freeze(!train);
                if (train) trainable.put(TOWER + name, p);
            });
            startPositions(model);
            AdamW optimizer = new AdamW(trainable, new AdamW.Settings(0.9f, 0.98f, 1e-6f, 0.05f, 1.0f), model.manager(),
                    rateScale(model.config().vision()));
            LearningRate lr = new LearningRate(settings.learningRate(), Math.min(150, steps / 10), steps, 0.05f);
            TrainingFrames frames = new TrainingFrames(model.config().vision().imageSize());
            StageRun.Plan plan = new StageRun.Plan(NAME, out.stage(NAME), seed, steps, settings.checkpointEvery(),
                    settings.describe());
            List<Float> losses;
            try (Prefetcher<Batch> batches = new Prefetcher<>(s -> batch(model, frames, StageRun.stepSeed(seed, NAME, s), settings.batch(), settings.easyShare(),
                    settings.easyWorld(s, steps)), steps)) {
                losses = settings.replicas() == 1
                        ? StageRun.run(plan, trainable, optimizer, step -> {
                            Batch batch = batches.get(step);
                            return StageRun.descend(model.manager(), optimizer, lr.at(step), m -> loss(model, tower, batch, settings.classTokenWeight(), m));
                        }, listener)
                        : runReplicated(out, model, tower, vision, trainable, settings, batches, plan, optimizer, lr, listener);
            }
            float accuracy = retrievalAccuracy(model, tower, frames, seed, settings, settings.easyWorld(steps - 1, steps));
            listener.message(NAME, String.format(java.util.Locale.ROOT, "held-out frame→text retrieval top-1 %.1f%% (batch of %d)",
                    100 * accuracy, RETRIEVAL_BATCH));
            model.save(out.stageModel(NAME), out.tokenizer(), SafeTensors.Precision.F32);
            return losses;
        }
    }

    /**
     * The steps with {@code settings.replicas()} copies of the ViT, each loaded from {@code lm/model} like {@code model}
     * and given its weights before every step, on consecutive runs of each batch's frames; the contrastive loss (and the
     * projections and temperature it trains) on the calling thread, from every frame's features
     * ({@link DataParallel#descendThroughFeatures}).
     */
    private static List<Float> runReplicated(TrainingLayout out, FlamingoModel model, ClipTextTower tower,
            Map<String, Parameter> vision, Map<String, Parameter> trainable, Settings settings, Prefetcher<Batch> batches,
            StageRun.Plan plan, AdamW optimizer, LearningRate lr, TrainingListener listener) throws IOException {
        int replicas = settings.replicas();
        List<FlamingoModel> twins = new ArrayList<>();
        try {
            List<Map<String, Parameter>> params = new ArrayList<>(List.of(vision));
            List<NDManager> managers = new ArrayList<>(List.of(model.manager()));
            List<FlamingoModel> encoders = new ArrayList<>(List.of(model));
            for (int r = 1; r < replicas; r++) {
                FlamingoModel twin = FlamingoModel.load(out.require(LanguageModelStage.NAME));
                twins.add(twin);
                params.add(twin.block().trainOnly(Set.of("vision")));
                managers.add(twin.manager());
                encoders.add(twin);
            }
            double w = settings.classTokenWeight();
            try (DataParallel parallel = new DataParallel(params, managers, model.manager())) {
                return StageRun.run(plan, trainable, optimizer, step -> {
                    Batch batch = batches.get(step);
                    List<Function<NDManager, NDArray>> parts = new ArrayList<>();
                    for (int r = 0; r < replicas; r++) {
                        FlamingoModel encoder = encoders.get(r);
                        int from = batch.n() * r / replicas;
                        int to = batch.n() * (r + 1) / replicas;
                        parts.add(m -> features(encoder, pixels(encoder, batch, from, to, m), w));
                    }
                    return parallel.descendThroughFeatures(optimizer, lr.at(step), parts,
                            (features, m) -> head(model, tower, batch, w, features, m));
                }, listener);
            }
        } finally {
            for (FlamingoModel twin : twins) twin.close();
        }
    }

    /**
     * Replaces the random patch rows of the position embeddings (the class token's row stays) with a 2-D
     * sine-cosine code ({@link PatchPositions}); a resumed stage then loads its checkpoint over them.
     */
    static void startPositions(FlamingoModel model) {
        FlamingoConfig.Vision v = model.config().vision();
        int grid = v.imageSize() / v.patchSize();
        int d = v.hiddenSize();
        NDArray table = model.block().namedParameters().get(POSITIONS).getArray(); // (P+1, D)
        float[] values = table.toFloatArray();
        System.arraycopy(PatchPositions.sinCos(grid, d, POSITION_AMPLITUDE), 0, values, d, grid * grid * d);
        boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            table.set(values);
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
        }
    }

    /**
     * The learning-rate multiplier of each trainable tensor of this stage. Behind a convolutional stem the patch
     * embedding reads the stem's features, not 3·p·p raw pixels, and trains at the common rate (as measured in
     * the shape probe, docs/notes/2026-11-27-vision-stage-position-and-shape.md).
     */
    static ToDoubleFunction<String> rateScale(FlamingoConfig.Vision vision) {
        double patchRate = vision.convStemChannels().length == 0 ? PATCH_RATE : 1.0;
        return name -> name.equals(PATCH_WEIGHTS) ? patchRate : name.equals(POSITIONS) ? POSITION_RATE : 1.0;
    }

    /** Frames (preprocessed), their descriptions as token ids, and which pairs share a description. */
    record Batch(float[] pixels, int n, List<long[]> texts, float[] same) {}

    static Batch batch(FlamingoModel model, TrainingFrames frames, long seed, int n, double easyShare, World easyWorld) {
        SplittableRandom random = new SplittableRandom(seed);
        World world = World.DEFAULT;
        int s = model.config().vision().imageSize();
        float[] pixels = new float[n * 3 * s * s];
        List<long[]> texts = new ArrayList<>();
        List<String> canonical = new ArrayList<>();
        long eos = model.config().specialTokens().eos();
        for (int i = 0; i < n; i++) {
            boolean easy = i < Math.round(n * easyShare);
            Scene scene = (easy ? easyWorld : world).scene(random.nextLong(), 8_000_000L);
            long t = (long) (random.nextDouble() * 8_000_000L);
            BufferedImage img = frames.frame(scene, t, frames.drawSize(random));
            System.arraycopy(model.preprocessor().apply(img), 0, pixels, i * 3 * s * s, 3 * s * s);
            long[] ids = model.tokenizer().encode(CaptionGrammar.describeFrame(scene, t, random));
            long[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
            withEos[ids.length] = eos;
            texts.add(withEos);
            canonical.add(CaptionGrammar.canonicalFrame(scene, t));
        }
        float[] same = new float[n * n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) same[i * n + j] = canonical.get(i).equals(canonical.get(j)) ? 1f : 0f;
        return new Batch(pixels, n, texts, same);
    }

    /** The weighted sum of one contrastive loss per image embedding, all against the same text embeddings. */
    static NDArray loss(FlamingoModel model, ClipTextTower tower, Batch b, double classTokenWeight, NDManager m) {
        return head(model, tower, b, classTokenWeight, features(model, pixels(model, b, 0, b.n(), m), classTokenWeight), m);
    }

    /** Frames {@code from} (inclusive) to {@code to} of a batch, (to − from, 3, S, S). */
    static NDArray pixels(FlamingoModel model, Batch b, int from, int to, NDManager m) {
        int s = model.config().vision().imageSize();
        int frame = 3 * s * s;
        return m.create(java.util.Arrays.copyOfRange(b.pixels(), from * frame, to * frame), new Shape(to - from, 3, s, s));
    }

    /**
     * (n, K, Dv): what the loss reads of each frame, from one pass of the ViT: the class token after the post-LayerNorm
     * (when its weight is above 0), then the mean patch token (when its weight is below 1).
     */
    static NDArray features(FlamingoModel model, NDArray pixels, double classTokenWeight) {
        NDArray tokens = model.block().vision().allTokens(pixels); // (n, P+1, Dv)
        NDList out = new NDList(2);
        if (classTokenWeight > 0) out.add(tokens.get(":, 0, :"));
        if (classTokenWeight < 1) out.add(tokens.get(":, 1:, :").mean(new int[] {1}));
        return NDArrays.stack(out, 1);
    }

    /**
     * The batch's loss from its frames' {@link #features}, (N, K, Dv): one contrastive loss per feature, each projected
     * by the tower, all against the same text embeddings, weighted as {@code classTokenWeight} says.
     */
    static NDArray head(FlamingoModel model, ClipTextTower tower, Batch b, double classTokenWeight, NDArray features, NDManager m) {
        NDArray text = embedTexts(tower, b, m, model.config().specialTokens().pad()); // (N, E)
        NDArray same = m.create(b.same(), new Shape(b.n(), b.n()));
        List<Double> weights = new ArrayList<>(2);
        if (classTokenWeight > 0) weights.add(classTokenWeight);
        if (classTokenWeight < 1) weights.add(1 - classTokenWeight);
        NDArray loss = null;
        for (int k = 0; k < weights.size(); k++) {
            NDArray image = tower.embedImage(features.get(":, " + k + ", :"));
            NDArray term = Losses.contrastive(image, text, tower.scale(image), same);
            if (weights.get(k) != 1) term = Scalars.mul(term, weights.get(k).floatValue());
            loss = loss == null ? term : loss.add(term);
        }
        return loss;
    }

    private static NDArray embedTexts(ClipTextTower tower, Batch b, NDManager m, long pad) {
        int t = b.texts().stream().mapToInt(x -> x.length).max().orElseThrow();
        long[] ids = new long[b.n() * t];
        int[][] mask = new int[b.n()][t];
        int d = 128;
        long[] last = new long[b.n() * d];
        for (int i = 0; i < b.n(); i++) {
            long[] row = b.texts().get(i);
            java.util.Arrays.fill(ids, i * t, (i + 1) * t, pad);
            System.arraycopy(row, 0, ids, i * t, row.length);
            java.util.Arrays.fill(mask[i], 0, row.length, 1);
            java.util.Arrays.fill(last, i * d, (i + 1) * d, row.length - 1);
        }
        NDArray idArr = m.create(ids, new Shape(b.n(), t));
        NDArray lastIdx = m.create(last, new Shape(b.n(), 1, d));
        return tower.embedText(idArr, mask, lastIdx); // (N, E)
    }

    /**
     * Top-1 frame→text retrieval within one held-out batch (chance is 1/N), counting ties of equal descriptions as
     * right; on the class token, or on the mean patch token when the loss does not read the class token; the easy frames
     * from {@code easyWorld}.
     */
    static float retrievalAccuracy(FlamingoModel model, ClipTextTower tower, TrainingFrames frames, long seed, Settings settings,
            World easyWorld) {
        Batch b = batch(model, frames, StageRun.stepSeed(seed ^ 0x5EED, NAME + "-eval", 0), RETRIEVAL_BATCH, settings.easyShare(),
                easyWorld);
        try (NDManager m = model.manager().newSubManager()) {
            NDArray first = features(model, pixels(model, b, 0, b.n(), m), settings.classTokenWeight()).get(":, 0, :");
            NDArray sim = tower.embedImage(first).matMul(embedTexts(tower, b, m, model.config().specialTokens().pad()).transpose());
            long[] best = sim.argMax(1).toType(DataType.INT64, false).toLongArray();
            int right = 0;
            for (int i = 0; i < b.n(); i++) if (b.same()[i * b.n() + (int) best[i]] == 1f) right++;
            return (float) right / b.n();
        }
    }
}
