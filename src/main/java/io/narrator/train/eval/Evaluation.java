package io.narrator.train.eval;

import io.narrator.model.FlamingoModel;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.vision.VisionFeatures;
import io.narrator.model.xattn.GatedCrossAttentionBlock;
import io.narrator.train.world.CaptionGrammar;
import io.narrator.train.world.CaptionParser;
import io.narrator.train.world.Event;
import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.ParsedCaption;
import io.narrator.train.world.Scene;
import io.narrator.train.world.Task;
import io.narrator.train.world.World;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Measures what makes Flamingo Flamingo on clips of scenes never used in training: accuracy per task per
 * number of in-context examples (the task is shown only by the examples), per-attribute accuracy of
 * 0-shot captions, the same captions with each clip's frames shuffled (does the model use time?), the
 * confusion of events, and the cross-attention gates.
 *
 * <p>Clips are rendered at 320×240 and sampled at 1 FPS over 8 seconds, as a camera stream would be.
 * A non-caption answer counts only if it is one of the task's own phrasings of the right value (a full
 * caption in reply to a colour task is wrong); a caption counts if shape, colour, count and event are all right.
 */
public final class Evaluation {
    /** Scene seeds of evaluation clips come from this stream, disjoint from every training stream. */
    static final long EVAL_SALT = 0x0E7A1_5EEDL;

    /** What to evaluate. */
    public record Options(List<Integer> shots, int clipsPerTask, long seed, int batch) {
        public Options {
            if (shots == null || shots.isEmpty()) throw new IllegalArgumentException("--shots needs at least one value");
            for (int s : shots) if (s < 0 || s > 16) throw new IllegalArgumentException("shots must be in [0, 16], got " + s);
            if (clipsPerTask < 1) throw new IllegalArgumentException("--clips must be positive, got " + clipsPerTask);
            if (batch < 1) throw new IllegalArgumentException("batch must be positive");
            shots = List.copyOf(shots);
        }
    }

    /** Accuracy of one task at one number of shots. */
    public record TaskAccuracy(String task, int shots, int clips, int correct, double accuracy) {}

    /** One generated answer, for the report's examples. */
    public record Sample(String task, int shots, String truth, String output, boolean correct) {}

    /** Everything measured. */
    public record Report(
            String model, long seed, int clipsPerTask, List<Integer> shots,
            List<TaskAccuracy> accuracy,
            Map<String, Double> captionAttributes,
            double captionAllAttributes,
            double temporalOrdered,
            double temporalShuffled,
            List<String> events,
            int[][] eventConfusion,
            List<float[]> gates,
            List<Sample> samples,
            double seconds) {

        /** Accuracy of {@code task} with {@code shots} examples, or NaN if not measured. */
        public double accuracy(Task task, int shots) {
            for (TaskAccuracy a : accuracy) if (a.task().equals(task.name()) && a.shots() == shots) return a.accuracy();
            return Double.NaN;
        }
    }

    private final FlamingoModel model;
    private final Options options;
    private final Consumer<String> progress;

    public Evaluation(FlamingoModel model, Options options, Consumer<String> progress) {
        this.model = model;
        this.options = options;
        this.progress = progress;
    }

    private record Query(Scene scene, Media media, Media shuffled) {}

