package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.ingest.SampledMedia;
import io.narrator.ingest.TimedImage;
import io.narrator.model.FlamingoModel;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.generate.ScoreRequest;
import io.narrator.model.generate.ScoreResult;
import io.narrator.stream.ClipNarration;
import io.narrator.stream.ClipRequest;
import io.narrator.stream.FlamingoNarration;
import io.narrator.stream.GenerationSettings;
import io.narrator.train.world.WorldVideo;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenFlamingo-3B fixture (checkpoint.pt, the MosaicGPT repository, open_clip's ViT-L-14 file; see
 * checkpoints/openflamingo/README.md) imported with {@code narrator model import openflamingo} as a user types it, twice:
 * with the default, which reads a clip's latest frame (OpenFlamingo's training condition), and with
 * {@code --frames-per-media 0}, which reads all of a clip's frames through the resampler as one media item (the paper's
 * video path). Each model directory then runs with {@code --model DIR} in {@code caption} (a video through the clip
 * windows, as the streaming application makes them), {@code generate}, {@code score} and {@code model inspect}, checked
 * against the fixture's float64 reference where it has the case and against the model called directly where not.
 */
class OpenFlamingoCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] TAGS = {"<|endofchunk|>", "<image>", "<PAD>", "<|endoftext|>", "<|padding|>"};

    @TempDir static Path tmp;
    static Path fixtures;
    static Path latest;
    static Path every;
    static Path clip;
    static Path frames;
    static Cli.Result imported;
    static JsonNode reference;
    static JsonNode vision;

    @BeforeAll
    static void setUp() throws Exception {
        ProcessSetup.configure(); // as the CLI does, before PyTorch loads
        fixtures = Path.of(OpenFlamingoCommandsTest.class.getResource("/checkpoints/openflamingo/README.md").toURI()).getParent();
        reference = JSON.readTree(fixtures.resolve("reference/openflamingo-3b.json").toFile());
        vision = JSON.readTree(fixtures.resolve("reference/vision.json").toFile());
        latest = tmp.resolve("openflamingo-3b");
        imported = importThreeB(latest);
        assertThat(imported.exitCode()).as(imported.toString()).isZero();
        every = tmp.resolve("openflamingo-3b-every-frame");
        Cli.Result r = importThreeB(every, "--frames-per-media", "0", "--name", "openflamingo-3b-every-frame");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        clip = tmp.resolve("clip.mp4");
        new WorldVideo(3, 16, 5, 64, 48).write(clip);
        frames = Files.createDirectories(tmp.resolve("frames-F0-F2")); // the reference's three-frame media item V3, one frame a second
        for (String f : List.of("F0", "F1", "F2")) Files.copy(image(f), frames.resolve(f + ".png"));
    }

    static Cli.Result importThreeB(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("model", "import", "openflamingo",
                "--checkpoint", fixtures.resolve("OpenFlamingo-3B-vitl-mpt1b/checkpoint.pt").toString(),
                "--lm", fixtures.resolve("mpt-1b-redpajama-200b").toString(),
                "--vision", fixtures.resolve("vision/open_clip_pytorch_model.bin").toString(), "--out", out.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    /** A reference image by its name in vision.json. */
    static Path image(String name) {
        return fixtures.resolve("reference").resolve(vision.get("images").get(name).get("file").asText()).normalize();
    }

    static JsonNode prompt(String name) {
        for (JsonNode p : reference.get("prompts")) if (p.get("name").asText().equals(name)) return p;
        throw new AssertionError("no prompt " + name + " in the reference");
    }

    static long[] longs(JsonNode n) {
        long[] out = new long[n.size()];
        for (int i = 0; i < out.length; i++) out[i] = n.get(i).asLong();
        return out;
    }

    @Test
    void theImportWritesAModelDirectoryWithOpenFlamingosConventionsAndAProgressBar() throws Exception {
        assertThat(imported.outLines().get(0)).startsWith("imported openflamingo (openflamingo family) into " + latest + ": ")
                .endsWith(" bytes of f32 weights");
        assertThat(imported.out())
                .contains("language model: MosaicGPT (as MPT) from " + fixtures.resolve("mpt-1b-redpajama-200b/config.json")
                        + " (3 layers, width 32), cross-attention before every layer (3 blocks)")
                .contains("transformer.wte.weight: the checkpoint's trained 303 rows (the language model's own 320 left out)")
                .contains("frames per media: 1 (the latest: OpenFlamingo was trained on one frame per media)")
                .contains("vision features: patches_before_post_layernorm (the patch tokens before ln_post")
                .contains("tokenizer: ").contains("<|endofchunk|> = 300, <image> = 301, pad <PAD> = 302 (added)")
                .contains("run it with --model " + latest);
        assertThat(imported.err()).as("the progress bar").contains("import openflamingo").contains("MB");
        try (var files = Files.list(latest)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("config.json", "model.safetensors", "tokenizer.json");
        }
        JsonNode config = JSON.readTree(latest.resolve("config.json").toFile());
        assertThat(config.get("generation").get("text_separator").asText()).isEmpty();
        assertThat(config.get("generation").get("example_separator").asText()).isEqualTo("\n");
        assertThat(config.get("perceiver").get("frames_per_media").asInt()).isEqualTo(1);
        assertThat(JSON.readTree(every.resolve("config.json").toFile()).get("perceiver").has("frames_per_media"))
                .as("0 (every frame) is the default, left out").isFalse();
        JsonNode tokenizer = JSON.readTree(latest.resolve("tokenizer.json").toFile());
        List<String> added = new ArrayList<>();
        for (JsonNode t : tokenizer.get("added_tokens")) added.add(t.get("content").asText());
        assertThat(added).as("the tokenizer's own added tokens, then OpenFlamingo's").endsWith("<|endofchunk|>", "<image>", "<PAD>");

        Cli.Result inspect = Cli.run("model", "inspect", latest.toString(), "--device", "cpu");
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.out()).contains("openflamingo 1 (flamingo) from " + latest)
                .contains("source      imported from the openflamingo family (mpt-1b-redpajama-200b + open_clip ViT-L-14 (openai))")
                .contains("no temporal embeddings").contains("lm          MPT (ALiBi), vocabulary 303")
                .contains("generation  3 beams, up to 20 tokens, prompt 'Output:'");
    }

    /**
     * {@code generate} reads media as the streaming application does (sampled by the ingest engine, frames as JPEG), so it
     * is checked against the model called directly on those frames; the float64 reference of the same cases (image A, and
     * F0, F1, F2 as one media item) is matched from the decoded images in OpenFlamingoImportTest.
     */
    @Test
    void generateReadsAnImageAndAFolderOfFramesAsTheModelDoes() throws Exception {
        try (FlamingoModel l = FlamingoModel.load(latest); FlamingoModel e = FlamingoModel.load(every)) {
            JsonNode one = generate(latest, image("A"));
            assertThat(one.get("prompt").asText()).isEqualTo(prompt("zero_shot").get("text").asText()).isEqualTo("<image>Output:");
            assertThat(one.get("text").asText()).doesNotContain(TAGS);
            assertThat(longs(one.get("tokenIds"))).containsExactly(greedy(l, media(l, image("A"))).tokenIds());

            // the folder F0, F1, F2 is one clip of three frames, one a second: read whole with --frames-per-media 0 ...
            JsonNode all = generate(every, frames);
            GenerationResult allDirect = greedy(e, media(e, frames));
            assertThat(longs(all.get("tokenIds"))).containsExactly(allDirect.tokenIds());
            assertThat(all.get("totalLogProb").asDouble()).isCloseTo(allDirect.totalLogProb(), within(1e-4));
            // ... and by its latest frame by default: what the model says of F2 alone
            JsonNode last = generate(latest, frames);
            List<io.narrator.model.vision.VisionFeatures> read = media(l, frames).frames();
            assertThat(read).hasSize(3);
            GenerationResult f2 = greedy(l, new Media(read.subList(2, 3)));
            assertThat(longs(last.get("tokenIds"))).containsExactly(f2.tokenIds());
            assertThat(last.get("totalLogProb").asDouble()).isCloseTo(f2.totalLogProb(), within(1e-4))
                    .isNotCloseTo(allDirect.totalLogProb(), within(1e-3));
        }
    }

    private static JsonNode generate(Path model, Path media) throws Exception {
        Cli.Result r = Cli.run("generate", "--model", model.toString(), "--media", media.toString(), "--beams", "1", "--max-tokens", "8", "--json",
                "--device", "cpu");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return JSON.readTree(r.out());
    }

    /** A CLIP as the commands read it: sampled by the ingest engine at 1 FPS, all its frames one media item. */
    private static Media media(FlamingoModel m, Path clip) {
        return new Media(m.encode(SampledMedia.readAll(clip.toString(), 1).stream().map(TimedImage::image).toList()));
    }

    private static GenerationResult greedy(FlamingoModel m, Media media) {
        return m.generate(List.of(new GenerationRequest("<image>Output:", List.of(media), DecodingOptions.greedy(8)))).get(0);
    }

    @Test
    void scoreReadsTheTextStraightAfterOutputAsOpenFlamingosExamplesAre() throws Exception {
        Cli.Result r = Cli.run("score", "--model", latest.toString(), "--media", image("A").toString(), "--text", "a cat", "--json", "--device", "cpu");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode n = JSON.readTree(r.out());
        assertThat(n.get("prompt").asText()).isEqualTo("<image>Output:");
        try (FlamingoModel m = FlamingoModel.load(latest)) {
            long[] ids = new long[n.get("tokens").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = n.get("tokens").get(i).get("id").asLong();
            assertThat(ids).as("'a cat' without a leading space, as in <image>Output:a cat<|endofchunk|>").containsExactly(m.tokenizer().encode("a cat"));
            // the reference's few-shot prompt holds "Output:a cat" after image B: the same tokens
            JsonNode fewShot = prompt("few_shot");
            List<Long> promptIds = java.util.Arrays.stream(longs(fewShot.get("input_ids"))).boxed().toList();
            List<Long> scored = java.util.Arrays.stream(ids).boxed().toList();
            long[] outputA = m.tokenizer().encode("Output:a cat");
            assertThat(java.util.Collections.indexOfSubList(promptIds, java.util.Arrays.stream(outputA).boxed().toList())).isNotNegative();
            assertThat(java.util.Arrays.copyOfRange(outputA, outputA.length - ids.length, outputA.length)).as("'a cat' after 'Output:'")
                    .containsExactly(ids);
            assertThat(java.util.Collections.indexOfSubList(promptIds, scored)).isNotNegative();
            ScoreResult direct = m.score(List.of(new ScoreRequest("<image>Output:", List.of(media(m, image("A"))), "a cat"))).get(0);
            for (int i = 0; i < ids.length; i++)
                assertThat(n.get("tokens").get(i).get("logProb").asDouble()).isCloseTo(direct.logProbs()[i], within(1e-5));
        }
    }

    @Test
    void captionReadsEachWindowsLatestFrameByDefaultAndAllItsFramesAsOneMediaWhenAsked() throws Exception {
        List<TimedImage> video = SampledMedia.readAll(clip.toString(), 1);
        List<JsonNode> byLatest = caption(latest);
        List<JsonNode> byAll = caption(every);
        // frames at 0..15 s, 8 s windows every 4 s: windows end at 4, 8, 12 and (flushed at the end) 16 s, with all their frames
        for (List<JsonNode> captions : List.of(byLatest, byAll)) {
            assertThat(captions).extracting(c -> c.get("windowEndMicros").asLong()).containsExactly(4_000_000L, 8_000_000L, 12_000_000L, 16_000_000L);
            assertThat(captions).extracting(c -> c.get("frameTimestamps").size()).containsExactly(4, 8, 8, 8);
        }
        try (FlamingoModel l = FlamingoModel.load(latest); FlamingoNarration latestNarration = new FlamingoNarration(l);
                FlamingoModel e = FlamingoModel.load(every); FlamingoNarration everyNarration = new FlamingoNarration(e)) {
            for (int i = 0; i < byLatest.size(); i++) {
                List<BufferedImage> window = window(byLatest.get(i), video);
                String at = "window ending at " + byLatest.get(i).get("windowEndMicros");
                // the default model: what it says of the window's latest frame alone
                ClipNarration lastFrame = narrate(latestNarration, window.subList(window.size() - 1, window.size()));
                assertCaption(byLatest.get(i), lastFrame, "openflamingo", at + ", latest frame");
                // --frames-per-media 0: what it says of all the window's frames as one media item, which is not the latest frame's
                ClipNarration allFrames = narrate(everyNarration, window);
                assertCaption(byAll.get(i), allFrames, "openflamingo-3b-every-frame", at + ", every frame");
                assertThat(narrate(everyNarration, window.subList(window.size() - 1, window.size())).logProb()).as(at)
                        .isNotEqualTo(allFrames.logProb());
            }
        }
    }

    private static List<JsonNode> caption(Path model) throws Exception {
        Cli.Result r = Cli.run("caption", clip.toString(), "--model", model.toString(), "--format", "json", "--device", "cpu");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        List<JsonNode> out = new ArrayList<>();
        for (String line : r.outLines()) out.add(JSON.readTree(line));
        return out;
    }

    private static List<BufferedImage> window(JsonNode caption, List<TimedImage> video) {
        List<BufferedImage> window = new ArrayList<>();
        for (JsonNode t : caption.get("frameTimestamps"))
            window.add(video.stream().filter(f -> f.timeMicros() == t.asLong()).findFirst().orElseThrow().image());
        return window;
    }

    private static ClipNarration narrate(FlamingoNarration n, List<BufferedImage> frames) {
        ClipNarration r = n.narrate(List.of(new ClipRequest("clip.mp4", n.encodeFrames(frames), List.of(), null, GenerationSettings.DEFAULT))).get(0);
        assertThat(r.error()).isNull();
        return r;
    }

    private static void assertCaption(JsonNode caption, ClipNarration direct, String model, String what) {
        assertThat(caption.get("error").isNull()).as("%s: %s", what, caption).isTrue();
        assertThat(caption.get("modelName").asText()).isEqualTo(model);
        String text = caption.get("text").asText();
        assertThat(text).as(what).isEqualTo(text.strip()).doesNotContain(TAGS).isEqualTo(direct.text());
        assertThat(caption.get("logProb").asDouble()).as(what).isCloseTo(direct.logProb(), within(1e-3));
    }
}
