package io.narrator.train.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.nn.Attention;
import io.narrator.train.data.TrainingFrames;
import io.narrator.train.world.ObjectState;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Size;
import io.narrator.train.world.World;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntConsumer;

/**
 * Linear probes on a model's frozen vision features: how much of a frame's shape, colour and object count a linear
 * classifier ({@link SoftmaxRegression}) reads from the last layer of the ViT, pooled four ways. This is what the
 * Perceiver Resampler has to work with, so it tells a vision stage that has not learnt an attribute (the caption can
 * then not name it, whatever stage 3 does) from a stage 3 that has not learnt to read it.
 *
 * <p>A fifth probe reads position: the column of a patch token (one at random per frame) from the token itself. The
 * resampler adds no position of its own, so a patch token that does not carry where it is leaves motion unreadable.
 *
 * <p>Frames come from the world as the vision stage sees them (random aspect ratio and scale, a random moment of an
 * 8-second scene, at least one object visible), from a seed stream no training stage uses; {@link Scenes} can narrow
 * them to one part of the world (small objects only, say) to see where an attribute is lost. The first
 * {@link Settings#trainFrames()} fit the probes; the accuracies are on the next {@link Settings#heldOutFrames()}.
 */
public final class FeatureProbe {
    /** Probe frames come from this stream, disjoint from the training and evaluation streams. */
    static final long PROBE_SALT = 0x9B0BE_F3A7L;
    private static final int BATCH = 64;

    /** What a probe reads. */
    public enum Attribute {
        SHAPE("shape", io.narrator.train.world.Shape.values().length),
        COLOUR("colour", io.narrator.train.world.Colour.values().length),
        COUNT("count", Scene.MAX_COUNT);

        private final String label;
        private final int classes;

        Attribute(String label, int classes) {
            this.label = label;
            this.classes = classes;
        }

        public String label() {
            return label;
        }

        int classes() {
            return classes;
        }

        /** The class of a frame of {@code scene} showing {@code visible} objects. */
        int of(Scene scene, int visible) {
            return switch (this) {
                case SHAPE -> scene.shape().ordinal();
                case COLOUR -> scene.colour().ordinal();
                case COUNT -> visible - 1;
            };
        }
    }

    /** How the ViT's last-layer tokens become one feature vector per frame. */
    public enum Pooling {
        CLASS_TOKEN("class token"),
        MEAN_PATCH("mean patch token"),
        MAX_PATCH("max-pooled patch tokens"),
        OBJECT_PATCH("patch under the first object");

        private final String label;

