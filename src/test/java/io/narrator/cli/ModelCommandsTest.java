package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.ingest.SampledMedia;
import io.narrator.ingest.TimedImage;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.TinyModels;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.generate.ScoreRequest;
import io.narrator.model.generate.ScoreResult;
import io.narrator.train.world.ImageFileFormat;
import io.narrator.train.world.WorldVideo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code model inspect}, {@code model probe}, {@code generate} and {@code score}, checked against the model called directly. */
class ModelCommandsTest {
    @TempDir static Path dir;
    static Path modelDir;
    static Path video;
    static Path frames;
    static Path image;
    static FlamingoModel model;

    @BeforeAll
    static void setUp() throws Exception {
        ProcessSetup.configure(); // as the CLI does, before PyTorch loads
        modelDir = TestModels.imageSensitive(Files.createDirectories(dir.resolve("model")));
        video = dir.resolve("clip.mp4");
        new WorldVideo(21, 5, 5, 64, 48).write(video);
        frames = dir.resolve("frames");
        new WorldVideo(22, 3, 1, 64, 48).writeFrames(frames, ImageFileFormat.PNG);
        try (var files = Files.list(frames)) {
            image = files.filter(f -> f.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        }
        model = FlamingoModel.load(modelDir);
    }

    @AfterAll
    static void closeModel() {
        if (model != null) model.close();
    }

    static Media media(Path clip) {
        List<TimedImage> images = SampledMedia.readAll(clip.toString(), 1);
        return new Media(model.encode(images.stream().map(TimedImage::image).toList()));
    }

    @Test
    void inspectShowsAConvolutionalStem() throws Exception {
        FlamingoConfig stemmed = TinyModels.withConvStem(model.config(), 8, 16);
        Path stemDir = dir.resolve("stem");
        try (FlamingoModel m = FlamingoModel.random(stemmed, modelDir.resolve("tokenizer.json"), 5)) {
            m.save(stemDir, modelDir.resolve("tokenizer.json"), io.narrator.model.checkpoint.SafeTensors.Precision.F32);
        }
        Cli.Result text = Cli.run("model", "inspect", stemDir.toString());
        assertThat(text.exitCode()).as(text.toString()).isZero();
        assertThat(text.outLines().get(1)).isEqualTo(
                "vision      ViT 16x16 (center_crop), patch 4 (16 patches), conv stem 3→8→16, width 32, 2 layers, 4 heads");
    }

    @Test
    void inspectPrintsTheConfigParameterCountsPerPartAndTheGates() throws Exception {
        Cli.Result text = Cli.run("model", "inspect", modelDir.toString());
        assertThat(text.exitCode()).as(text.toString()).isZero();
        Map<String, Long> counts = model.block().parameterCounts();
        assertThat(text.outLines().get(0)).isEqualTo("tiny-test 0.0.1 (flamingo) from " + modelDir);
        assertThat(text.outLines().get(1)).isEqualTo("vision      ViT 16x16 (center_crop), patch 4 (16 patches), width 32, 2 layers, 4 heads");
        for (Map.Entry<String, Long> part : counts.entrySet())
            assertThat(text.out()).containsPattern("(?m)^  " + part.getKey() + " +" + String.format("%,d", part.getValue()) + "$");
        assertThat(text.out()).containsPattern("(?m)^  total +" + String.format("%,d", counts.values().stream().mapToLong(Long::longValue).sum()) + "$");
        assertThat(text.out()).contains("xattn 0 (LM 0)    0.7616    0.7616").contains("xattn 1 (LM 1)    0.7616    0.7616");

        Cli.Result json = Cli.run("model", "inspect", modelDir.toString(), "--json");
        assertThat(json.exitCode()).as(json.toString()).isZero();
        JsonNode n = new ObjectMapper().readTree(json.out());
        assertThat(n.at("/config/name").asText()).isEqualTo("tiny-test");
        assertThat(n.at("/config/vision/image_size").asInt()).isEqualTo(16);
        assertThat(n.at("/parameters/total").asLong()).isEqualTo(counts.values().stream().mapToLong(Long::longValue).sum());
        assertThat(n.get("gates")).hasSize(model.block().crossAttentionLayers().size());
        assertThat(n.at("/gates/1/tanhFfGate").asDouble()).isCloseTo(Math.tanh(1), within(1e-6));
    }

    @Test
    void probePrintsHeldOutAccuracyPerAttributeAndPooling() throws Exception {
        Cli.Result text = Cli.run("model", "probe", modelDir.toString(), "--frames", "64", "--held-out", "32", "--seed", "3");
        assertThat(text.exitCode()).as(text.toString()).isZero();
        assertThat(text.outLines().get(0)).isEqualTo("tiny-test 0.0.1 from " + modelDir + ": linear probes on the frozen vision features");
        assertThat(text.out()).containsPattern("(?m)^ +shape +colour +count$")
                .containsPattern("(?m)^class token( +\\d+\\.\\d%){3}$")
                .containsPattern("(?m)^patch under the first object( +\\d+\\.\\d%){3}$")
                .containsPattern("(?m)^commonest class \\(chance\\)( +\\d+\\.\\d%){3}$");
        assertThat(text.out()).containsPattern("(?m)^a patch token's own column, read from the token: \\d+\\.\\d% \\(4 columns, chance 25\\.0%\\)$");
        assertThat(text.err()).contains("encoded 96 of 96 frames");

        Cli.Result json = Cli.run("model", "probe", modelDir.toString(), "--frames", "64", "--held-out", "32", "--seed", "3", "--json");
        assertThat(json.exitCode()).as(json.toString()).isZero();
        JsonNode n = new ObjectMapper().readTree(json.out());
        assertThat(n.at("/model").asText()).isEqualTo("tiny-test 0.0.1");
        for (String attribute : List.of("shape", "colour", "count")) {
            assertThat(n.at("/accuracy/" + attribute).size()).isEqualTo(4);
            assertThat(n.at("/accuracy/" + attribute + "/class token").asDouble()).isBetween(0.0, 1.0);
            assertThat(n.at("/majority/" + attribute).asDouble()).isBetween(1 / 6.0, 1.0);
        }
        assertThat(n.at("/patchColumn/columns").asInt()).isEqualTo(4);
        assertThat(n.at("/patchColumn/accuracy").asDouble()).isBetween(0.0, 1.0);
        // the same frames and fits print the same figures
        assertThat(text.out()).contains(String.format(java.util.Locale.ROOT, "%7.1f%%", 100 * n.at("/accuracy/colour/mean patch token").asDouble()));

        Cli.Result bad = Cli.run("model", "probe", modelDir.toString(), "--frames", "4");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("--frames must be at least 16, got 4");
    }

    @Test
    void probeNarrowsItsFramesToOnePartOfTheWorld() throws Exception {
        Cli.Result small = Cli.run("model", "probe", modelDir.toString(), "--frames", "64", "--held-out", "32", "--seed", "3",
                "--scenes", "small", "--json");
        assertThat(small.exitCode()).as(small.toString()).isZero();
        assertThat(new ObjectMapper().readTree(small.out()).at("/scenes").asText()).isEqualTo("small");
        Cli.Result text = Cli.run("model", "probe", modelDir.toString(), "--frames", "64", "--held-out", "32", "--seed", "3", "--scenes", "EASY");
        assertThat(text.exitCode()).as(text.toString()).isZero();
        assertThat(text.outLines().get(1)).startsWith("64 frames to fit, 32 held out (seed 3), of one large still object on a plain background, ");
        // one object in every frame: always answering "one" is right every time
        assertThat(text.out()).containsPattern("(?m)^commonest class \\(chance\\) +\\d+\\.\\d% +\\d+\\.\\d% +100\\.0%$");

        Cli.Result bad = Cli.run("model", "probe", modelDir.toString(), "--scenes", "tiny");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("unknown scenes 'tiny': expected one of all, small, large, plain, textured, single, easy");
    }

    @Test
    void generatePrintsTheModelsContinuationOfThePromptAboutTheClips() throws Exception {
        String prompt = "<image>Output: a red circle<|endofchunk|><image>Output:";
        Cli.Result r = Cli.run("generate", "--model", modelDir.toString(), "--media", image.toString(), "--media", video.toString(),
                "--prompt", prompt, "--beams", "2", "--max-tokens", "6", "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        GenerationResult direct = model.generate(List.of(new GenerationRequest(prompt, List.of(media(image), media(video)), DecodingOptions.beam(2, 6)))).get(0);
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertThat(n.get("text").asText()).isEqualTo(direct.text());
        List<Long> ids = new ArrayList<>();
        n.get("tokenIds").forEach(id -> ids.add(id.asLong()));
        assertThat(ids).containsExactly(java.util.Arrays.stream(direct.tokenIds()).boxed().toArray(Long[]::new));
        assertThat(n.get("logProbs")).hasSize(direct.logProbs().length);
        assertThat(n.get("totalLogProb").asDouble()).isCloseTo(direct.totalLogProb(), within(1e-4));
        assertThat(n.get("stopReason").asText()).isEqualTo(direct.stopReason().name());

        Cli.Result plain = Cli.run("generate", "--model", modelDir.toString(), "--media", frames.toString(), "--beams", "1");
        assertThat(plain.exitCode()).as(plain.toString()).isZero();
        String greedy = model.generate(List.of(new GenerationRequest("<image>Output:", List.of(media(frames)), DecodingOptions.greedy(20)))).get(0).text();
        assertThat(plain.outLines()).containsExactly(greedy);
    }

    @Test
    void scorePrintsEachTokensLogProbabilityAndTheTotal() throws Exception {
        Cli.Result r = Cli.run("score", "--model", modelDir.toString(), "--media", video.toString(), "--text", "a red circle moves left", "--json");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        ScoreResult direct = model.score(List.of(new ScoreRequest("<image>Output:", List.of(media(video)), " a red circle moves left"))).get(0);
        JsonNode n = new ObjectMapper().readTree(r.out());
        assertThat(n.get("tokens")).hasSize(direct.tokens().length);
        for (int i = 0; i < direct.tokens().length; i++) {
            assertThat(n.at("/tokens/" + i + "/token").asText()).isEqualTo(direct.tokens()[i]);
            assertThat(n.at("/tokens/" + i + "/logProb").asDouble()).isCloseTo(direct.logProbs()[i], within(1e-5));
        }
        assertThat(n.get("totalLogProb").asDouble()).isCloseTo(direct.totalLogProb(), within(1e-4));

        Cli.Result table = Cli.run("score", "--model", modelDir.toString(), "--media", video.toString(), "--text", "a red circle moves left");
        assertThat(table.exitCode()).as(table.toString()).isZero();
        assertThat(table.outLines()).hasSize(direct.tokens().length + 2);
        assertThat(table.outLines().get(0)).matches("token +log-prob");
        assertThat(table.outLines().get(table.outLines().size() - 1)).startsWith("total").contains(String.format(java.util.Locale.ROOT, "%.4f", direct.totalLogProb()));
    }

    @Test
    void threadsSetsPyTorchsThreadsPerOpToOneUnlessTold() {
        int before = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        try {
            Cli.Result two = Cli.run("score", "--model", modelDir.toString(), "--media", image.toString(), "--text", "a red circle", "--threads", "2");
            assertThat(two.exitCode()).as(two.toString()).isZero();
            assertThat(ai.djl.pytorch.jni.JniUtils.getNumThreads()).isEqualTo(2);
            Cli.Result plain = Cli.run("score", "--model", modelDir.toString(), "--media", image.toString(), "--text", "a red circle");
            assertThat(plain.exitCode()).as(plain.toString()).isZero();
            assertThat(ai.djl.pytorch.jni.JniUtils.getNumThreads()).as("the default, unless ai.djl.pytorch.num_threads says otherwise")
                    .isEqualTo(Integer.getInteger("ai.djl.pytorch.num_threads", 1));
            assertThat(plain.out()).as("the same scores whatever the threads").isEqualTo(two.out());
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(before);
        }
    }

    @Test
    void errorsAreOneLineNamingTheProblem() {
        Cli.Result markers = Cli.run("generate", "--model", modelDir.toString(), "--media", video.toString(), "--prompt", "Output:");
        assertThat(markers.exitCode()).isEqualTo(1);
        assertThat(markers.errLines()).singleElement().asString()
                .contains("the prompt has 0 <image> marker(s) but 1 --media CLIP(s) were given");

        Cli.Result missing = Cli.run("score", "--model", modelDir.toString(), "--media", dir.resolve("gone.mp4").toString(), "--text", "a");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.errLines()).singleElement().asString().contains("video source not found").contains("gone.mp4");

        Cli.Result both = Cli.run("generate", "--model", modelDir.toString(), "--media", video.toString(), "--beams", "2", "--top-p", "0.5");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.errLines()).singleElement().asString().contains("mutually exclusive");

        Cli.Result topP = Cli.run("generate", "--model", modelDir.toString(), "--media", video.toString(), "--top-p", "1.5");
        assertThat(topP.exitCode()).isEqualTo(1);
        assertThat(topP.errLines()).singleElement().asString().contains("--top-p must be in (0, 1]");

        Cli.Result noMedia = Cli.run("score", "--model", modelDir.toString(), "--text", "a");
        assertThat(noMedia.exitCode()).isEqualTo(2);
        assertThat(noMedia.errLines()).singleElement().asString().contains("--media");

        Cli.Result threads = Cli.run("generate", "--model", modelDir.toString(), "--media", video.toString(), "--threads", "0");
        assertThat(threads.exitCode()).isEqualTo(1);
        assertThat(threads.errLines()).singleElement().asString().contains("--threads must be at least 1, got 0");

        Cli.Result inspect = Cli.run("model", "inspect", dir.resolve("nothing").toString());
        assertThat(inspect.exitCode()).isEqualTo(1);
        assertThat(inspect.errLines()).singleElement().asString().contains("model directory").contains("does not exist");
        assertThat(markers.err() + missing.err() + both.err() + topP.err() + noMedia.err() + threads.err() + inspect.err()).doesNotContain("\tat ");
    }
}
