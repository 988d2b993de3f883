package io.narrator.cli;

import io.narrator.model.DjlSetup;
import io.narrator.model.FlamingoModel;
import io.narrator.model.ModelDevice;
import io.narrator.model.ModelDtype;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.stream.NarratorConfig;
import java.io.IOException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code --model DIR|bundled}, {@code --threads N}, {@code --device} and {@code --dtype} options shared by the
 * commands that run the model (a picocli mixin).
 */
final class ModelOption {
    @Option(names = {"-m", "--model"}, paramLabel = "DIR|bundled", defaultValue = "bundled",
            description = "Model directory (config.json, tokenizer.json, model.safetensors) or 'bundled' (default).")
    String model;

    @Option(names = "--threads", paramLabel = "N",
            description = "PyTorch threads per op (default: 1, or the ai.djl.pytorch.num_threads property). A small model's ops are too small to "
                    + "split: measured with the bundled model, one thread per op generates in about a third less time than one per core (docs/benchmarks.md). More may pay for a large model or large batches.")
    Integer threads;

    @Mixin DeviceOption devices = new DeviceOption();

    /** {@link #load(NarratorConfig)} for a command without a configuration: {@code --device} and {@code --dtype}, else their defaults. */
    FlamingoModel load() throws IOException {
        return load(NarratorConfig.defaults());
    }

    /**
     * Loads the model to run it: on {@code --device} (else {@code model.device} of {@code config}) in {@code --dtype} (else
     * {@code model.dtype}), with DJL's engine on one inter-op thread and {@code --threads} threads per op (see
     * {@link DjlSetup#configureForServing}, whose process-wide defaults a user's {@code ai.djl.pytorch.*} properties
     * override). A missing or broken model, or a GPU PyTorch cannot see, is an error naming the problem.
     */
    FlamingoModel load(NarratorConfig config) throws IOException {
        if (model == null || model.isBlank()) throw new IllegalArgumentException("--model is empty: give a model directory or 'bundled'");
        if (threads != null && threads < 1) throw new IllegalArgumentException("--threads must be at least 1, got " + threads);
        ModelDevice device = devices.device(config);
        ModelDtype dtype = devices.dtype(config);
        DjlSetup.configureForServing();
        FlamingoModel loaded = FlamingoModel.load(ModelDirectory.of(model.strip()), device.resolve(), dtype);
        DjlSetup.threadsPerOp(threadsPerOp());
        return loaded;
    }

    /** {@code --threads}, else the {@code ai.djl.pytorch.num_threads} property, else 1. */
    int threadsPerOp() {
        return threads != null ? threads : Integer.getInteger("ai.djl.pytorch.num_threads", 1);
    }
}
