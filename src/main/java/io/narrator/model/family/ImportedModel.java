package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.CheckpointException;
import io.narrator.model.checkpoint.MappedCheckpoint;
import java.util.List;

/**
 * A release read by its family and checked, ready to be written as a Narrator model directory: the translated config,
 * the {@code tokenizer.json} content, the weights as a view in Narrator's names over the released files (values are read
 * only when written), and notes for the user (where each part came from, what was dropped and why). Closing it closes
 * the files.
 */
public final class ImportedModel implements AutoCloseable {
    private final CheckpointFamily family;
    private final FlamingoConfig config;
    private final byte[] tokenizerJson;
    private final MappedCheckpoint weights;
    private final List<String> notes;

    ImportedModel(CheckpointFamily family, FlamingoConfig config, byte[] tokenizerJson, MappedCheckpoint weights, List<String> notes) {
        this.family = family;
        this.config = config;
        this.tokenizerJson = tokenizerJson;
        this.weights = weights;
        this.notes = List.copyOf(notes);
    }

    public CheckpointFamily family() {
        return family;
    }

    public FlamingoConfig config() {
        return config;
    }

    public byte[] tokenizerJson() {
        return tokenizerJson.clone();
    }

    /** Every tensor of the model, in Narrator's names, read from the released files on request. */
    public MappedCheckpoint weights() {
        return weights;
    }

    /** One line each: where the parts came from and what was left out. */
    public List<String> notes() {
        return notes;
    }

    @Override
    public void close() throws CheckpointException {
        weights.close();
    }
}
