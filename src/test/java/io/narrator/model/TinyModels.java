package io.narrator.model;

import io.narrator.model.tokenizer.WordLevelTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Tiny random Flamingo models for fast unit tests. */
public final class TinyModels {
    public static final List<String> WORDS = List.of(
            "a", "the", "red", "blue", "green", "circle", "square", "star", "moves", "left", "right", "up", "down",
            "appears", "disappears", "two", "three", "small", "large", "stays", "still");

    private TinyModels() {}

    /** A config small enough for millisecond forward passes: 16×16 images, 2 LM layers, 4 latents. */
    public static FlamingoConfig config(int vocabSize) {
        return new FlamingoConfig(
                FlamingoConfig.MODEL_TYPE, "tiny-test", "0.0.1",
                new FlamingoConfig.Vision(16, 4, 32, 2, 4, 64, 1e-5, "quick_gelu",
                        new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, null),
                new FlamingoConfig.Gpt2(vocabSize, 64, 32, 2, 4, 1e-5),
                new FlamingoConfig.Perceiver(2, 2, 8, 4, 4, 4),
                new FlamingoConfig.CrossAttention(1, 2, 8, 4, true),
                WordLevelTokenizer.specialTokens(),
                FlamingoConfig.Generation.DEFAULT);
    }

    /** {@code config} with a convolutional stem of these channels in front of its ViT's patch embedding. */
    public static FlamingoConfig withConvStem(FlamingoConfig config, int... channels) {
        FlamingoConfig.Vision v = config.vision();
        return new FlamingoConfig(config.modelType(), config.name(), config.version(),
                new FlamingoConfig.Vision(v.imageSize(), v.patchSize(), v.hiddenSize(), v.layers(), v.heads(),
                        v.intermediateSize(), v.layerNormEps(), v.hiddenAct(), v.imageMean(), v.imageStd(), v.resizeMode(), channels),
                config.text(), config.perceiver(), config.crossAttention(), config.specialTokens(), config.generation());
    }

    /** Writes the test tokenizer into {@code dir} and returns its path. */
    public static Path tokenizer(Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        WordLevelTokenizer.write(file, WORDS);
        return file;
    }

    /** Vocabulary size of the test tokenizer. */
    public static int vocabSize() {
        java.util.TreeSet<String> all = new java.util.TreeSet<>(WORDS);
        all.add("output");
        all.add(":");
        return WordLevelTokenizer.vocabulary(all).size();
    }

    /** A random tiny model with the test tokenizer. */
    public static FlamingoModel random(Path dir, long seed) throws IOException {
        return FlamingoModel.random(config(vocabSize()), tokenizer(dir), seed);
    }
}
