package io.narrator.model.family;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What an import reads and how: the release (a folder, as flamingo-mini and Narrator's own layout come), a checkpoint
 * file (OpenFlamingo's {@code checkpoint.pt}), the language model's repository folder, the vision model (a repository
 * folder, or one weights file), the tokenizer (a {@code tokenizer.json} or a folder), frames per media item
 * ({@code null}: the family's default), the name the imported model gets ({@code null}: the family's), and the settings
 * a checkpoint cannot tell: the resampler's and the cross-attention's head counts and which vision tokens are the
 * features ({@code null}: the family's defaults). Inputs the family does not use must be absent; {@link #requireFile},
 * {@link #requireDirectory} and {@link #refuseUnused} say so in one line.
 */
public record ImportSources(Path release, Path checkpoint, Path lm, Path vision, Path tokenizer, Integer framesPerMedia, String name,
        Integer perceiverHeads, Integer crossAttentionHeads, String visionFeatures) {
    public ImportSources {
        if (framesPerMedia != null && framesPerMedia < 0)
            throw new IllegalArgumentException("frames per media must be 0 (every frame) or positive, got " + framesPerMedia);
        if (name != null && name.isBlank()) throw new IllegalArgumentException("the model's name must not be blank");
        if (perceiverHeads != null && perceiverHeads <= 0)
            throw new IllegalArgumentException("--perceiver-heads must be positive, got " + perceiverHeads);
        if (crossAttentionHeads != null && crossAttentionHeads <= 0)
            throw new IllegalArgumentException("--xattn-heads must be positive, got " + crossAttentionHeads);
    }

    /** A release folder and the repositories it was built on (flamingo-mini, Narrator's layout). */
    public ImportSources(Path release, Path lm, Path vision, Path tokenizer, Integer framesPerMedia, String name) {
        this(release, null, lm, vision, tokenizer, framesPerMedia, name, null, null, null);
    }

    /** The kinds of input, named as the command line names them. */
    public enum Input {
        RELEASE("DIR"),
        CHECKPOINT("--checkpoint"),
        LM("--lm"),
        VISION("--vision"),
        TOKENIZER("--tokenizer"),
        FRAMES_PER_MEDIA("--frames-per-media"),
        PERCEIVER_HEADS("--perceiver-heads"),
        CROSS_ATTENTION_HEADS("--xattn-heads"),
        VISION_FEATURES("--vision-features");

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

    /** Fails unless {@code input} is given and is an existing file; {@code what} says what it should be. */
    Path requireFile(Input input, String family, String what) throws IOException {
        Path p = path(input);
        if (p == null) throw new IOException(family + " needs " + input.option() + ": " + what);
        if (!Files.exists(p)) throw new IOException(input.option() + " " + p + ": no such file (" + what + ")");
        if (Files.isDirectory(p)) throw new IOException(input.option() + " " + p + " is a directory; it must be a file (" + what + ")");
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
        return switch (i) {
            case FRAMES_PER_MEDIA -> framesPerMedia != null;
            case PERCEIVER_HEADS -> perceiverHeads != null;
            case CROSS_ATTENTION_HEADS -> crossAttentionHeads != null;
            case VISION_FEATURES -> visionFeatures != null;
            default -> path(i) != null;
        };
    }

    private Path path(Input i) {
        return switch (i) {
            case RELEASE -> release;
            case CHECKPOINT -> checkpoint;
            case LM -> lm;
            case VISION -> vision;
            case TOKENIZER -> tokenizer;
            default -> null;
        };
    }
}
