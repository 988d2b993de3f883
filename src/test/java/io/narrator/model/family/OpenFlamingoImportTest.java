package io.narrator.model.family;

import static io.narrator.model.family.FlamingoFixtures.doubles;
import static io.narrator.model.family.FlamingoFixtures.longs;
import static io.narrator.model.family.FlamingoMiniImportTest.logProbs;
import static io.narrator.model.family.FlamingoMiniImportTest.maxAbs;
import static io.narrator.model.family.FlamingoMiniImportTest.resample;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.ModelDtype;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.DType;
import io.narrator.model.checkpoint.Float16;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.generate.TokenListener;
import io.narrator.model.vision.VisionFeatures;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * OpenFlamingo 3B, 4B and 9B in their released layouts (the tiny fixtures of src/test/python/openflamingo_fixtures.py under
 * checkpoints/openflamingo/: checkpoint.pt, the MosaicGPT / RedPajama (GPT-NeoX, F16) / MPT-7B (sharded) repositories,
 * open_clip's ViT-L-14 file, a training checkpoint) imported through {@link ModelImport} as {@code narrator model import
 * openflamingo} does, loaded with {@link FlamingoModel}, and compared with the fixtures' float64 reference: open_clip's
 * preprocessed pixels (exact, torchvision's crop rounding included), the patch tokens before ln_post and the resampled
 * visual tokens (within 1e-5), the prompts' token ids (exact), the log-probabilities of every prompt position over the
 * whole vocabulary (within 1e-4) and 8 greedy tokens (identical, cached and recomputed). The imports keep every frame of
 * a media item ({@code --frames-per-media 0}), as the reference's 3-frame item needs; the default (1) is checked on its own.
 */
class OpenFlamingoImportTest {
    static final double FEATURES_TOLERANCE = 1e-5;
    static final double TOKENS_TOLERANCE = 1e-5;
    static final double LOG_PROB_TOLERANCE = 1e-4;

    @TempDir static Path tmp;

    /** Measured maximum absolute differences per case, printed at the end (the figures the docs quote). */
    static final Map<String, double[]> MEASURED = new LinkedHashMap<>();

    static Path root() {
        return FlamingoFixtures.dir("openflamingo");
    }

    static JsonNode reference(String name) throws IOException {
        return FlamingoFixtures.JSON.readTree(Files.readString(root().resolve("reference").resolve(name)));
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("openflamingo-3b.json", "OpenFlamingo-3B-vitl-mpt1b/checkpoint.pt", "vision/open_clip_pytorch_model.bin"),
                Arguments.of("openflamingo-3b.json", "OpenFlamingo-3B-training/checkpoint_1.pt", "vision/open_clip_model.safetensors"),
                Arguments.of("openflamingo-4b.json", "OpenFlamingo-4B-vitl-rpj3b/checkpoint.pt", "vision/open_clip_model.safetensors"),
                Arguments.of("openflamingo-9b.json", "OpenFlamingo-9B-vitl-mpt7b/checkpoint.pt", "vision"),
                Arguments.of("openflamingo-4b-variant.json", "OpenFlamingo-4B-variant-pythia-style/checkpoint.pt", "vision/open_clip_pytorch_model.bin"));
    }

    /** Imports a fixture family; {@code lmRepo} from the reference, the rest as given. */
    static Path importFixture(JsonNode ref, String checkpoint, String vision, Integer framesPerMedia, String features, Path out) throws IOException {
        ImportSources sources = new ImportSources(null, root().resolve(checkpoint), root().resolve(ref.get("lm_repo").asText()), root().resolve(vision),
                null, framesPerMedia, null, null, null, features);
        ModelImport.run(CheckpointFamilies.of("openflamingo"), sources, out, SafeTensors.Precision.F32, SafeTensors.Progress.NONE);
        return out;
    }

    @ParameterizedTest(name = "{1} with {2}")
    @MethodSource("cases")
    void anImportedFixtureComputesWhatTheReferenceDoes(String reference, String checkpoint, String vision) throws Exception {
        JsonNode ref = reference(reference);
        String label = checkpoint + " + " + vision;
        Path out = importFixture(ref, checkpoint, vision, 0, null, tmp.resolve("import-" + label.replaceAll("[^A-Za-z0-9]", "-")));
        JsonNode visionRef = reference("vision.json");
        try (FlamingoModel model = FlamingoModel.load(ModelDirectory.of(out), Device.cpu(), ModelDtype.F32)) {
            double[] diffs = new double[5]; // pixels (compared for equality), features, visual tokens, log-probs, next-token log-probs
            Map<String, VisionFeatures> frames = new HashMap<>();
            for (var e : visionRef.get("images").properties()) {
                JsonNode image = e.getValue();
                BufferedImage img = ImageIO.read(root().resolve("reference").resolve(image.get("file").asText()).toFile());
                float[] pixels = model.preprocessor().apply(img);
                assertThat(java.util.Arrays.mismatch(pixels, expectedPixels(visionRef, image)))
                        .as("%s: image %s: first pixel value differing from open_clip's preprocessing", label, e.getKey()).isEqualTo(-1);
                VisionFeatures f = model.encodePixels(pixels, 1).get(0);
                diffs[1] = Math.max(diffs[1], maxAbs(f.values(), doubles(image.get("patch_tokens"))));
                frames.put(e.getKey(), f);
            }
            assertThat(diffs[1]).as("%s: vision features (patch tokens before ln_post) max |difference|", label).isLessThanOrEqualTo(FEATURES_TOLERANCE);
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
                            DecodingOptions.greedy(greedy.length))), cached, TokenListener.NONE).get(0);
                    assertThat(r.tokenIds()).as("%s: greedy tokens (%s)", name, cached ? "cached" : "recomputed").containsExactly(greedy);
                }
            }
            assertThat(diffs[3]).as("%s: log-probabilities (every position, whole vocabulary) max |difference|", label)
                    .isLessThanOrEqualTo(LOG_PROB_TOLERANCE);
            assertThat(diffs[4]).as("%s: log-probabilities of the prompts' next tokens max |difference|", label).isLessThanOrEqualTo(LOG_PROB_TOLERANCE);
            MEASURED.put(label, diffs);
        }
    }

    @Test
    void theDefaultImportReadsTheLatestFrameAndWritesOpenFlamingosConventions() throws Exception {
        JsonNode ref = reference("openflamingo-4b.json");
        Path out = importFixture(ref, "OpenFlamingo-4B-vitl-rpj3b/checkpoint.pt", "vision/open_clip_pytorch_model.bin", null, null, tmp.resolve("default"));
        FlamingoConfig config = ModelDirectory.of(out).config();
        JsonNode special = ref.get("special_tokens");
        FlamingoConfig.SpecialTokens s = config.specialTokens();
        assertThat(new int[] {s.endOfChunk(), s.image(), s.pad(), s.eos()}).as("<|endofchunk|>, <image>, <PAD>, <|endoftext|>")
                .containsExactly(special.get("endofchunk").asInt(), special.get("media").asInt(), special.get("pad").asInt(), special.get("endoftext").asInt());
        assertThat(s.hasBos()).as("OpenFlamingo adds no BOS").isFalse();
        assertThat(s.trainable()).as("the checkpoint's embeddings are the trained ones: no separate rows").isEmpty();
        assertThat(s.banned()).as("OpenFlamingo's generate bans nothing").isEmpty();
        assertThat(config.text()).isInstanceOf(FlamingoConfig.GptNeox.class);
        assertThat(config.text().vocabSize()).as("embedding rows: the tokenizer's length with the three tokens").isEqualTo(special.get("tokenizer_len").asInt());
        assertThat(((FlamingoConfig.GptNeox) config.text()).parallelResidual()).as("RedPajama-INCITE: sequential residual").isFalse();
        assertThat(config.crossAttention().everyNLayers()).isEqualTo(ref.get("config").get("cross_attn_every_n_layers").asInt());
        assertThat(config.crossAttention().placement()).isEqualTo(FlamingoConfig.CrossAttention.LAST_OF_EVERY_N);
        assertThat(config.crossAttention().heads()).as("OpenFlamingo's default heads").isEqualTo(8);
        assertThat(config.perceiver().heads()).isEqualTo(8);
        assertThat(config.perceiver().maxFrames()).as("no temporal embeddings in the release").isZero();
        assertThat(config.perceiver().framesPerMedia()).as("frames per media by default: the training condition").isEqualTo(1);
        assertThat(config.vision().features()).isEqualTo(FlamingoConfig.Vision.PATCHES_BEFORE_POST_LAYERNORM);
        assertThat(config.vision().cropRounding()).isEqualTo(FlamingoConfig.Vision.HALF_EVEN);
        assertThat(config.source()).as("the LM repo's _name_or_path").isEqualTo(new FlamingoConfig.Source("openflamingo",
                "togethercomputer/RedPajama-INCITE-Base-3B-v1", "open_clip ViT-L-14 (openai)"));
        try (FlamingoModel model = FlamingoModel.load(out)) {
            JsonNode fewShot = null;
            for (JsonNode p : ref.get("prompts")) if (p.get("name").asText().equals("few_shot")) fewShot = p;
            assertThat(fewShot).isNotNull();
            String prompt = model.prompt(List.of("a cat", "two dogs"));
            assertThat(prompt).as("OpenFlamingo's few-shot captioning prompt").isEqualTo(fewShot.get("text").asText())
                    .isEqualTo("<image>Output:a cat<|endofchunk|>\n<image>Output:two dogs<|endofchunk|>\n<image>Output:");
            assertThat(model.tokenizer().encodePrompt(prompt)).containsExactly(longs(fewShot.get("input_ids")));
            assertThat(model.continuation("<image>Output:", " a cat ")).as("a scored text follows Output: as an example's does").isEqualTo("a cat");
            JsonNode images = reference("vision.json").get("images");
            List<VisionFeatures> frames = new ArrayList<>();
            for (String f : List.of("F0", "F1", "F2"))
                frames.add(model.encode(List.of(ImageIO.read(root().resolve("reference").resolve(images.get(f).get("file").asText()).toFile()))).get(0));
            assertThat(resample(model, new Media(frames))).as("a three-frame clip is read as its latest frame")
                    .containsExactly(resample(model, new Media(List.of(frames.get(2)))));
        }
    }

    @Test
    void patchTokensAfterLnPostAreTheDocumentedOption() throws Exception {
        JsonNode ref = reference("openflamingo-3b.json");
        JsonNode variant = ref.get("ln_post_variant");
        Path out = importFixture(ref, "OpenFlamingo-3B-vitl-mpt1b/checkpoint.pt", "vision", null, FlamingoConfig.Vision.PATCHES, tmp.resolve("ln-post"));
        try (FlamingoModel model = FlamingoModel.load(out)) {
            assertThat(model.config().vision().features()).isEqualTo(FlamingoConfig.Vision.PATCHES);
            JsonNode image = reference("vision.json").get("images").get(variant.get("media_items").get(0).asText());
            VisionFeatures f = model.encode(List.of(ImageIO.read(root().resolve("reference").resolve(image.get("file").asText()).toFile()))).get(0);
            assertThat(maxAbs(f.values(), doubles(image.get("patch_tokens_after_ln_post")))).isLessThanOrEqualTo(FEATURES_TOLERANCE);
            Media item = new Media(List.of(f));
            assertThat(maxAbs(resample(model, item), doubles(variant.get("visual_tokens")))).isLessThanOrEqualTo(TOKENS_TOLERANCE);
            JsonNode prompt = ref.get("prompts").get(0);
            assertThat(prompt.get("name").asText()).isEqualTo(variant.get("prompt").asText());
            long[] ids = model.tokenizer().encodePrompt(prompt.get("text").asText());
            double[][] logProbs = logProbs(model, ids, List.of(item));
            assertThat(maxAbs(logProbs[ids.length - 1], doubles(variant.get("last_log_probs")))).isLessThanOrEqualTo(LOG_PROB_TOLERANCE);
            for (int t = 0; t + 1 < ids.length; t++)
                assertThat(Math.abs(logProbs[t][(int) ids[t + 1]] - variant.get("token_log_probs").get(t).asDouble())).isLessThanOrEqualTo(LOG_PROB_TOLERANCE);
        }
    }

    /** MPT-7B's shards as safetensors with {@code model.safetensors.index.json} (as newer hub repos have them) import as its .bin shards do. */
    @Test
    void languageModelShardsAsSafetensorsImportAsTheBinShardsDo() throws Exception {
        JsonNode ref = reference("openflamingo-9b.json");
        Path repo = root().resolve(ref.get("lm_repo").asText());
        Path lm = Files.createDirectories(tmp.resolve("mpt-7b-safetensors"));
        com.fasterxml.jackson.databind.node.ObjectNode index = (com.fasterxml.jackson.databind.node.ObjectNode) FlamingoFixtures.JSON.readTree(
                repo.resolve("pytorch_model.bin.index.json").toFile());
        com.fasterxml.jackson.databind.node.ObjectNode map = (com.fasterxml.jackson.databind.node.ObjectNode) index.get("weight_map");
        Map<String, List<io.narrator.model.checkpoint.Tensor>> shards = new LinkedHashMap<>();
        for (var e : map.properties()) {
            String shard = e.getValue().asText();
            try (Checkpoint c = Checkpoint.open(repo.resolve(shard))) {
                shards.computeIfAbsent(shard.replace(".bin", ".safetensors").replace("pytorch_model", "model"), k -> new ArrayList<>())
                        .add(c.tensor(e.getKey()));
            }
            map.put(e.getKey(), shard.replace(".bin", ".safetensors").replace("pytorch_model", "model"));
        }
        assertThat(shards).hasSize(3);
        for (var e : shards.entrySet()) SafeTensors.write(lm.resolve(e.getKey()), e.getValue(), SafeTensors.Precision.F32, Map.of());
        FlamingoFixtures.JSON.writeValue(lm.resolve("model.safetensors.index.json").toFile(), index);
        try (Stream<Path> files = Files.list(repo)) {
            for (Path f : (Iterable<Path>) files::iterator)
                if (!f.getFileName().toString().startsWith("pytorch_model")) Files.copy(f, lm.resolve(f.getFileName()));
        }
        Path checkpoint = root().resolve("OpenFlamingo-9B-vitl-mpt7b/checkpoint.pt");
        Path fromBin = importFixture(ref, "OpenFlamingo-9B-vitl-mpt7b/checkpoint.pt", "vision", null, null, tmp.resolve("9b-bin"));
        Path fromSafetensors = tmp.resolve("9b-safetensors");
        ModelImport.Result r = ModelImport.run(CheckpointFamilies.of("openflamingo"), new ImportSources(null, checkpoint, lm, root().resolve("vision"),
                null, null, null, null, null, null), fromSafetensors, SafeTensors.Precision.F32, SafeTensors.Progress.NONE);
        assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains(lm.resolve("model.safetensors.index.json").toString()));
        try (Checkpoint a = ModelDirectory.of(fromBin).weights(); Checkpoint b = ModelDirectory.of(fromSafetensors).weights()) {
            assertThat(b.names()).containsExactlyElementsOf(a.names());
            for (String name : a.names()) assertThat(b.readFloats(name)).as(name).containsExactly(a.readFloats(name));
        }
    }

    /**
     * A language model released in bfloat16 (as mosaicml saves MPT) imported with {@code --precision bf16}: its tensors are
     * written bit for bit, the float32 ones rounded to nearest even, and the model loads them widened to float32.
     */
    @Test
    void aBfloat16LanguageModelIsKeptBitForBitAndWidenedOnLoad() throws Exception {
        JsonNode ref = reference("openflamingo-3b.json");
        Path repo = root().resolve(ref.get("lm_repo").asText());
        Path lm = Files.createDirectories(tmp.resolve("mpt-1b-bf16"));
        try (Stream<Path> files = Files.list(repo)) {
            for (Path f : (Iterable<Path>) files::iterator)
                if (!f.getFileName().toString().equals("pytorch_model.bin")) Files.copy(f, lm.resolve(f.getFileName()));
        }
        try (Checkpoint c = Checkpoint.open(repo.resolve("pytorch_model.bin"))) {
            SafeTensors.write(lm.resolve("model.safetensors"), c.readAll().values(), SafeTensors.Precision.BF16, Map.of());
        }
        Path checkpoint = root().resolve("OpenFlamingo-3B-vitl-mpt1b/checkpoint.pt");
        Path out = tmp.resolve("bf16");
        ModelImport.run(CheckpointFamilies.of("openflamingo"), new ImportSources(null, checkpoint, lm, root().resolve("vision"), null, null, null,
                null, null, null), out, SafeTensors.Precision.BF16, SafeTensors.Progress.NONE);
        try (Checkpoint source = Checkpoint.open(lm.resolve("model.safetensors")); Checkpoint released = Checkpoint.open(checkpoint);
                Checkpoint written = ModelDirectory.of(out).weights(); FlamingoModel model = FlamingoModel.load(ModelDirectory.of(out), Device.cpu(),
                        ModelDtype.F32)) {
            Map<String, float[]> loaded = new HashMap<>();
            for (io.narrator.model.checkpoint.Tensor t : io.narrator.model.checkpoint.ModelWeights.tensors(model.block())) loaded.put(t.name(), t.values());
            for (String name : written.names()) {
                assertThat(written.info(name).dtype()).as(name).isEqualTo(DType.BF16);
                assertThat(loaded.get(name)).as("%s: loaded as float32, exactly the file's values", name).containsExactly(written.readFloats(name));
            }
            int kept = 0;
            for (String name : source.names()) {
                if (!written.contains(name) || name.equals("transformer.wte.weight")) continue; // MosaicGPT names that are MPT's too
                assertThat(written.readFloats(name)).as("%s: the bfloat16 values bit for bit", name).containsExactly(source.readFloats(name));
                kept++;
            }
            assertThat(kept).as("decoder tensors compared").isGreaterThanOrEqualTo(9);
            float[] latents = released.readFloats("perceiver.latents");
            for (int i = 0; i < latents.length; i++) latents[i] = Float16.bf16ToFloat(Float16.bf16FromFloat(latents[i]));
            assertThat(written.readFloats("perceiver.latents")).as("float32 rounded to nearest even").containsExactly(latents);
        }
    }

    /**
     * A generated {@code <image>} is text to Narrator: the tokens after it keep attending to the prompt's last image.
     * OpenFlamingo's {@code generate()} re-conditions the media locations on the generated token alone, so it and every
     * later token attend to the first image (and in a batch, rows that did not generate one lose their image). Narrator
     * matches the reference up to the generated {@code <image>} and, by design, not after it.
     */
    @Test
    void aGeneratedMediaMarkerIsTextWhereOpenFlamingosGenerateSwitchesToTheFirstImage() throws Exception {
        JsonNode ref = reference("openflamingo-3b.json");
        JsonNode forced = ref.get("forced_generation");
        Path out = importFixture(ref, "OpenFlamingo-3B-vitl-mpt1b/checkpoint.pt", "vision/open_clip_pytorch_model.bin", null, null, tmp.resolve("forced"));
        try (FlamingoModel model = FlamingoModel.load(out)) {
            JsonNode images = reference("vision.json").get("images");
            List<Media> items = new ArrayList<>();
            for (JsonNode m : forced.get("media_items"))
                items.add(new Media(List.of(model.encode(List.of(ImageIO.read(root().resolve("reference").resolve(images.get(m.asText()).get("file").asText())
                        .toFile()))).get(0))));
            long[] prompt = model.tokenizer().encodePrompt(forced.get("text").asText());
            assertThat(prompt).containsExactly(longs(forced.get("input_ids")));
            long[] continuation = longs(forced.get("continuation"));
            double[][] rows = fedOneByOne(model, prompt, continuation, items); // (len + 1, W)
            int media = ref.get("special_tokens").get("media").asInt();
            int firstMedia = java.util.stream.IntStream.range(0, continuation.length).filter(i -> continuation[i] == media).findFirst().orElseThrow();
            for (int i = 0; i <= firstMedia; i++) // before the generated <image> is fed: the same distributions
                assertThat(maxAbs(rows[i], doubles(forced.get("log_probs").get(i)))).as("distribution %d", i).isLessThanOrEqualTo(LOG_PROB_TOLERANCE);
            for (int i = firstMedia + 1; i < rows.length; i++) // after it: OpenFlamingo attends to image 1, Narrator still to image 2
                assertThat(maxAbs(rows[i], doubles(forced.get("log_probs").get(i)))).as("distribution %d", i).isGreaterThan(1e-2);
        }
    }

    /** Log-softmax before each continuation token and after the last, the continuation fed through the cache as generated tokens. */
    static double[][] fedOneByOne(FlamingoModel model, long[] prompt, long[] continuation, List<Media> items) {
        io.narrator.model.Flamingo f = model.block();
        try (ai.djl.ndarray.NDManager m = model.manager().newSubManager()) {
            List<ai.djl.ndarray.NDArray> row = new ArrayList<>();
            for (Media item : items) row.add(FlamingoMiniImportTest.frames(m, item));
            io.narrator.model.FlamingoState state = f.start(m, f.visualTokens(m, List.of(row)), true);
            state.limitMediaTo(new int[] {prompt.length});
            double[][] out = new double[continuation.length + 1][];
            long[] next = prompt;
            for (int i = 0; i <= continuation.length; i++) {
                int[][] mask = {new int[next.length]};
                java.util.Arrays.fill(mask[0], 1);
                float[] logits = f.forward(m.create(next, new ai.djl.ndarray.types.Shape(1, next.length)), mask, state).toFloatArray(); // (1, T, W)
                int w = logits.length / next.length;
                out[i] = logSoftmax(logits, (next.length - 1) * w, w);
                if (i < continuation.length) next = new long[] {continuation[i]};
            }
            return out;
        }
    }

    static double[] logSoftmax(float[] logits, int offset, int w) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < w; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        for (int i = 0; i < w; i++) sum += Math.exp(logits[offset + i] - max);
        double log = max + Math.log(sum);
        double[] out = new double[w];
        for (int i = 0; i < w; i++) out[i] = logits[offset + i] - log;
        return out;
    }

    /**
     * open_clip's pixel values of an image: {@code pixel_values_chw} where the reference spells them out, else the crop's
     * 8-bit levels through the reference's per-channel table.
     */
    static float[] expectedPixels(JsonNode visionRef, JsonNode image) {
        if (image.has("pixel_values_chw")) return FlamingoFixtures.floats(image.get("pixel_values_chw"));
        float[] table = FlamingoFixtures.floats(visionRef.get("preprocessing").get("normalize_table")); // (256, 3)
        JsonNode crop = image.get("crop_uint8_hwc"); // (S, S, 3)
        int s = visionRef.get("preprocessing").get("size").asInt();
        float[] out = new float[3 * s * s];
        for (int y = 0; y < s; y++)
            for (int x = 0; x < s; x++)
                for (int c = 0; c < 3; c++) out[c * s * s + y * s + x] = table[crop.get((y * s + x) * 3 + c).asInt() * 3 + c];
        return out;
    }

    @AfterAll
    static void report() {
        System.out.println("OpenFlamingo import exactness (max |difference| from the float64 reference; pixels are compared for equality):");
        System.out.printf(Locale.ROOT, "%-80s %12s %12s %12s %12s%n", "case", "features", "visual", "log-probs", "next-token");
        MEASURED.forEach((k, d) -> System.out.printf(Locale.ROOT, "%-80s %12.3e %12.3e %12.3e %12.3e%n", k, d[1], d[2], d[3], d[4]));
    }
}
