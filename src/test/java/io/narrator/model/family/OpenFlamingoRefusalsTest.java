package io.narrator.model.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.checkpoint.Tensor;
import io.narrator.model.checkpoint.WeightMismatchException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad inputs to an OpenFlamingo import, through {@link ModelImport#run} as {@code narrator model import openflamingo} runs
 * it: one line naming the file, the key or the tensor, and nothing left in the output directory. Also the one case that
 * is not an error but a documented choice: a checkpoint without the trained embeddings takes the language model's first
 * rows, as {@code resize_token_embeddings} keeps them when it shrinks a table.
 */
class OpenFlamingoRefusalsTest {
    @TempDir Path tmp;

    static final Path ROOT = FlamingoFixtures.dir("openflamingo");
    static final Path CKPT_3B = ROOT.resolve("OpenFlamingo-3B-vitl-mpt1b/checkpoint.pt");
    static final Path MPT_1B = ROOT.resolve("mpt-1b-redpajama-200b");
    static final Path VISION = ROOT.resolve("vision/open_clip_pytorch_model.bin");

    private static ImportSources sources(Path release, Path checkpoint, Path lm, Path vision) {
        return new ImportSources(release, checkpoint, lm, vision, null, null, null, null, null, null);
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refused(ImportSources sources) {
        Path out = tmp.resolve("out");
        var thrown = assertThatThrownBy(() -> ModelImport.run(CheckpointFamilies.of("openflamingo"), sources, out, SafeTensors.Precision.F32,
                SafeTensors.Progress.NONE));
        thrown.isInstanceOf(IOException.class).satisfies(e -> assertThat(e.getMessage()).as("one line").doesNotContain("\n"));
        assertThat(out).as("nothing is left behind").doesNotExist();
        return thrown;
    }

    @Test
    void missingInputsAreNamedWithWhatTheyShouldBe() {
        refused(sources(ROOT, CKPT_3B, MPT_1B, VISION)).hasMessageStartingWith("openflamingo takes no DIR: give the released checkpoint.pt as --checkpoint");
        refused(sources(null, null, MPT_1B, VISION)).hasMessageStartingWith("openflamingo needs --checkpoint: the release's checkpoint.pt");
        refused(sources(null, CKPT_3B, null, VISION)).hasMessageStartingWith("openflamingo needs --lm: the language model's repository");
        refused(sources(null, CKPT_3B, MPT_1B, null)).hasMessageStartingWith("openflamingo needs --vision: open_clip's ViT-L-14 weights");
        refused(sources(null, ROOT, MPT_1B, VISION)).hasMessage("--checkpoint " + ROOT + " is a directory; it must be a file "
                + "(the release's checkpoint.pt (e.g. openflamingo/OpenFlamingo-3B-vitl-mpt1b))");
        refused(new ImportSources(null, CKPT_3B, MPT_1B, VISION, null, null, null, null, null, "last_hidden_state"))
                .hasMessageStartingWith("--vision-features must be patches_before_post_layernorm (open_clip 2.16–2.22, what OpenFlamingo was trained on) or patches");
        refused(new ImportSources(null, CKPT_3B, MPT_1B, VISION, null, null, null, 5, null, null))
                .hasMessageEndingWith("the resampler's projections are 32 wide, which 5 heads do not divide; give --perceiver-heads");
    }

    @Test
    void aCheckpointForAnotherLanguageModelSaysWhereItsCrossAttentionSits() {
        Path ckpt4b = ROOT.resolve("OpenFlamingo-4B-vitl-rpj3b/checkpoint.pt");
        refused(sources(null, ckpt4b, MPT_1B, VISION)).hasMessage(ckpt4b + ": cross-attention blocks sit before decoder layers [1, 3], but the "
                + "language model of " + MPT_1B.resolve("config.json") + " has 3 layers, which would have them before [1] (every 2nd): is the "
                + "checkpoint for this language model?");
        Path ckpt9b = ROOT.resolve("OpenFlamingo-9B-vitl-mpt7b/checkpoint.pt");
        refused(sources(null, ckpt9b, MPT_1B, VISION)).hasMessageStartingWith(ckpt9b + ": cross-attention blocks sit before decoder layers [3, 7]");
    }

    @Test
    void aPickleWithAForeignGlobalIsRefusedByName() throws IOException {
        Path foreign = FlamingoFixtures.dir("pytorch").resolve("foreign_global.bin");
        refused(sources(null, foreign, MPT_1B, VISION)).hasMessage("refusing to load posix.system from " + foreign
                + ": only tensors and state dicts are read");
        Path lm = FlamingoFixtures.copyWithout(MPT_1B, tmp, "pytorch_model.bin");
        Files.copy(foreign, lm.resolve("pytorch_model.bin"));
        refused(sources(null, CKPT_3B, lm, VISION)).hasMessage("refusing to load posix.system from " + lm.resolve("pytorch_model.bin")
                + ": only tensors and state dicts are read");
    }

    @Test
    void aTruncatedFileIsRefusedNamingIt() throws IOException {
        Path ckpt = tmp.resolve("checkpoint.pt");
        byte[] whole = Files.readAllBytes(CKPT_3B);
        Files.write(ckpt, Arrays.copyOf(whole, whole.length / 2));
        refused(sources(null, ckpt, MPT_1B, VISION)).hasMessageStartingWith(ckpt + ": not a readable zip archive (truncated or corrupt?)");
        Path mpt7b = ROOT.resolve("mpt-7b");
        Path shards = FlamingoFixtures.copyWithout(mpt7b, tmp, "pytorch_model-00002-of-00003.bin");
        byte[] shard = Files.readAllBytes(mpt7b.resolve("pytorch_model-00002-of-00003.bin"));
        Files.write(shards.resolve("pytorch_model-00002-of-00003.bin"), Arrays.copyOf(shard, shard.length - 100));
        refused(sources(null, ROOT.resolve("OpenFlamingo-9B-vitl-mpt7b/checkpoint.pt"), shards, VISION))
                .hasMessageStartingWith(shards.resolve("pytorch_model-00002-of-00003.bin") + ": not a readable zip archive (truncated or corrupt?)");
    }

    @Test
    void aWrongShapeNamesBothNamesAndBothShapes() throws IOException {
        String name = "lang_encoder.transformer.blocks.1.gated_cross_attn_layer.attn.to_out.weight";
        Path ckpt = checkpointWith("wrong-shape", t -> t.put(name, new Tensor(name, new long[] {32, 16}, new float[32 * 16])));
        refused(sources(null, ckpt, MPT_1B, VISION)).isInstanceOf(WeightMismatchException.class).satisfies(e -> {
            WeightMismatchException w = (WeightMismatchException) e;
            assertThat(w.missing()).isEmpty();
            assertThat(w.unexpected()).isEmpty();
            assertThat(w.misshapen()).containsExactly("tensor gated_cross_attn_layers.1.attn.to_out.weight (from " + name
                    + ") has shape [32, 16] but the config needs [32, 32]");
        });
    }

    @Test
    void missingAndUnexpectedTensorsOfAllThreeFilesAreListedTogether() throws IOException {
        Path ckpt = checkpointWith("missing", t -> {
            t.remove("lang_encoder.transformer.blocks.2.gated_cross_attn_layer.ff.3.weight");
            t.put("perceiver.extra.weight", new Tensor("perceiver.extra.weight", new long[] {2}, new float[2]));
        });
        Path lm = FlamingoFixtures.copyWithout(MPT_1B, tmp, "pytorch_model.bin");
        Map<String, Tensor> lmTensors;
        try (Checkpoint c = Checkpoint.open(MPT_1B.resolve("pytorch_model.bin"))) {
            lmTensors = new LinkedHashMap<>(c.readAll());
        }
        assertThat(lmTensors.remove("transformer.blocks.1.attn.q_ln.weight")).isNotNull();
        SafeTensors.write(lm.resolve("model.safetensors"), lmTensors.values(), SafeTensors.Precision.F32, Map.of());
        refused(sources(null, ckpt, lm, VISION)).isInstanceOf(WeightMismatchException.class).satisfies(e -> {
            WeightMismatchException w = (WeightMismatchException) e;
            assertThat(w.missing()).containsExactlyInAnyOrder(
                    "gated_cross_attn_layers.2.ff.3.weight (released as lang_encoder.transformer.blocks.2.gated_cross_attn_layer.ff.3.weight)",
                    "transformer.blocks.1.attn.q_ln.weight");
            assertThat(w.unexpected()).containsExactly("perceiver.extra.weight in " + ckpt);
            assertThat(w.misshapen()).isEmpty();
        });
    }

    @Test
    void theVisionFileMustBeOpenClipsAndAFileWithoutCrossAttentionIsNoCheckpoint() throws IOException {
        Path timm = tmp.resolve("timm.safetensors");
        SafeTensors.write(timm, List.of(new Tensor("patch_embed.proj.weight", new long[] {2, 3, 1, 1}, new float[6])), SafeTensors.Precision.F32, Map.of());
        refused(sources(null, CKPT_3B, MPT_1B, timm)).hasMessage(timm + " holds timm's names (patch_embed.proj.weight, blocks.*); give open_clip's "
                + "file of the same repository: open_clip_pytorch_model.bin or open_clip_model.safetensors");
        refused(sources(null, VISION, MPT_1B, VISION)).hasMessageStartingWith(VISION + " holds no cross-attention blocks");
    }

    @Test
    void openAisTorchScriptViTIsRefusedNamingTheFileToGiveInstead() {
        Path script = FlamingoFixtures.dir("pytorch").resolve("torchscript.pt");
        refused(sources(null, CKPT_3B, MPT_1B, script)).hasMessageStartingWith(script + ": a TorchScript archive (torch.jit.save")
                .hasMessageEndingWith("e.g. open_clip_pytorch_model.bin of timm/vit_large_patch14_clip_224.openai for ViT-L-14");
    }

    @Test
    void languageModelSettingsNarratorDoesNotRunAreRefusedByKey() throws IOException {
        refused(sources(null, CKPT_3B, lmWith("clip", c -> c.put("attn_clip_qkv", 6.0)), VISION))
                .hasMessageEndingWith("\"attn_clip_qkv\" must be null (Narrator's MPT does not clip queries, keys and values), got 6.0");
        refused(sources(null, CKPT_3B, lmWith("llama", c -> c.put("model_type", "llama")), VISION))
                .hasMessageEndingWith("\"model_type\" is \"llama\"; OpenFlamingo's language models are mosaic_gpt (OpenFlamingo-3B), gpt_neox (4B) and mpt (9B)");
    }

    @Test
    void withoutTrainedEmbeddingsTheLanguageModelsFirstRowsAreKeptAsResizeTokenEmbeddingsKeepsThem() throws Exception {
        Map<String, Tensor> tensors;
        try (Checkpoint c = Checkpoint.open(CKPT_3B)) {
            tensors = new LinkedHashMap<>(c.readAll());
        }
        assertThat(tensors.remove("lang_encoder.transformer.wte.weight")).isNotNull();
        Path frozen = tmp.resolve("frozen-embeddings.safetensors");
        SafeTensors.write(frozen, tensors.values(), SafeTensors.Precision.F32, Map.of());
        Path out = tmp.resolve("shrunk");
        ModelImport.Result r = ModelImport.run(CheckpointFamilies.of("openflamingo"), sources(null, frozen, MPT_1B, VISION), out,
                SafeTensors.Precision.F32, SafeTensors.Progress.NONE);
        assertThat(r.notes()).contains("transformer.wte.weight: the language model's first 303 of 320 rows (the checkpoint has none; resized as "
                + "resize_token_embeddings shrinks a table)");
        try (Checkpoint lm = Checkpoint.open(MPT_1B.resolve("pytorch_model.bin")); Checkpoint written = ModelDirectory.of(out).weights()) {
            float[] all = lm.readFloats("transformer.wte.weight");
            assertThat(written.readFloats("transformer.wte.weight")).containsExactly(java.util.Arrays.copyOf(all, 303 * 32));
        }
    }

    /** The 3B fixture's checkpoint tensors, changed by {@code change}, as a safetensors file. */
    private Path checkpointWith(String name, Consumer<Map<String, Tensor>> change) throws IOException {
        Map<String, Tensor> tensors;
        try (Checkpoint c = Checkpoint.open(CKPT_3B)) {
            tensors = new LinkedHashMap<>(c.readAll());
        }
        change.accept(tensors);
        Path file = tmp.resolve(name + ".safetensors");
        SafeTensors.write(file, tensors.values(), SafeTensors.Precision.F32, Map.of());
        return file;
    }

    /** The 3B fixture's LM repository with its config changed. */
    private Path lmWith(String name, Consumer<ObjectNode> change) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        try (var files = Files.list(MPT_1B)) {
            for (Path f : (Iterable<Path>) files::iterator) Files.copy(f, dir.resolve(f.getFileName()));
        }
        ObjectNode c = (ObjectNode) FlamingoFixtures.JSON.readTree(dir.resolve("config.json").toFile());
        change.accept(c);
        FlamingoFixtures.JSON.writeValue(dir.resolve("config.json").toFile(), c);
        return dir;
    }
}
