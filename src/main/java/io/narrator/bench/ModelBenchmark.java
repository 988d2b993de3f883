package io.narrator.bench;

import ai.djl.pytorch.jni.JniUtils;
import io.narrator.model.FlamingoModel;
import io.narrator.model.ModelDevice;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.Media;
import io.narrator.model.generate.TokenListener;
import io.narrator.model.vision.VisionFeatures;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures the model alone: vision frames/s, resampler ms per clip, and generation ms per token at
 * several batch sizes, with and without the caches, for 0-shot and 4-shot prompts. Every generation
 * produces exactly {@code tokens} tokens so that runs are comparable. All measurements share one warm-up and
 * are timed in interleaved rounds, so that the speed-ups compare figures taken under the same conditions.
 */
public final class ModelBenchmark {

    /**
     * What to measure and how long.
     *
     * @param warmupSeconds untimed rounds of every measurement first, for at least this long (the JIT compiles,
     *     PyTorch's allocator fills its caches); 0 for none
     * @param runs timed rounds; each round times every measurement once (see {@link Timer#interleaved})
     * @param threads PyTorch intra-op threads during the run, or 0 to keep the engine's setting ({@code narrator}'s
     *     model commands and the streaming application use 1 unless told otherwise)
     */
    public record Options(int frames, int tokens, List<Integer> batches, double warmupSeconds, int runs, boolean uncached, int threads) {
        public Options {
            if (frames < 1 || tokens < 1 || batches.isEmpty() || runs < 1 || warmupSeconds < 0)
                throw new IllegalArgumentException("benchmark options must be positive");
            if (threads < 0) throw new IllegalArgumentException("threads must be at least 0 (0 = the engine's setting), got " + threads);
            batches = List.copyOf(batches);
        }

        /** 8-frame clips, 20 tokens, batches 1, 8, 16 and 32, with the uncached reference; 20 s of warm-up, 7 rounds. */
        public static Options standard(int threads) {
            return new Options(8, 20, List.of(1, 8, 16, 32), 20, 7, true, threads);
        }

        /** A few seconds: for CI smoke runs. */
        public static Options smoke(int threads) {
            return new Options(2, 4, List.of(1, 2), 0, 1, true, threads);
        }
    }

    /** One generation measurement: the median of the timed rounds, and the fastest round's ms per token. */
    public record Generation(String prompt, int batch, boolean cached, double msPerBatch, double msPerToken, double minMsPerToken,
            double tokensPerSecond, double clipsPerSecond) {}

    /** All measurements, as written to JSON. */
    public record Result(String model, long parameters, Map<String, Long> parameterCounts, String device, String dtype, int cores, int torchThreads,
            double warmupSeconds, int runs, double loadMs, long fileBytes,
            double visionFramesPerSecond, double visionMsPerFrame, double resamplerMsPerClip, List<Generation> generation,
            Map<String, Double> cacheSpeedup, Map<String, Double> batchSpeedup, List<String> notMeasured) {}

    private final FlamingoModel model;
    private final String source;
    private final Options options;

    /**
     * @param model the loaded model to measure
     * @param source where it was loaded from (a directory or {@code bundled}): loading it again, onto the model's device
     *     in its dtype, is timed
     */
    public ModelBenchmark(FlamingoModel model, String source, Options options) {
        this.model = model;
        this.source = source;
        this.options = options;
    }

