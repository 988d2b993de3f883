package io.narrator.model.family;

import static io.narrator.model.family.FlamingoFixtures.doubles;
import static io.narrator.model.family.FlamingoFixtures.floats;
import static io.narrator.model.family.FlamingoFixtures.longs;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.narrator.model.Flamingo;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.FlamingoState;
import io.narrator.model.ModelDtype;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.nn.Attention;
import io.narrator.model.vision.VisionFeatures;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every flamingo-mini fixture layout imported through {@link ModelImport} as {@code narrator model import} does, the
 * result loaded with {@link FlamingoModel}, and compared with the float64 reference of
 * src/test/python/flamingo_fixtures.py: CLIP's preprocessed pixels of the reference images (exact), the vision
 * features (CLIP's last hidden state) and resampled visual tokens (within 1e-5), the prompts' token ids (exact), the
 * log-probabilities of every prompt position over the whole vocabulary (within 1e-4) and 8 greedy tokens (identical).
 * The imports keep every frame of a media item ({@code --frames-per-media 0}), as the reference's 2- and 3-frame items
 * need; the default (1) is checked on its own.
 */
class FlamingoMiniImportTest {
    static final double FEATURES_TOLERANCE = 1e-5;
    static final double TOKENS_TOLERANCE = 1e-5;
    static final double LOG_PROB_TOLERANCE = 1e-4;

    @TempDir static Path tmp;

    /** Measured maximum absolute differences per case, printed at the end (the figures the docs quote). */
    static final Map<String, double[]> MEASURED = new LinkedHashMap<>();

    static Stream<Arguments> layouts() {
        return Stream.of(
                Arguments.of("flamingo-tiny-layout", "opt-tiny-repo", "clip-repo", "model.safetensors"),
                Arguments.of("flamingo-tiny-layout", "opt-tiny-repo", "clip-repo", "pytorch_model.bin"),
                Arguments.of("flamingo-tiny-layout", "opt-tiny-repo", "clip-repo-today", "model.safetensors"),
                Arguments.of("flamingo-mini-layout", "opt-mini-repo", "clip-repo", "model.safetensors"),
                Arguments.of("flamingo-mini-layout", "opt-mini-repo", "clip-repo", "pytorch_model.bin"),
                Arguments.of("flamingo-mini-layout", "opt-mini-repo", "clip-repo-today", "model.safetensors"),
                Arguments.of("flamingo-later-save", "opt-tiny-repo", "clip-repo", "none"),
                Arguments.of("flamingo-later-save", "opt-tiny-repo", "clip-repo-today", "model.safetensors"));
    }

    /**
     * The CLIP folder with only the named weights file ({@code none}: config and preprocessor config only, as a later save
     * needs).
     */
    static Path clipDir(String clip, String weights) throws IOException {
        Path dir = FlamingoFixtures.dir(clip);
        List<String> leaveOut = new ArrayList<>(List.of("model.safetensors", "pytorch_model.bin"));
        leaveOut.remove(weights);
        leaveOut.removeIf(f -> !dir.resolve(f).toFile().exists());
        if (leaveOut.isEmpty()) return dir;
        Path copy = tmp.resolve(clip + "-only-" + weights);
        return copy.toFile().isDirectory() ? copy.resolve(dir.getFileName() + "-without-" + String.join("-", leaveOut))
                : FlamingoFixtures.copyWithout(dir, copy, leaveOut.toArray(String[]::new));
    }

    static Path importFixture(String release, String lm, String clip, String weights, Integer framesPerMedia, Path out)
            throws IOException {
        ImportSources sources = new ImportSources(FlamingoFixtures.dir(release), FlamingoFixtures.dir(lm), clipDir(clip, weights), null,
                framesPerMedia, null);
        ModelImport.run(CheckpointFamilies.of("flamingo-mini"), sources, out, SafeTensors.Precision.F32, SafeTensors.Progress.NONE);
        return out;
    }

    @ParameterizedTest(name = "{0} with {1} and {2} ({3})")
    @MethodSource("layouts")
    void anImportedFixtureComputesWhatTheReferenceDoes(String release, String lm, String clip, String weights) throws Exception {
        String label = release + " + " + clip + " (" + weights + ")";
        Path out = importFixture(release, lm, clip, weights, 0, tmp.resolve("import-" + release + "-" + clip + "-" + weights));
        JsonNode ref = FlamingoFixtures.reference(release.equals("flamingo-mini-layout") ? "flamingo-mini-layout.json" : "flamingo-tiny-layout.json");
        assertThat(ref.get("applies_to").toString()).as("the reference names the layout").contains(release);
        JsonNode clipRef = FlamingoFixtures.reference("clip.json");
        try (FlamingoModel model = FlamingoModel.load(ModelDirectory.of(out), Device.cpu(), ModelDtype.F32)) {
            double[] diffs = new double[5]; // pixels, features, visual tokens, log-probs, token log-probs
            Map<String, VisionFeatures> frames = new HashMap<>();
            for (var e : clipRef.get("images").properties()) {
                JsonNode image = e.getValue();
                BufferedImage img = ImageIO.read(FlamingoFixtures.root().resolve("reference").resolve(image.get("file").asText()).toFile());
                float[] pixels = model.preprocessor().apply(img);
                float[] expected = floats(image.get("pixel_values_chw"));
                assertThat(Arrays.mismatch(pixels, expected)).as("%s: image %s: first pixel value differing from CLIPImageProcessor's", label,
                        e.getKey()).isEqualTo(-1);
                VisionFeatures f = model.encodePixels(pixels, 1).get(0);
                diffs[1] = Math.max(diffs[1], maxAbs(f.values(), doubles(image.get("last_hidden_state"))));
                frames.put(e.getKey(), f);
            }
            assertThat(diffs[1]).as("%s: vision features (last_hidden_state) max |difference|", label).isLessThanOrEqualTo(FEATURES_TOLERANCE);
            Map<String, Media> media = new HashMap<>();
            for (var e : ref.get("media_items").properties()) {
                List<VisionFeatures> list = new ArrayList<>();
                for (JsonNode frame : e.getValue().get("frames")) list.add(frames.get(frame.asText()));
                Media item = new Media(list);
                media.put(e.getKey(), item);
                diffs[2] = Math.max(diffs[2], maxAbs(resample(model, item), doubles(e.getValue().get("visual_tokens"))));
            }
            assertThat(diffs[2]).as("%s: resampled visual tokens max |difference|", label).isLessThanOrEqualTo(TOKENS_TOLERANCE);
            for (JsonNode prompt : ref.get("prompts")) {
                String name = label + ": prompt " + prompt.get("name").asText();
                long[] ids = model.tokenizer().encodePrompt(prompt.get("text").asText());
                assertThat(ids).as("%s: token ids", name).containsExactly(longs(prompt.get("input_ids")));
                List<Media> items = new ArrayList<>();
                for (JsonNode m : prompt.get("media_items")) items.add(media.get(m.asText()));
                double[][] logProbs = logProbs(model, ids, items);
                for (int t = 0; t < ids.length; t++) {
                    diffs[3] = Math.max(diffs[3], maxAbs(logProbs[t], doubles(prompt.get("log_probs").get(t))));
                    if (t + 1 < ids.length)
                        diffs[4] = Math.max(diffs[4], Math.abs(logProbs[t][(int) ids[t + 1]] - prompt.get("token_log_probs").get(t).asDouble()));
                }
                long[] greedy = longs(prompt.get("greedy").get("tokens"));
                FlamingoConfig.SpecialTokens special = model.config().specialTokens();
                assertThat(greedy).as("%s: the reference's greedy tokens hold no stop token (Narrator stops at one)", name)
                        .doesNotContain((long) special.eos(), (long) special.endOfChunk());
                for (boolean cached : new boolean[] {true, false}) {
                    GenerationResult r = model.generate(List.of(new GenerationRequest(prompt.get("text").asText(), items,
                            DecodingOptions.greedy(greedy.length))), cached, io.narrator.model.generate.TokenListener.NONE).get(0);
                    assertThat(r.tokenIds()).as("%s: greedy tokens (%s)", name, cached ? "cached" : "recomputed").containsExactly(greedy);
                }
            }
            assertThat(diffs[3]).as("%s: log-probabilities (every position, whole vocabulary) max |difference|", label)
                    .isLessThanOrEqualTo(LOG_PROB_TOLERANCE);
            assertThat(diffs[4]).as("%s: log-probabilities of the prompts' next tokens max |difference|", label)
                    .isLessThanOrEqualTo(LOG_PROB_TOLERANCE);
            MEASURED.put(label, diffs);
        }
    }

    @org.junit.jupiter.api.Test
    void theDefaultImportReadsTheLatestFrameAndWritesFlamingoMinisConventions() throws Exception {
        Path out = importFixture("flamingo-tiny-layout", "opt-tiny-repo", "clip-repo", "model.safetensors", null, tmp.resolve("default"));
        FlamingoConfig config = ModelDirectory.of(out).config();
        assertThat(config.perceiver().framesPerMedia()).as("frames per media by default").isEqualTo(1);
        assertThat(config.perceiver().maxFrames()).as("temporal embeddings (time_pos_emb rows)").isEqualTo(4);
        assertThat(config.source()).isEqualTo(new FlamingoConfig.Source("flamingo-mini", "facebook/opt-125m", "openai/clip-vit-large-patch14"));
        assertThat(config.name()).isEqualTo("flamingo-mini");
        FlamingoConfig.SpecialTokens special = config.specialTokens();
        JsonNode ref = FlamingoFixtures.reference("flamingo-tiny-layout.json").get("special_tokens");
        assertThat(special.image()).isEqualTo(FlamingoConfig.SpecialTokens.NONE);
        assertThat(special.endOfChunk()).isEqualTo(ref.get("eoc").asInt());
        assertThat(special.mediaMarkers()).containsExactly(ref.get("media_location_ids").get(0).asInt(), ref.get("media_location_ids").get(1).asInt());
        assertThat(new int[] {special.bos(), special.eos(), special.pad()}).containsExactly(ref.get("bos").asInt(), ref.get("eos").asInt(),
                ref.get("pad").asInt());
        assertThat(special.trainable()).as("<EOC>'s row is the release's own embedding row").isEmpty();
        assertThat(special.banned()).as("flamingo-mini's generate bans nothing").isEmpty();
        assertThat(config.text().vocabSize()).as("embedding rows: the OPT's vocab_size + 1").isEqualTo(305);
        assertThat(config.crossAttention().placement()).isEqualTo(FlamingoConfig.CrossAttention.FIRST_OF_EVERY_N);
        assertThat(config.vision().features()).isEqualTo(FlamingoConfig.Vision.LAST_HIDDEN_STATE);
        try (FlamingoModel model = FlamingoModel.load(out)) {
            JsonNode fewShot = FlamingoFixtures.reference("flamingo-tiny-layout.json").get("prompts").get(1);
            assertThat(model.prompt(List.of("caption one", "caption two"))).as("the few-shot prompt format")
                    .isEqualTo(fewShot.get("text").asText());
            // a three-frame item is read as its latest frame alone
            JsonNode clip = FlamingoFixtures.reference("clip.json").get("images");
            List<VisionFeatures> frames = new ArrayList<>();
            for (String f : List.of("F0", "F1", "F2"))
                frames.add(model.encode(List.of(ImageIO.read(FlamingoFixtures.root().resolve("reference").resolve(clip.get(f).get("file").asText())
                        .toFile()))).get(0));
            assertThat(resample(model, new Media(frames))).containsExactly(resample(model, new Media(List.of(frames.get(2)))));
        }
    }

    @org.junit.jupiter.api.Test
    void aTokenizerJsonWithoutEocGetsItAtItsSize() throws Exception {
        Path file = tmp.resolve("opt-tokenizer.json"); // OPT's tokenizer as a tokenizer.json, without <EOC>
        io.narrator.model.tokenizer.ByteLevelBpeTokenizerFile.read(FlamingoFixtures.dir("opt-tiny-repo")).write(file);
        assertThat(java.nio.file.Files.readString(file)).doesNotContain("<EOC>");
        Path out = tmp.resolve("with-tokenizer-json");
        ModelImport.run(CheckpointFamilies.of("flamingo-tiny"), new ImportSources(FlamingoFixtures.dir("flamingo-tiny-layout"),
                FlamingoFixtures.dir("opt-tiny-repo"), FlamingoFixtures.dir("clip-repo"), file, null, null), out, SafeTensors.Precision.F32,
                SafeTensors.Progress.NONE);
        JsonNode ref = FlamingoFixtures.reference("flamingo-tiny-layout.json");
        try (FlamingoModel model = FlamingoModel.load(out)) {
            assertThat(model.config().specialTokens().endOfChunk()).isEqualTo(ref.get("special_tokens").get("eoc").asInt());
            for (JsonNode prompt : ref.get("prompts"))
                assertThat(model.tokenizer().encodePrompt(prompt.get("text").asText())).as(prompt.get("name").asText())
                        .containsExactly(longs(prompt.get("input_ids")));
        }
    }

    @org.junit.jupiter.api.Test
    void float16WritesEveryTensorRoundedToHalfPrecision() throws Exception {
        Path f32 = importFixture("flamingo-mini-layout", "opt-mini-repo", "clip-repo", "model.safetensors", null, tmp.resolve("f32"));
        Path f16 = tmp.resolve("f16");
        ModelImport.run(CheckpointFamilies.of("flamingo-mini"), new ImportSources(FlamingoFixtures.dir("flamingo-mini-layout"),
                FlamingoFixtures.dir("opt-mini-repo"), FlamingoFixtures.dir("clip-repo"), null, null, null), f16, SafeTensors.Precision.F16,
                SafeTensors.Progress.NONE);
        try (SafeTensors full = SafeTensors.open(f32.resolve("model.safetensors")); SafeTensors half = SafeTensors.open(f16.resolve("model.safetensors"))) {
            assertThat(half.names()).isEqualTo(full.names());
            for (String name : full.names()) {
                assertThat(half.info(name).dtype()).as(name).isEqualTo(io.narrator.model.checkpoint.DType.F16);
                float[] values = full.readFloats(name);
                float[] rounded = new float[values.length];
                for (int i = 0; i < values.length; i++)
                    rounded[i] = io.narrator.model.checkpoint.Float16.toFloat(io.narrator.model.checkpoint.Float16.fromFloat(values[i]));
                assertThat(half.readFloats(name)).as(name).containsExactly(rounded);
            }
        }
    }

    @AfterAll
    static void report() {
        System.out.println("flamingo-mini import exactness (max |difference| from the float64 reference; pixels are compared for equality):");
        System.out.printf(Locale.ROOT, "%-62s %12s %12s %12s %12s%n", "case", "features", "visual", "log-probs", "next-token");
        MEASURED.forEach((k, d) -> System.out.printf(Locale.ROOT, "%-62s %12.3e %12.3e %12.3e %12.3e%n", k, d[1], d[2], d[3], d[4]));
    }

    /** One media item's (V·Dv) visual tokens, resampled by the model. */
    static float[] resample(FlamingoModel model, Media item) {
        try (NDManager m = model.manager().newSubManager()) {
            return Attention.inType(model.block().resample(frames(m, item).expandDims(0)), ai.djl.ndarray.types.DataType.FLOAT32)
                    .toFloatArray(); // (1, V, Dv)
        }
    }

    /** A media item's frames as (F, P, Dv). */
    static NDArray frames(NDManager m, Media item) {
        int p = item.frames().get(0).patches();
        int d = item.frames().get(0).dim();
        float[] all = new float[item.frames().size() * p * d];
        for (int i = 0; i < item.frames().size(); i++) System.arraycopy(item.frames().get(i).values(), 0, all, i * p * d, p * d);
        return m.create(all, new Shape(item.frames().size(), p, d));
    }

    /** The log-softmax of every position's logits (T, W), in double, from one uncached forward pass. */
    static double[][] logProbs(FlamingoModel model, long[] ids, List<Media> items) {
        Flamingo f = model.block();
        try (NDManager m = model.manager().newSubManager()) {
            List<NDArray> row = new ArrayList<>();
            for (Media item : items) row.add(frames(m, item));
            FlamingoState state = f.start(m, f.visualTokens(m, List.of(row)), false);
            int[][] mask = new int[1][ids.length];
            Arrays.fill(mask[0], 1);
            float[] logits = Attention.inType(f.forward(m.create(ids, new Shape(1, ids.length)), mask, state),
                    ai.djl.ndarray.types.DataType.FLOAT32).toFloatArray(); // (1, T, W)
            int w = logits.length / ids.length;
            double[][] out = new double[ids.length][w];
            for (int t = 0; t < ids.length; t++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < w; i++) max = Math.max(max, logits[t * w + i]);
                double sum = 0;
                for (int i = 0; i < w; i++) sum += Math.exp(logits[t * w + i] - max);
                double log = max + Math.log(sum);
                for (int i = 0; i < w; i++) out[t][i] = logits[t * w + i] - log;
            }
            return out;
        }
    }

    static double maxAbs(float[] actual, double[] expected) {
        assertThat(actual).as("value count").hasSize(expected.length);
        double max = 0;
        for (int i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
        return max;
    }

    static double maxAbs(double[] actual, double[] expected) {
        assertThat(actual).as("value count").hasSize(expected.length);
        double max = 0;
        for (int i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
        return max;
    }
}
