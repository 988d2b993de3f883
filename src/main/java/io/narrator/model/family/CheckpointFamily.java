package io.narrator.model.family;

import java.io.IOException;
import java.util.List;

/**
 * A layout in which Flamingo weights are released — flamingo-mini's, OpenFlamingo's, Narrator's own — as one place:
 * a {@link TensorTable} from its tensor names to Narrator's, and a translator from its config files to a
 * {@link io.narrator.model.FlamingoConfig}. {@link #open} reads a release into an {@link ImportedModel};
 * {@link ModelImport} writes that as a Narrator model directory.
 */
public interface CheckpointFamily {
    /** The name {@code narrator model import} takes. */
    String name();

    /** Other names for the same family (releases that share its layout). */
    List<String> aliases();

    /** One line for help texts: the releases it reads and the files they come as. */
    String description();

    /**
     * Reads and checks a release: its config files translated, its tokenizer, every tensor mapped and its shape checked
     * against the model the config describes. Nothing is written and no tensor value is read (except to check a tied
     * copy). Every problem is one line naming the file, the key or the tensor.
     */
    ImportedModel open(ImportSources sources) throws IOException;
}