    public Report run() {
        long start = System.nanoTime();
        SplittableRandom random = new SplittableRandom(options.seed() ^ EVAL_SALT);
        FrameRenderer renderer = new FrameRenderer(320, 240);
        int frames = model.config().perceiver().maxFrames();
        int maxShots = options.shots().stream().mapToInt(Integer::intValue).max().orElse(0);
        progress.accept("rendering and encoding " + options.clipsPerTask() + " query clips per task");
        List<Query> queries = new ArrayList<>();
        for (int i = 0; i < options.clipsPerTask(); i++) queries.add(query(renderer, random, frames, true));
        int examplePool = Math.max(2 * maxShots, maxShots == 0 ? 0 : 24);
        List<Query> examples = new ArrayList<>();
        for (int i = 0; i < examplePool; i++) examples.add(query(renderer, random, frames, false));

        List<TaskAccuracy> accuracy = new ArrayList<>();
        List<Sample> samples = new ArrayList<>();
        Map<String, Double> attributes = new LinkedHashMap<>();
        double all = Double.NaN;
        double ordered = Double.NaN;
        double shuffled = Double.NaN;
        List<Event> events = World.DEFAULT.events();
        int[][] confusion = new int[events.size()][events.size() + 1];
        for (Task task : Task.values()) {
            for (int shots : options.shots()) {
                progress.accept(String.format(Locale.ROOT, "%s with %d shot%s", task.name().toLowerCase(Locale.ROOT), shots, shots == 1 ? "" : "s"));
                List<GenerationRequest> requests = new ArrayList<>();
                for (int q = 0; q < queries.size(); q++) requests.add(request(task, shots, queries.get(q).media(), examples, random));
                List<GenerationResult> out = generate(requests);
                int correct = 0;
                for (int q = 0; q < queries.size(); q++) {
                    Scene scene = queries.get(q).scene();
                    String text = out.get(q).text();
                    boolean ok = correct(task, scene, text);
                    if (ok) correct++;
                    if (q < 3) samples.add(new Sample(task.name(), shots, CaptionGrammar.canonical(scene, task), text, ok));
                }
                accuracy.add(new TaskAccuracy(task.name(), shots, queries.size(), correct, (double) correct / queries.size()));
                if (task == Task.CAPTION && shots == 0) {
                    int[] right = new int[4];
                    int allRight = 0;
                    int eventRight = 0;
                    for (int q = 0; q < queries.size(); q++) {
                        Scene scene = queries.get(q).scene();
                        ParsedCaption p = CaptionParser.parse(out.get(q).text());
                        if (p.shapeCorrect(scene)) right[0]++;
                        if (p.colourCorrect(scene)) right[1]++;
                        if (p.countCorrect(scene)) right[2]++;
                        if (p.eventCorrect(scene)) {
                            right[3]++;
                            eventRight++;
                        }
                        if (p.isCorrect(Task.CAPTION, scene)) allRight++;
                        int predicted = p.event().map(events::indexOf).orElse(-1);
                        confusion[events.indexOf(scene.event())][predicted < 0 ? events.size() : predicted]++;
                    }
                    double n = queries.size();
                    attributes.put("shape", right[0] / n);
                    attributes.put("colour", right[1] / n);
                    attributes.put("count", right[2] / n);
                    attributes.put("event", right[3] / n);
                    all = allRight / n;
                    ordered = eventRight / n;
                    progress.accept("captions with each clip's frames shuffled");
                    List<GenerationRequest> shuffledRequests = new ArrayList<>();
                    for (Query q : queries) shuffledRequests.add(request(Task.CAPTION, 0, q.shuffled(), examples, random));
                    List<GenerationResult> shuffledOut = generate(shuffledRequests);
                    int shuffledRight = 0;
                    for (int q = 0; q < queries.size(); q++)
                        if (CaptionParser.parse(shuffledOut.get(q).text()).eventCorrect(queries.get(q).scene())) shuffledRight++;
                    shuffled = shuffledRight / n;
                }
            }
        }
        List<float[]> gates = new ArrayList<>();
        for (GatedCrossAttentionBlock b : model.block().crossAttentionLayers()) gates.add(b.gateValues());
        List<String> eventNames = new ArrayList<>();
        for (Event e : events) eventNames.add(e.name());
        return new Report(model.config().name() + " " + model.config().version(), options.seed(), options.clipsPerTask(), options.shots(),
                accuracy, attributes, all, ordered, shuffled, eventNames, confusion, gates, samples, (System.nanoTime() - start) / 1e9);
    }

    private List<GenerationResult> generate(List<GenerationRequest> requests) {
        List<GenerationResult> out = new ArrayList<>();
        for (int i = 0; i < requests.size(); i += options.batch())
            out.addAll(model.generate(requests.subList(i, Math.min(requests.size(), i + options.batch()))));
        return out;
    }

    private GenerationRequest request(Task task, int shots, Media query, List<Query> pool, SplittableRandom random) {
        List<String> texts = new ArrayList<>();
        List<Media> media = new ArrayList<>();
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < pool.size(); i++) order.add(i);
        Collections.shuffle(order, new java.util.Random(random.nextLong()));
        for (int i = 0; i < shots; i++) {
            Query e = pool.get(order.get(i));
            texts.add(CaptionGrammar.describe(e.scene(), task, random));
            media.add(e.media());
        }
        media.add(query);
        return new GenerationRequest(model.prompt(texts), media, DecodingOptions.beam(3, 20));
    }

    private Query query(FrameRenderer renderer, SplittableRandom random, int frames, boolean withShuffled) {
        Scene scene = World.DEFAULT.scene(random.nextLong(), frames * 1_000_000L);
        List<BufferedImage> images = new ArrayList<>();
        for (int f = 0; f < frames; f++) images.add(renderer.render(scene, f * 1_000_000L));
        List<VisionFeatures> features = model.encode(images);
        Media shuffled = null;
        if (withShuffled) {
            List<VisionFeatures> perm = new ArrayList<>(features);
            do Collections.shuffle(perm, new java.util.Random(random.nextLong()));
            while (perm.equals(features));
            shuffled = new Media(perm);
        }
        return new Query(scene, new Media(features), shuffled);
    }

    /** Whether {@code text} answers {@code task} rightly, in the task's own form. */
    public static boolean correct(Task task, Scene scene, String text) {
        if (task == Task.CAPTION) return CaptionParser.parse(text).isCorrect(Task.CAPTION, scene);
        String normal = text.trim().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        return CaptionGrammar.variants(scene, task).contains(normal);
    }
}