    public Result run() throws java.io.IOException {
        // loading: the engine is already up (the model under test started it), so this is reading and checking the files
        Timer.Timing load = Timer.time(options.warmupSeconds() > 0 ? 1 : 0, Math.max(3, options.runs()), () -> {
            try (FlamingoModel again = FlamingoModel.load(ModelDirectory.of(source), model.device(), model.dtype())) {
                again.config();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long fileBytes = ModelDirectory.of(source).weightBytes();
        int previousThreads = JniUtils.getNumThreads();
        if (options.threads() > 0) JniUtils.setNumThreads(options.threads());
        try {
            return measure(load.medianMs(), fileBytes);
        } finally {
            JniUtils.setNumThreads(previousThreads);
        }
    }

    private Result measure(double loadMs, long fileBytes) {
        int s = model.config().vision().imageSize();
        List<BufferedImage> frames = frames(options.frames(), s, 1);
        // vision: a batch of 32 frames (or the clip length, if larger)
        int visionBatch = Math.max(32, options.frames());
        List<BufferedImage> many = new ArrayList<>();
        for (int i = 0; i < visionBatch; i++) many.add(frames.get(i % frames.size()));
        float[] pixels = new float[visionBatch * 3 * s * s];
        for (int i = 0; i < visionBatch; i++) System.arraycopy(model.preprocessor().apply(many.get(i)), 0, pixels, i * 3 * s * s, 3 * s * s);
        // every request its own clip, as every stream has (equal media are resampled once per batch); the
        // 4-shot examples are four different images shared by every request, as a prompt's examples are
        int largest = options.batches().stream().mapToInt(Integer::intValue).max().orElseThrow();
        List<Media> clips = new ArrayList<>();
        clips.add(new Media(model.encode(frames)));
        for (int i = 1; i < largest; i++) clips.add(new Media(model.encode(frames(options.frames(), s, 1 + i))));
        List<Media> examples = new ArrayList<>();
        for (int i = 0; i < MAX_SHOTS; i++) examples.add(new Media(model.encode(frames(1, s, 1000 + i))));

        // every measurement, timed in interleaved rounds after a common warm-up
        Map<String, Runnable> pieces = new LinkedHashMap<>();
        pieces.put(VISION, () -> model.encodePixels(pixels, visionBatch));
        // the resampler alone on one clip (inside generation it is not separable from the prompt's work)
        pieces.put(RESAMPLER, () -> resampleOnce(clips.get(0)));
        List<Case> cases = new ArrayList<>(); // the generation pieces, in order
        List<String> notMeasured = new ArrayList<>();
        for (int shots : SHOTS) {
            String promptName = shots + "-shot";
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < shots; i++) texts.add("two small red circles move to the left");
            String prompt = model.prompt(texts);
            int length = model.tokenizer().encodePrompt(prompt).length;
            int positions = model.config().text().positions();
            if (length + options.tokens() > positions) { // a model with a short context (a test model) cannot take it
                notMeasured.add(String.format(java.util.Locale.ROOT, "%s: a prompt of %d tokens plus %d new ones exceeds the model's %d positions",
                        promptName, length, options.tokens(), positions));
                continue;
            }
            for (int batch : options.batches()) {
                for (boolean cached : options.uncached() && batch == options.batches().get(0) ? new boolean[] {true, false} : new boolean[] {true}) {
                    List<GenerationRequest> reqs = new ArrayList<>();
                    for (int i = 0; i < batch; i++) {
                        List<Media> media = new ArrayList<>(examples.subList(0, shots));
                        media.add(clips.get(i));
                        reqs.add(new GenerationRequest(prompt, media, DecodingOptions.greedy(options.tokens()).exactly(options.tokens())));
                    }
                    Case c = new Case(promptName, batch, cached);
                    pieces.put(c.key(), () -> model.generate(reqs, cached, TokenListener.NONE));
                    cases.add(c);
                }
            }
        }
        Map<String, Timer.Timing> timed = Timer.interleaved(pieces, options.warmupSeconds(), options.runs());

        double msPerFrame = timed.get(VISION).medianMs() / visionBatch;
        List<Generation> gens = new ArrayList<>();
        Map<String, Double> cacheSpeedup = new LinkedHashMap<>();
        Map<String, Double> batchSpeedup = new LinkedHashMap<>();
        int first = options.batches().get(0);
        for (Case c : cases) {
            Timer.Timing t = timed.get(c.key());
            int batch = c.batch();
            Generation g = new Generation(c.prompt(), batch, c.cached(), t.medianMs(), t.medianMs() / options.tokens(),
                    t.minMs() / options.tokens(), 1000.0 * batch * options.tokens() / t.medianMs(), 1000.0 * batch / t.medianMs());
            gens.add(g);
            double batch1Ms = timed.get(new Case(c.prompt(), first, true).key()).medianMs();
            if (!g.cached()) cacheSpeedup.put(g.prompt() + " batch " + batch, g.msPerBatch() / batch1Ms);
            else if (batch != first)
                batchSpeedup.put(g.prompt() + " batch " + batch, g.tokensPerSecond() / (1000.0 * first * options.tokens() / batch1Ms));
        }
        long total = model.block().parameterCounts().values().stream().mapToLong(Long::longValue).sum();
        return new Result(model.config().name() + " " + model.config().version(), total, model.block().parameterCounts(),
                ModelDevice.describe(model.device()), model.dtype().label(), java.lang.Runtime.getRuntime().availableProcessors(), JniUtils.getNumThreads(), options.warmupSeconds(), options.runs(),
                loadMs, fileBytes, 1000.0 / msPerFrame, msPerFrame, timed.get(RESAMPLER).medianMs(), gens, cacheSpeedup, batchSpeedup, notMeasured);
    }

    private static final String VISION = "vision";
    private static final String RESAMPLER = "resampler";
    private static final int[] SHOTS = {0, 4};
    private static final int MAX_SHOTS = java.util.Arrays.stream(SHOTS).max().orElse(0);

    /** One generation measurement to make: its prompt, batch size and whether the caches are used. */
    private record Case(String prompt, int batch, boolean cached) {
        String key() {
            return prompt + " batch " + batch + (cached ? " cached" : " uncached");
        }
    }

    private void resampleOnce(Media clip) {
        try (var m = model.manager().newSubManager()) {
            int f = clip.frames().size();
            VisionFeatures first = clip.frames().get(0);
            float[] all = new float[f * first.values().length];
            for (int i = 0; i < f; i++) System.arraycopy(clip.frames().get(i).values(), 0, all, i * first.values().length, first.values().length);
            model.block().resample(m.create(all, new ai.djl.ndarray.types.Shape(1, f, first.patches(), first.dim()))).toFloatArray();
        }
    }

    /** Frames of a small moving scene at the model's resolution; each seed gives another colour, height and size. */
    static List<BufferedImage> frames(int n, int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Color colour = new Color(r.nextInt(256), 60, 60);
        int top = size / 6 + r.nextInt(Math.max(1, size / 2));
        int diameter = Math.max(1, size / 8 + r.nextInt(Math.max(1, size / 8)));
        List<BufferedImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.DARK_GRAY);
            g.fillRect(0, 0, size, size);
            g.setColor(colour);
            g.fillOval(i * size / (n + 2), top, diameter, diameter);
            g.dispose();
            out.add(img);
        }
        return out;
    }
}
