package io.narrator.model.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.checkpoint.Tensor;
import io.narrator.model.checkpoint.WeightMismatchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input to a flamingo-mini import, through {@link ModelImport#run} as the command runs it: one line naming
 * the file, the key or the tensor and what is wrong, and nothing left in the output directory.
 */
class FlamingoMiniRefusalsTest {
    @TempDir Path tmp;

    static final Path TINY = FlamingoFixtures.dir("flamingo-tiny-layout");
    static final Path MINI = FlamingoFixtures.dir("flamingo-mini-layout");
    static final Path OPT_TINY = FlamingoFixtures.dir("opt-tiny-repo");
    static final Path OPT_MINI = FlamingoFixtures.dir("opt-mini-repo");
    static final Path CLIP = FlamingoFixtures.dir("clip-repo");

    /** Imports and expects a failure; checks it is one line and that the output directory was not left behind. */
    private AbstractThrowableAssert<?, ? extends Throwable> refused(Path release, Path lm, Path vision, Path tokenizer) {
        Path out = tmp.resolve("out");
        ImportSources sources = new ImportSources(release, lm, vision, tokenizer, null, null);
        var thrown = assertThatThrownBy(() -> ModelImport.run(CheckpointFamilies.of("flamingo-tiny"), sources, out, SafeTensors.Precision.F32,
                SafeTensors.Progress.NONE));
        thrown.isInstanceOf(IOException.class).satisfies(e -> assertThat(e.getMessage()).as("one line").doesNotContain("\n"));
        assertThat(out).as("nothing is left behind").doesNotExist();
        return thrown;
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refused(Path release) {
        return refused(release, OPT_TINY, CLIP, null);
    }

    /** A release folder: the tiny fixture's config (changed by {@code config}) and its tensors (changed by {@code tensors}) as safetensors. */
    private Path release(String name, Consumer<ObjectNode> config, Consumer<Map<String, Tensor>> tensors) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        ObjectNode c = (ObjectNode) FlamingoFixtures.JSON.readTree(TINY.resolve("config.json").toFile());
        config.accept(c);
        FlamingoFixtures.JSON.writeValue(dir.resolve("config.json").toFile(), c);
        Map<String, Tensor> all;
        try (Checkpoint ck = Checkpoint.open(TINY.resolve("pytorch_model.bin"))) {
            all = new LinkedHashMap<>(ck.readAll());
        }
        tensors.accept(all);
        SafeTensors.write(dir.resolve("model.safetensors"), all.values(), SafeTensors.Precision.F32, Map.of());
        return dir;
    }

    @Test
    void anUnknownFamilyNamesTheKnownOnes() {
        assertThatThrownBy(() -> CheckpointFamilies.of("flamingo-max"))
                .hasMessage("unknown checkpoint family 'flamingo-max': known families are flamingo-mini (also flamingo-tiny), openflamingo (also open-flamingo), narrator");
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path noConfig = FlamingoFixtures.copyWithout(TINY, tmp, "config.json");
        refused(noConfig).hasMessage(noConfig.resolve("config.json") + ": no such file (the release's configuration, as dhansmair/flamingo-mini has it)");
        Path noWeights = FlamingoFixtures.copyWithout(TINY, tmp, "pytorch_model.bin");
        refused(noWeights).hasMessage(noWeights + " holds no weights: looked for model.safetensors, model.safetensors.index.json, "
                + "pytorch_model.bin, pytorch_model.bin.index.json");
        Path noVocab = FlamingoFixtures.copyWithout(OPT_TINY, tmp, "vocab.json");
        refused(TINY, noVocab, CLIP, null).hasMessage(noVocab + " has no tokenizer: it holds neither tokenizer.json nor vocab.json and merges.txt");
        Path noPreprocessor = FlamingoFixtures.copyWithout(CLIP, tmp, "preprocessor_config.json");
        refused(TINY, OPT_TINY, noPreprocessor, null).hasMessage(noPreprocessor.resolve("preprocessor_config.json")
                + ": no such file (the CLIP repository's image preprocessing)");
        Path noClipWeights = FlamingoFixtures.copyWithout(CLIP, tmp, "pytorch_model.bin", "model.safetensors");
        refused(TINY, OPT_TINY, noClipWeights, null).hasMessage(noClipWeights + " holds no CLIP weights: looked for model.safetensors, "
                + "model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json; " + TINY.resolve("pytorch_model.bin")
                + " has no vision tower (flamingo.vision_encoder.*), so the CLIP repository's weights are needed");
        refused(TINY, OPT_TINY, null, null).hasMessageStartingWith("flamingo-mini needs --vision: the folder of the CLIP repository");
        refused(TINY, null, CLIP, null).hasMessageStartingWith("flamingo-mini needs --lm: the folder of the OPT repository");
        refused(TINY, OPT_TINY, tmp.resolve("nowhere"), null).hasMessageStartingWith("--vision " + tmp.resolve("nowhere") + ": no such directory");
    }

    @Test
    void aPickleWithAForeignGlobalIsRefusedByName() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("foreign"));
        Files.copy(TINY.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(FlamingoFixtures.dir("pytorch").resolve("foreign_global.bin"), dir.resolve("pytorch_model.bin"));
        refused(dir).hasMessage("refusing to load posix.system from " + dir.resolve("pytorch_model.bin") + ": only tensors and state dicts are read");
    }

    @Test
    void aTruncatedZipIsRefused() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("truncated"));
        Files.copy(TINY.resolve("config.json"), dir.resolve("config.json"));
        byte[] whole = Files.readAllBytes(TINY.resolve("pytorch_model.bin"));
        Files.write(dir.resolve("pytorch_model.bin"), Arrays.copyOf(whole, whole.length / 2));
        refused(dir).hasMessageStartingWith(dir.resolve("pytorch_model.bin") + ": not a readable zip archive (truncated or corrupt?)");
    }

    @Test
    void aWrongShapeNamesBothNamesAndBothShapes() throws IOException {
        Path dir = release("wrong-shape", c -> {}, t -> t.put("flamingo.resampler.latents",
                new Tensor("flamingo.resampler.latents", new long[] {4, 32}, new float[4 * 32])));
        refused(dir).isInstanceOf(WeightMismatchException.class).hasMessage(dir.resolve("model.safetensors") + " + "
                + CLIP.resolve("model.safetensors") + " does not fit the model its config describes (141 tensors): tensor perceiver.latents "
                + "(from flamingo.resampler.latents) has shape [4, 32] but the config needs [5, 32]");
    }

    @Test
    void missingAndUnexpectedTensorsAreListedTogether() throws IOException {
        Path dir = release("missing", c -> {}, t -> {
            t.remove("flamingo.lm.decoder.layers.2.xattn_block.alpha_attn");
            t.remove("flamingo.lm.decoder.layers.1.fc1.bias");
            t.put("flamingo.extra.weight", new Tensor("flamingo.extra.weight", new long[] {2}, new float[2]));
        });
        refused(dir).isInstanceOf(WeightMismatchException.class).satisfies(e -> {
            WeightMismatchException w = (WeightMismatchException) e;
            assertThat(w.missing()).containsExactly(
                    "model.decoder.layers.1.fc1.bias (released as flamingo.lm.decoder.layers.1.lm_block.fc1.bias or flamingo.lm.decoder.layers.1.fc1.bias)",
                    "gated_cross_attn_layers.2.attn_gate (released as flamingo.lm.decoder.layers.2.xattn_block.alpha_attn)");
            assertThat(w.unexpected()).containsExactly("flamingo.extra.weight in " + dir.resolve("model.safetensors"));
            assertThat(w.misshapen()).isEmpty();
        });
    }

    @Test
    void anUntiedHeadIsRefused() throws IOException {
        Path dir = release("untied", c -> {}, t -> {
            Tensor head = t.get("flamingo.lm_head.weight");
            float[] values = head.values().clone();
            values[40] += 1;
            t.put(head.name(), new Tensor(head.name(), head.shape(), values));
        });
        refused(dir).hasMessage(dir.resolve("model.safetensors") + ": flamingo.lm_head.weight differs from flamingo.lm.decoder.embed_tokens.weight "
                + "(first at value 40); the model ties its output head to the token embeddings, so an untied head cannot be imported");
    }

    @Test
    void configFieldsOutOfRangeAreNamed() throws IOException {
        Path zeroHeads = release("zero-heads", c -> c.put("resampler_heads", 0), t -> {});
        refused(zeroHeads).hasMessage(zeroHeads.resolve("config.json") + ": \"resampler_heads\" must be a positive integer, got 0");
        Path act = release("act", c -> c.put("xattn_act", "swish"), t -> {});
        refused(act).hasMessage(act.resolve("config.json") + ": \"xattn_act\" must be sqrelu, gelu or relu, got \"swish\"");
        Path every = release("every", c -> c.put("xattn_every", 7), t -> {});
        refused(every).hasMessage(every.resolve("config.json") + ": \"xattn_every\" must be at most the OPT's 3 layers, got 7");
        Path missing = release("no-depth", c -> c.remove("resampler_depth"), t -> {});
        refused(missing).hasMessage(missing.resolve("config.json") + ": has no \"resampler_depth\"");
        Path gpt2 = release("gpt2", c -> c.put("lm", "gpt2"), t -> {});
        refused(gpt2).hasMessage(gpt2.resolve("config.json") + ": \"lm\" is \"gpt2\"; only flamingo-mini's OPT-based releases are imported");
        Path notMini = Files.createDirectories(tmp.resolve("not-mini"));
        Files.copy(OPT_TINY.resolve("config.json"), notMini.resolve("config.json"));
        refused(notMini).hasMessage(notMini.resolve("config.json") + " is not a flamingo-mini config (it has no \"dim\" and no \"xattn_every\")");
    }

    @Test
    void lmAndVisionSizesMustMatchTheRelease() throws IOException {
        refused(MINI, OPT_TINY, CLIP, null).hasMessage(MINI.resolve("config.json") + ": \"dim\" is 40 but the OPT in "
                + OPT_TINY.resolve("config.json") + " has hidden_size 32 (the release was built on facebook/opt-350m)");
        Path visual = release("visual", c -> c.put("dim_visual", 64), t -> {});
        refused(visual).hasMessage(visual.resolve("config.json") + ": \"dim_visual\" is 64 but the CLIP in " + CLIP.resolve("config.json")
                + " has hidden_size 32 (the release was built on openai/clip-vit-large-patch14)");
        refused(TINY, CLIP, CLIP, null).hasMessage(CLIP.resolve("config.json") + ": \"model_type\" is \"clip\", not \"opt\": this family's "
                + "language model is an OPT (give --lm the folder of the OPT repository the release names, e.g. facebook/opt-350m)");
    }

    @Test
    void aPreprocessorNarratorCannotReproduceIsRefused() throws IOException {
        Path clip = FlamingoFixtures.copyWithout(CLIP, tmp, "preprocessor_config.json");
        ObjectNode p = (ObjectNode) FlamingoFixtures.JSON.readTree(CLIP.resolve("preprocessor_config.json").toFile());
        p.put("resample", 2);
        FlamingoFixtures.JSON.writeValue(clip.resolve("preprocessor_config.json").toFile(), p);
        refused(TINY, OPT_TINY, clip, null).hasMessage(clip.resolve("preprocessor_config.json") + ": \"resample\" must be 3 (bicubic, CLIP's filter), got 2");
        p.put("resample", 3).put("crop_size", 40);
        FlamingoFixtures.JSON.writeValue(clip.resolve("preprocessor_config.json").toFile(), p);
        refused(TINY, OPT_TINY, clip, null).hasMessage(clip.resolve("preprocessor_config.json") + ": resizes the shortest side to 42 and crops "
                + "40x40, but the vision model's image_size is 42; Narrator's preprocessing resizes and crops to the image size");
    }

    @Test
    void aTokenizerOfAnotherModelIsRefused() throws IOException {
        // a tokenizer.json of another vocabulary: OPT's ids shifted by one, and no special tokens (</s> is plain text to it)
        ObjectNode t = (ObjectNode) FlamingoFixtures.JSON.readTree(ImportTokenizer.withToken(
                io.narrator.model.tokenizer.ByteLevelBpeTokenizerFile.read(OPT_TINY).json(), "<EOC>", "test"));
        ObjectNode vocab = (ObjectNode) t.path("model").path("vocab");
        List<String> names = new ArrayList<>();
        vocab.fieldNames().forEachRemaining(names::add);
        for (String n : names) vocab.put(n, (vocab.get(n).asInt() + 1) % names.size());
        t.putArray("added_tokens");
        Path file = tmp.resolve("other-tokenizer.json");
        FlamingoFixtures.JSON.writeValue(file.toFile(), t);
        refused(TINY, OPT_TINY, CLIP, file).hasMessage(file + ": </s> is not one token but " + OPT_TINY.resolve("config.json")
                + " says eos_token_id 2: is this the OPT's own tokenizer?");
    }

    @Test
    void anOutputDirectoryInUseIsNotTouched() throws IOException {
        Path out = Files.createDirectories(tmp.resolve("used"));
        Files.writeString(out.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> ModelImport.run(CheckpointFamilies.of("flamingo-mini"), new ImportSources(TINY, OPT_TINY, CLIP, null, null, null),
                out, SafeTensors.Precision.F32, SafeTensors.Progress.NONE))
                .hasMessage("--out " + out + " is not empty; give a new or empty directory (nothing in it is overwritten)");
        assertThat(Files.readString(out.resolve("notes.txt"))).isEqualTo("mine");
    }

    @Test
    void optionsTheFamilyDoesNotUseAreRefused() {
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> ModelImport.run(CheckpointFamilies.of("narrator"), new ImportSources(TINY, OPT_TINY, CLIP, null, 2, null), out,
                SafeTensors.Precision.F32, SafeTensors.Progress.NONE))
                .hasMessage("narrator does not use --lm, --vision, --frames-per-media");
    }
}
