package io.narrator.bench;

import io.narrator.model.FlamingoModel;
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
 * produces exactly {@code tokens} tokens so that runs are comparable.
 */
public final class ModelBenchmark {

    /** What to measure and how long. */
    public record Options(int frames, int tokens, List<Integer> batches, int warmup, int runs, boolean uncached) {
        public Options {
            if (frames < 1 || tokens < 1 || batches.isEmpty() || runs < 1 || warmup < 0)
                throw new IllegalArgumentException("benchmark options must be positive");
            batches = List.copyOf(batches);
        }

        /** 8-frame clips, 20 tokens, batches 1, 8, 16 and 32, with the uncached reference. */
        public static Options standard() {
            return new Options(8, 20, List.of(1, 8, 16, 32), 2, 5, true);
        }

        /** A few seconds: for CI smoke runs. */
        public static Options smoke() {
            return new Options(2, 4, List.of(1, 2), 0, 1, true);
        }
    }

    /** One generation measurement. */
    public record Generation(String prompt, int batch, boolean cached, double msPerBatch, double msPerToken,
            double tokensPerSecond, double clipsPerSecond) {}

    /** All measurements, as written to JSON. */
    public record Result(String model, long parameters, Map<String, Long> parameterCounts, int threads, double loadMs, long fileBytes,
            double visionFramesPerSecond, double visionMsPerFrame, double resamplerMsPerClip, List<Generation> generation,
            Map<String, Double> cacheSpeedup, Map<String, Double> batchSpeedup) {}

    private final FlamingoModel model;
    private final String source;
    private final Options options;

    /**
     * @param model the loaded model to measure
     * @param source where it was loaded from (a directory or {@code bundled}): loading it again is timed
     */
    public ModelBenchmark(FlamingoModel model, String source, Options options) {
        this.model = model;
        this.source = source;
        this.options = options;
    }

    public Result run() throws java.io.IOException {
        // loading: the engine is already up (the model under test started it), so this is reading and checking the files
        Timer.Timing load = Timer.time(options.warmup() > 0 ? 1 : 0, Math.max(3, options.runs()), () -> {
            try (FlamingoModel again = FlamingoModel.load(source)) {
                again.config();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long fileBytes;
        try (java.io.InputStream in = ModelDirectory.of(source).open(ModelDirectory.WEIGHTS)) {
            fileBytes = in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        int s = model.config().vision().imageSize();
        List<BufferedImage> frames = frames(options.frames(), s);
        // vision: a batch of 32 frames (or the clip length, if larger)
        int visionBatch = Math.max(32, options.frames());
        List<BufferedImage> many = new ArrayList<>();
        for (int i = 0; i < visionBatch; i++) many.add(frames.get(i % frames.size()));
        float[] pixels = new float[visionBatch * 3 * s * s];
        for (int i = 0; i < visionBatch; i++) System.arraycopy(model.preprocessor().apply(many.get(i)), 0, pixels, i * 3 * s * s, 3 * s * s);
        Timer.Timing vision = Timer.time(options.warmup(), options.runs(), () -> model.encodePixels(pixels, visionBatch));
        double msPerFrame = vision.medianMs() / visionBatch;

        Media clip = new Media(model.encode(frames));
        Media image = new Media(model.encode(frames.subList(0, 1)));
        // resampler: one clip through the resampler alone (generation of 1 token minus prompt work is not separable;
        // time the block directly)
        Timer.Timing resampler = Timer.time(options.warmup(), Math.max(3, options.runs()), () -> resampleOnce(clip));

        List<Generation> gens = new ArrayList<>();
        Map<String, Double> cacheSpeedup = new LinkedHashMap<>();
        Map<String, Double> batchSpeedup = new LinkedHashMap<>();
        for (int shots : new int[] {0, 4}) {
            String promptName = shots + "-shot";
            List<String> examples = new ArrayList<>();
            List<Media> media = new ArrayList<>();
            for (int i = 0; i < shots; i++) {
                examples.add("two small red circles move to the left");
                media.add(image);
            }
            media.add(clip);
            String prompt = model.prompt(examples);
            Generation batch1 = null;
            for (int batch : options.batches()) {
                for (boolean cached : options.uncached() && batch == options.batches().get(0) ? new boolean[] {true, false} : new boolean[] {true}) {
                    List<GenerationRequest> reqs = new ArrayList<>();
                    for (int i = 0; i < batch; i++)
                        reqs.add(new GenerationRequest(prompt, media, DecodingOptions.greedy(options.tokens()).exactly(options.tokens())));
                    Timer.Timing t = Timer.time(options.warmup(), options.runs(), () -> model.generate(reqs, cached, TokenListener.NONE));
                    double perToken = t.medianMs() / options.tokens();
                    Generation g = new Generation(promptName, batch, cached, t.medianMs(), perToken,
                            1000.0 * batch * options.tokens() / t.medianMs(), 1000.0 * batch / t.medianMs());
                    gens.add(g);
                    if (batch == options.batches().get(0) && cached) batch1 = g;
                    if (!cached && batch1 != null) cacheSpeedup.put(promptName + " batch " + batch, g.msPerBatch() / batch1.msPerBatch());
                    if (cached && batch1 != null && batch != batch1.batch())
                        batchSpeedup.put(promptName + " batch " + batch, g.tokensPerSecond() / batch1.tokensPerSecond());
                }
            }
        }
        long total = model.block().parameterCounts().values().stream().mapToLong(Long::longValue).sum();
        return new Result(model.config().name() + " " + model.config().version(), total, model.block().parameterCounts(),
                java.lang.Runtime.getRuntime().availableProcessors(), load.medianMs(), fileBytes, 1000.0 / msPerFrame, msPerFrame, resampler.medianMs(), gens,
                cacheSpeedup, batchSpeedup);
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

    /** Frames of a small moving scene at the model's resolution. */
    static List<BufferedImage> frames(int n, int size) {
        SplittableRandom r = new SplittableRandom(1);
        List<BufferedImage> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.DARK_GRAY);
            g.fillRect(0, 0, size, size);
            g.setColor(new Color(r.nextInt(256), 60, 60));
            g.fillOval(i * size / (n + 2), size / 3, size / 5, size / 5);
            g.dispose();
            out.add(img);
        }
        return out;
    }
}
