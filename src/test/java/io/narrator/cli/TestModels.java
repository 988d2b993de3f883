package io.narrator.cli;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.TinyModels;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.checkpoint.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Model directories for the CLI tests. */
public final class TestModels {
    private TestModels() {}

    /**
     * Saves a tiny random model (16×16 frames, 2 LM layers, up to 8 frames per clip) into {@code dir} with every cross-attention gate set to 1,
     * so that, unlike a fresh model (gates at 0), what it says depends on the images it is shown.
     */
    static Path imageSensitive(Path dir) throws IOException {
        Path tokenizer = TinyModels.tokenizer(dir);
        FlamingoConfig tiny = TinyModels.config(TinyModels.vocabSize());
        FlamingoConfig.Perceiver p = tiny.perceiver();
        // up to 8 frames, as narrator-tiny: the default 8 s windows at 1 FPS fit
        FlamingoConfig config = new FlamingoConfig(tiny.modelType(), tiny.name(), tiny.version(), tiny.vision(), tiny.text(),
                new FlamingoConfig.Perceiver(p.depth(), p.heads(), p.dimHead(), p.latents(), 8, p.ffMult()), tiny.crossAttention(),
                tiny.specialTokens(), tiny.generation());
        try (FlamingoModel model = FlamingoModel.random(config, tokenizer, 5)) {
            model.save(dir, tokenizer, SafeTensors.Precision.F32);
        }
        Path weights = dir.resolve(ModelDirectory.WEIGHTS);
        List<Tensor> tensors = new ArrayList<>();
        for (Tensor t : SafeTensors.read(weights).values()) {
            boolean gate = t.name().endsWith("attn_gate") || t.name().endsWith("ff_gate");
            tensors.add(gate ? new Tensor(t.name(), t.shape(), filled(t.values().length, 1f)) : t);
        }
        SafeTensors.write(weights, tensors, SafeTensors.Precision.F32, Map.of("format", "pt"));
        return dir;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, value);
        return a;
    }
}
