package io.narrator.model.family;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Narrator's own layout is the identity family: an import writes the same config, tokenizer and tensors. */
class NarratorFamilyTest {
    @TempDir Path tmp;

    @Test
    void aNarratorModelDirectoryIsWrittenAgainUnchanged() throws Exception {
        Path source = Path.of(NarratorFamilyTest.class.getResource("/reference/flamingo-mini-style/config.json").toURI()).getParent();
        Path out = tmp.resolve("copy");
        ModelImport.Result r = ModelImport.run(CheckpointFamilies.of("narrator"), new ImportSources(source, null, null, null, null, null), out,
                SafeTensors.Precision.F32, SafeTensors.Progress.NONE);
        assertThat(r.config()).usingRecursiveComparison().isEqualTo(ModelDirectory.of(source).config());
        assertThat(ModelDirectory.of(out).config()).usingRecursiveComparison().isEqualTo(r.config());
        assertThat(Files.readString(out.resolve("tokenizer.json"))).isEqualTo(Files.readString(source.resolve("tokenizer.json")));
        Map<String, io.narrator.model.checkpoint.Tensor> before = SafeTensors.read(source.resolve("model.safetensors"));
        Map<String, io.narrator.model.checkpoint.Tensor> after = SafeTensors.read(out.resolve("model.safetensors"));
        before.remove("lm_head.weight"); // the tied head is left out, as loading ignores it
        assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
        before.forEach((name, t) -> assertThat(after.get(name).values()).as(name).containsExactly(t.values()));
        try (SafeTensors st = SafeTensors.open(out.resolve("model.safetensors"))) {
            assertThat(st.metadata()).containsEntry("family", "narrator");
        }
    }
}