        Pooling(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * Which scenes the frames come from: every scene of the world (as the vision stage draws them), or the part of it
     * where one attribute of the scene is fixed, to see where an attribute is lost (small objects, textured
     * backgrounds, several objects).
     */
    public enum Scenes {
        ALL("every scene"),
        SMALL("small objects only"),
        LARGE("large objects only"),
        PLAIN("plain backgrounds only"),
        TEXTURED("textured backgrounds only"),
        SINGLE("one object only"),
        /** What half of every vision-stage batch is ({@link World#EASY}). */
        EASY("one large still object on a plain background");

        private final String label;

        Scenes(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** The world the frames are drawn from. */
        public World world() {
            World w = World.DEFAULT;
            return switch (this) {
                case ALL -> w;
                case SMALL -> w.withSizes(Size.SMALL);
                case LARGE -> w.withSizes(Size.LARGE);
                case PLAIN -> w.withTexturedFraction(0.0);
                case TEXTURED -> w.withTexturedFraction(1.0);
                case SINGLE -> w.withCounts(1);
                case EASY -> World.EASY;
            };
        }
    }

    /** How many frames fit the probes and how many score them, the seed of the frames, and the scenes they show. */
    public record Settings(int trainFrames, int heldOutFrames, long seed, Scenes scenes) {
        public static final Settings DEFAULT = new Settings(4096, 1024, 77, Scenes.ALL);

        public Settings {
            if (trainFrames < 16) throw new IllegalArgumentException("--frames must be at least 16, got " + trainFrames);
            if (heldOutFrames < 16) throw new IllegalArgumentException("--held-out must be at least 16, got " + heldOutFrames);
            if (scenes == null) throw new IllegalArgumentException("the probe's scenes must be given");
        }

        /** Frames of every scene. */
        public Settings(int trainFrames, int heldOutFrames, long seed) {
            this(trainFrames, heldOutFrames, seed, Scenes.ALL);
        }
    }

    /**
     * Held-out accuracy per attribute and pooling; {@code majority} is the share of the commonest class among the
     * held-out frames (what always answering it would score); {@code patchColumn} the accuracy of the column probe
     * (chance 1/{@code columns}).
     */
    public record Report(String model, Settings settings, Map<Attribute, Map<Pooling, Double>> accuracy,
            Map<Attribute, Double> majority, double patchColumn, int columns, double seconds) {
        public double accuracy(Attribute attribute, Pooling pooling) {
            return accuracy.get(attribute).get(pooling);
        }
    }

    private FeatureProbe() {}

    /** Encodes the frames, fits every probe and scores it; {@code progress} receives the frames encoded so far. */
    public static Report run(FlamingoModel model, Settings settings, IntConsumer progress) {
        long start = System.nanoTime();
        int n = settings.trainFrames() + settings.heldOutFrames();
        FlamingoConfig.Vision v = model.config().vision();
        int s = v.imageSize(), d = v.hiddenSize(), grid = s / v.patchSize(), tokens = grid * grid + 1;
        TrainingFrames frames = new TrainingFrames(s);
        SplittableRandom random = new SplittableRandom(settings.seed() ^ PROBE_SALT);
        Map<Pooling, float[][]> features = new EnumMap<>(Pooling.class);
        for (Pooling p : Pooling.values()) features.put(p, new float[n][]);
        Map<Attribute, int[]> labels = new EnumMap<>(Attribute.class);
        for (Attribute a : Attribute.values()) labels.put(a, new int[n]);
        float[][] patch = new float[n][];
        int[] column = new int[n];
        for (int first = 0; first < n; first += BATCH) {
            int b = Math.min(BATCH, n - first);
            float[] pixels = new float[b * 3 * s * s];
            int[] objectPatch = new int[b], randomPatch = new int[b];
            for (int i = 0; i < b; i++) {
                Scene scene;
                long t;
                do {
                    scene = settings.scenes().world().scene(random.nextLong(), 8_000_000L);
                    t = (long) (random.nextDouble() * 8_000_000L);
                } while (!scene.visibleAt(t));
                int[] size = frames.drawSize(random);
                BufferedImage image = frames.frame(scene, t, size);
                System.arraycopy(model.preprocessor().apply(image), 0, pixels, i * 3 * s * s, 3 * s * s);
                List<ObjectState> objects = scene.objectsAt(t);
                objectPatch[i] = patchUnder(objects.get(0), size[0], size[1], v);
                randomPatch[i] = random.nextInt(grid * grid);
                column[first + i] = randomPatch[i] % grid;
                for (Attribute a : Attribute.values()) labels.get(a)[first + i] = a.of(scene, objects.size());
            }
            float[] out;
            try (NDManager m = model.manager().newSubManager()) {
                NDArray input = Attention.inType(m.create(pixels, new Shape(b, 3, s, s)), model.block().dataType()); // (b, 3, S, S)
                NDArray all = model.block().vision().allTokens(input); // (b, P+1, D), in the model's dtype
                out = all.toFloatArray();
            }
            for (int i = 0; i < b; i++) {
                float[] cls = new float[d], mean = new float[d], max = new float[d], object = new float[d];
                Arrays.fill(max, Float.NEGATIVE_INFINITY);
                int base = i * tokens * d;
                System.arraycopy(out, base, cls, 0, d);
                for (int tkn = 1; tkn < tokens; tkn++)
                    for (int k = 0; k < d; k++) {
                        float x = out[base + tkn * d + k];
                        mean[k] += x / (tokens - 1);
                        max[k] = Math.max(max[k], x);
                    }
                System.arraycopy(out, base + (1 + objectPatch[i]) * d, object, 0, d);
                features.get(Pooling.CLASS_TOKEN)[first + i] = cls;
                features.get(Pooling.MEAN_PATCH)[first + i] = mean;
                features.get(Pooling.MAX_PATCH)[first + i] = max;
                features.get(Pooling.OBJECT_PATCH)[first + i] = object;
                patch[first + i] = Arrays.copyOfRange(out, base + (1 + randomPatch[i]) * d, base + (2 + randomPatch[i]) * d);
            }
            progress.accept(first + b);
        }
        int split = settings.trainFrames();
        // the 13 fits are independent: run them on the common pool, then collect
        Map<Attribute, Map<Pooling, CompletableFuture<Double>>> fits = new EnumMap<>(Attribute.class);
        for (Attribute a : Attribute.values()) {
            Map<Pooling, CompletableFuture<Double>> row = new EnumMap<>(Pooling.class);
            for (Pooling p : Pooling.values()) row.put(p, heldOutAsync(features.get(p), labels.get(a), a.classes(), split));
            fits.put(a, row);
        }
        CompletableFuture<Double> patchColumn = heldOutAsync(patch, column, grid, split);
        Map<Attribute, Map<Pooling, Double>> accuracy = new EnumMap<>(Attribute.class);
        Map<Attribute, Double> majority = new EnumMap<>(Attribute.class);
        fits.forEach((a, row) -> {
            Map<Pooling, Double> done = new EnumMap<>(Pooling.class);
            row.forEach((p, fit) -> done.put(p, fit.join()));
            accuracy.put(a, done);
            majority.put(a, majorityShare(Arrays.copyOfRange(labels.get(a), split, n), a.classes()));
        });
        return new Report(model.config().name() + " " + model.config().version(), settings, accuracy, majority,
                patchColumn.join(), grid, (System.nanoTime() - start) / 1e9);
    }

    /**
     * The index (row-major, from 0) of the patch under an object's centre in the model's input: the frame is
     * letterboxed (centred, scaled by the long side) or centre-cropped (scaled by the short side) to the model's square.
     */
    static int patchUnder(ObjectState o, int width, int height, FlamingoConfig.Vision v) {
        int s = v.imageSize(), grid = s / v.patchSize();
        double x, y;
        if (FlamingoConfig.Vision.LETTERBOX.equals(v.resizeMode())) {
            double scale = (double) s / Math.max(width, height);
            x = (s - Math.max(1, Math.round(width * scale))) / 2 + o.pixelX(width) * scale;
            y = (s - Math.max(1, Math.round(height * scale))) / 2 + o.pixelY(height) * scale;
        } else {
            double side = Math.min(width, height), scale = s / side;
            x = (o.pixelX(width) - (width - side) / 2) * scale;
            y = (o.pixelY(height) - (height - side) / 2) * scale;
        }
        int col = Math.min(grid - 1, Math.max(0, (int) (x / v.patchSize())));
        int row = Math.min(grid - 1, Math.max(0, (int) (y / v.patchSize())));
        return row * grid + col;
    }

    /** Fits a probe on the rows before {@code split} and scores it on the rest. */
    private static CompletableFuture<Double> heldOutAsync(float[][] x, int[] y, int classes, int split) {
        return CompletableFuture.supplyAsync(() -> SoftmaxRegression.fit(Arrays.copyOfRange(x, 0, split), Arrays.copyOfRange(y, 0, split), classes)
                .accuracy(Arrays.copyOfRange(x, split, x.length), Arrays.copyOfRange(y, split, y.length)));
    }

    private static double majorityShare(int[] labels, int classes) {
        int[] counts = new int[classes];
        for (int y : labels) counts[y]++;
        return (double) Arrays.stream(counts).max().orElse(0) / labels.length;
    }
}
