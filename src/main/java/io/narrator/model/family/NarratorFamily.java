package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.MappedCheckpoint;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.family.ImportSources.Input;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Narrator's own layout: a model directory ({@code config.json}, {@code tokenizer.json}, {@code model.safetensors} or
 * its shards), every tensor under its own name. Importing one checks it and writes it again, e.g. as float16 or as one
 * file from shards.
 */
final class NarratorFamily implements CheckpointFamily {
    static final String NAME = "narrator";
    /** Its table: every name as it is; a saved output head repeats the tied embeddings and is left out, as on load. */
    static final TensorTable TABLE = TensorTable.builder(NAME)
            .ignore("lm_head.weight", "the output head is tied to the token embeddings")
            .rename("{rest}", "{rest}")
            .build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> aliases() {
        return List.of();
    }

    @Override
    public String description() {
        return "a Narrator model directory (config.json, tokenizer.json, model.safetensors or shards), written again";
    }

    @Override
    public ImportedModel open(ImportSources s) throws IOException {
        s.refuseUnused(NAME, Input.RELEASE);
        ModelDirectory dir = ModelDirectory.of(s.requireDirectory(Input.RELEASE, NAME, "a Narrator model directory"));
        FlamingoConfig config = dir.config();
        if (s.name() != null) config = config.withIdentity(s.name(), config.version());
        byte[] tokenizer;
        try (InputStream in = dir.open(ModelDirectory.TOKENIZER)) {
            tokenizer = in.readAllBytes();
        }
        Checkpoint weights = dir.weights();
        try {
            TensorTable.Mapping mapping = TABLE.map(weights);
            MappedCheckpoint view = MappedCheckpoint.of(weights.source(), mapping.entries(), List.of(weights));
            WeightCheck.check(config, view, List.of(mapping), Set.of("special_token_embeddings"));
            List<String> notes = new ArrayList<>();
            notes.add("weights: " + weights.source() + " (" + mapping.entries().size() + " tensors)");
            return new ImportedModel(this, config, tokenizer, view, notes);
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }
}
