package io.narrator.model.family;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an import reads and how: the release (a folder or file, as the family expects), the language model's and the
 * vision model's repository folders, the tokenizer (a {@code tokenizer.json} or a folder), frames per media item
 * ({@code null}: the family's default) and the name the imported model gets ({@code null}: the family's). Paths the
 * family does not use must be absent; {@link #require} and {@link #refuseUnused} say so in one line.
 */
public record ImportSources(Path release, Path lm, Path vision, Path tokenizer, Integer framesPerMedia, String name) {
    public ImportSources {
        if (framesPerMedia != null && framesPerMedia < 0)
            throw new IllegalArgumentException("frames per media must be 0 (every frame) or positive, got " + framesPerMedia);
        if (name != null && name.isBlank()) throw new IllegalArgumentException("the model's name must not be blank");
    }

    /** The kinds of input, named as the command line names them. */
    public enum Input {
        RELEASE("DIR"),
        LM("--lm"),
        VISION("--vision"),
        TOKENIZER("--tokenizer"),
        FRAMES_PER_MEDIA("--frames-per-media");

        private final String option;

        Input(String option) {
            this.option = option;
        }

        public String option() {
            return option;
        }
    }

    /** Fails unless {@code input} is given and is an existing directory; {@code what} says what it should hold. */
    Path requireDirectory(Input input, String family, String what) throws IOException {
        Path p = path(input);
        if (p == null) throw new IOException(family + " needs " + input.option() + ": " + what);
        if (!Files.exists(p)) throw new IOException(input.option() + " " + p + ": no such directory (" + what + ")");
        if (!Files.isDirectory(p)) throw new IOException(input.option() + " " + p + " is a file; it must be a directory (" + what + ")");
        return p;
    }

    /** Fails when any input outside {@code used} is given. */
    void refuseUnused(String family, Input... used) throws IOException {
        List<Input> allowed = List.of(used);
        List<String> extra = new ArrayList<>();
        for (Input i : Input.values()) if (!allowed.contains(i) && given(i)) extra.add(i.option());
        if (!extra.isEmpty()) throw new IOException(family + " does not use " + String.join(", ", extra));
    }

    private boolean given(Input i) {
        return i == Input.FRAMES_PER_MEDIA ? framesPerMedia != null : path(i) != null;
    }

    private Path path(Input i) {
        return switch (i) {
            case RELEASE -> release;
            case LM -> lm;
            case VISION -> vision;
            case TOKENIZER -> tokenizer;
            case FRAMES_PER_MEDIA -> null;
        };
    }
}
