package io.narrator.cli;

import io.narrator.model.FlamingoModel;
import java.io.IOException;
import picocli.CommandLine.Option;

/** The {@code --model DIR|bundled} option shared by the commands that run the model (a picocli mixin). */
final class ModelOption {
    @Option(names = {"-m", "--model"}, paramLabel = "DIR|bundled", defaultValue = "bundled",
            description = "Model directory (config.json, tokenizer.json, model.safetensors) or 'bundled' (default).")
    String model;

    /** Loads the model for the streaming application: one PyTorch thread per op (see {@link io.narrator.model.DjlSetup#configureForServing}). */
    FlamingoModel loadForServing() throws IOException {
        io.narrator.model.DjlSetup.configureForServing();
        return load();
    }

    /** Loads the model; a missing or broken model is an error naming the directory and the problem. */
    FlamingoModel load() throws IOException {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("--model is empty: give a model directory or 'bundled'");
        return FlamingoModel.load(model.strip());
    }
}
