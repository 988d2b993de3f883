package io.narrator.train;

import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.tokenizer.WordLevelTokenizer;
import io.narrator.train.world.CaptionGrammar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The output directory of {@code narrator train}: {@code tokenizer.json} (the world's vocabulary), one
 * folder per stage ({@code lm/}, {@code vision/}, {@code flamingo/}) holding its checkpoint and finished
 * {@code model/}, and {@code model/} with the final model of {@code train all}.
 */
public record TrainingLayout(Path root) {

    /** Checks that {@code root} can hold a training run (creating it if needed). */
    public static TrainingLayout at(Path root) throws IOException {
        if (Files.exists(root) && !Files.isDirectory(root))
            throw new IOException("--out " + root + " is a file; give a directory for the training run");
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new IOException("cannot create the output directory " + root + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(root)) throw new IOException("the output directory " + root + " is not writable");
        return new TrainingLayout(root);
    }

    /** The tokenizer of every stage, written from the world's vocabulary on first use; returns its vocabulary size. */
    public int ensureTokenizer() throws IOException {
        Path file = tokenizer();
        java.util.Map<String, Integer> vocab = WordLevelTokenizer.write(root.resolve("tokenizer.json.tmp"), CaptionGrammar.vocabulary());
        if (Files.exists(file) && !Files.readString(file).equals(Files.readString(root.resolve("tokenizer.json.tmp")))) {
            Files.delete(root.resolve("tokenizer.json.tmp"));
            throw new IOException(file + " was written for another vocabulary; use a new --out directory");
        }
        Files.move(root.resolve("tokenizer.json.tmp"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return vocab.size();
    }

    public Path tokenizer() {
        return root.resolve(ModelDirectory.TOKENIZER);
    }

    public Path stage(String name) {
        return root.resolve(name);
    }

    /** The finished model of a stage. */
    public Path stageModel(String name) {
        return root.resolve(name).resolve("model");
    }

    /** The final model of {@code train all}. */
    public Path finalModel() {
        return root.resolve("model");
    }

    /** The finished model of {@code stage}, or a clear error naming the command that makes it. */
    public Path require(String stage) throws IOException {
        Path dir = stageModel(stage);
        if (!Files.isRegularFile(dir.resolve(ModelDirectory.WEIGHTS)))
            throw new IOException("no finished " + stage + " stage in " + root + ": run `narrator train " + stage + " --out " + root + "` first");
        return dir;
    }
}
