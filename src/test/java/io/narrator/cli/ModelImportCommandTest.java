package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code narrator model import} on the flamingo-tiny fixture as a user types it: the model directory it writes works
 * with {@code --model} ({@code model inspect}, and {@code generate} gives the reference's greedy tokens for an image), a
 * progress bar on stderr, and one-line errors with exit code 1 (2 for a command line that cannot be understood).
 */
class ModelImportCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir static Path tmp;
    static Path fixtures;

    @BeforeAll
    static void setUp() throws Exception {
        ProcessSetup.configure();
        fixtures = Path.of(ModelImportCommandTest.class.getResource("/checkpoints/README.md").toURI()).getParent();
    }

    static Cli.Result importTiny(Path out, String... more) {
        List<String> args = new ArrayList<>(List.of("model", "import", "flamingo-tiny", fixtures.resolve("flamingo-tiny-layout").toString(),
                "--lm", fixtures.resolve("opt-tiny-repo").toString(), "--vision", fixtures.resolve("clip-repo").toString(), "--out", out.toString()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void theImportedModelRunsWithModel() throws Exception {
        Path out = tmp.resolve("flamingo-tiny");
        Cli.Result r = importTiny(out);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLines().get(0)).startsWith("imported flamingo-tiny (flamingo-mini family) into " + out + ": 141 tensors, ");
        assertThat(r.out()).contains("frames per media: 1 (the latest); flamingo-mini was trained on single images")
                .contains("flamingo.lm_head.weight: the same storage as flamingo.lm.decoder.embed_tokens.weight (a tied head): left out")
                .contains("run it with --model " + out);
        assertThat(r.err()).as("the progress bar").contains("import flamingo-tiny").contains("MB");
        assertThat(Files.list(out).map(p -> p.getFileName().toString()).sorted().toList())
                .containsExactly("config.json", "model.safetensors", "tokenizer.json");

        Cli.Result inspect = Cli.run("model", "inspect", out.toString());
        assertThat(inspect.exitCode()).as(inspect.toString()).isZero();
        assertThat(inspect.outLines().get(0)).isEqualTo("flamingo-tiny 1 (flamingo) from " + out);

        JsonNode ref = JSON.readTree(fixtures.resolve("reference").resolve("flamingo-tiny-layout.json").toFile()).get("prompts").get(0);
        Path image = fixtures.resolve("reference").resolve("images").resolve("a_45x30.png");
        Cli.Result gen = Cli.run("generate", "--model", out.toString(), "--media", image.toString(), "--beams", "1", "--max-tokens", "8", "--json");
        assertThat(gen.exitCode()).as(gen.toString()).isZero();
        JsonNode g = JSON.readTree(gen.out());
        assertThat(g.get("prompt").asText()).isEqualTo(ref.get("text").asText());
        assertThat(g.get("tokenIds")).as("greedy tokens of the reference's zero-shot prompt").isEqualTo(ref.get("greedy").get("tokens"));
    }

    @Test
    void float16AndFramesPerMediaAreWrittenAsAsked() throws Exception {
        Path out = tmp.resolve("half");
        Cli.Result r = importTiny(out, "--precision", "f16", "--frames-per-media", "3", "--name", "tiny-half");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLines().get(0)).contains("bytes of f16 weights");
        JsonNode config = JSON.readTree(out.resolve("config.json").toFile());
        assertThat(config.get("name").asText()).isEqualTo("tiny-half");
        assertThat(config.get("perceiver").get("frames_per_media").asInt()).isEqualTo(3);
        assertThat(config.get("source").get("family").asText()).isEqualTo("flamingo-mini");
    }

    @Test
    void bfloat16WeightsAreWrittenRoundedAndLoadAsFloat32() throws Exception {
        Path f32 = tmp.resolve("tiny-f32-for-bf16");
        assertThat(importTiny(f32).exitCode()).isZero();
        Path out = tmp.resolve("tiny-bf16");
        Cli.Result r = importTiny(out, "--precision", "bf16");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.outLines().get(0)).contains("bytes of bf16 weights");
        try (var full = io.narrator.model.checkpoint.Checkpoint.open(f32.resolve("model.safetensors"));
                var half = io.narrator.model.checkpoint.Checkpoint.open(out.resolve("model.safetensors"))) {
            assertThat(half.names()).containsExactlyElementsOf(full.names());
            for (String name : full.names()) {
                assertThat(half.info(name).dtype()).as(name).isEqualTo(io.narrator.model.checkpoint.DType.BF16);
                float[] expected = full.readFloats(name);
                for (int i = 0; i < expected.length; i++)
                    expected[i] = io.narrator.model.checkpoint.Float16.bf16ToFloat(io.narrator.model.checkpoint.Float16.bf16FromFloat(expected[i]));
                assertThat(half.readFloats(name)).as("%s: float32 rounded to nearest even bfloat16", name).containsExactly(expected);
            }
        }
        Cli.Result gen = Cli.run("generate", "--model", out.toString(), "--media",
                fixtures.resolve("reference").resolve("images").resolve("a_45x30.png").toString(), "--beams", "1", "--max-tokens", "4", "--json");
        assertThat(gen.exitCode()).as("a bf16 model directory runs (widened to f32 on load): %s", gen).isZero();
        Cli.Result dtype = Cli.run("generate", "--model", out.toString(), "--dtype", "bf16", "--prompt", "a");
        assertThat(dtype.exitCode()).isEqualTo(2);
        assertThat(dtype.err()).contains("bf16 is not available: DJL 0.36's PyTorch engine has no bfloat16 dtype");
    }

    @Test
    void badInputIsOneLineAndExitCodeOne() throws Exception {
        Cli.Result unknown = Cli.run("model", "import", "flamingo-max", tmp.toString(), "--out", tmp.resolve("x").toString());
        assertThat(unknown.exitCode()).isEqualTo(1);
        assertThat(unknown.errLines()).containsExactly("narrator: error: unknown checkpoint family 'flamingo-max': known families are "
                + "flamingo-mini (also flamingo-tiny), openflamingo (also open-flamingo), narrator");
        Path empty = Files.createDirectories(tmp.resolve("empty-release"));
        Cli.Result noConfig = Cli.run("model", "import", "flamingo-mini", empty.toString(), "--lm", fixtures.resolve("opt-tiny-repo").toString(),
                "--vision", fixtures.resolve("clip-repo").toString(), "--out", tmp.resolve("y").toString());
        assertThat(noConfig.exitCode()).isEqualTo(1);
        assertThat(noConfig.errLines()).containsExactly("narrator: error: " + empty.resolve("config.json")
                + ": no such file (the release's configuration, as dhansmair/flamingo-mini has it)");
        Cli.Result precision = importTiny(tmp.resolve("z"), "--precision", "f8");
        assertThat(precision.exitCode()).isEqualTo(2);
        assertThat(precision.errLines()).hasSize(1);
        assertThat(precision.err()).contains("unknown precision 'f8': expected f32, f16 or bf16");
        assertThat(tmp.resolve("z")).doesNotExist();
        assertThat(tmp.resolve("y")).doesNotExist();
    }
}
