package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes an {@link ImportedModel} as a Narrator model directory: {@code config.json} (the translated config, with the
 * family in {@code source}), {@code tokenizer.json}, and {@code model.safetensors} streamed tensor by tensor, a chunk at
 * a time, from the released files (a few MB of memory whatever the model's size), in float32 or float16. The directory
 * must be new or empty; if writing fails, the files written so far are removed.
 */
public final class ModelImport {
    private ModelImport() {}

    /** Reads a release through {@code family} and writes it to {@code out}; returns what was written. */
    public static Result run(CheckpointFamily family, ImportSources sources, Path out, SafeTensors.Precision precision,
            SafeTensors.Progress progress) throws IOException {
        checkTarget(out);
        try (ImportedModel model = family.open(sources)) {
            return write(model, out, precision, progress);
        }
    }

    /** What an import wrote. */
    public record Result(Path dir, FlamingoConfig config, int tensors, long weightBytes, List<String> notes) {}

    /** Writes {@code model} to {@code out} (a new or empty directory). */
    public static Result write(ImportedModel model, Path out, SafeTensors.Precision precision, SafeTensors.Progress progress)
            throws IOException {
        checkTarget(out);
        boolean created = !Files.exists(out);
        List<Path> written = new ArrayList<>();
        try {
            Files.createDirectories(out);
            ModelDirectory.writeConfig(model.config(), out);
            written.add(out.resolve(ModelDirectory.CONFIG));
            Files.write(out.resolve(ModelDirectory.TOKENIZER), model.tokenizerJson());
            written.add(out.resolve(ModelDirectory.TOKENIZER));
            Path weights = out.resolve(ModelDirectory.WEIGHTS);
            written.add(weights);
            SafeTensors.write(weights, model.weights(), precision, metadata(model), progress);
            return new Result(out, model.config(), model.weights().names().size(), Files.size(weights), model.notes());
        } catch (IOException | RuntimeException e) {
            for (Path p : written) Files.deleteIfExists(p);
            if (created) Files.deleteIfExists(out);
            throw e;
        }
    }

    /** {@code __metadata__} of the written weights: the model's identity and the family it came from. */
    private static Map<String, String> metadata(ImportedModel model) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("name", model.config().name());
        m.put("version", model.config().version());
        m.put("family", model.family().name());
        return m;
    }

    /** Fails unless {@code out} is absent or an empty directory. */
    private static void checkTarget(Path out) throws IOException {
        if (!Files.exists(out)) return;
        if (!Files.isDirectory(out)) throw new IOException("--out " + out + " is a file; give a new or empty directory");
        try (Stream<Path> files = Files.list(out)) {
            if (files.findAny().isPresent())
                throw new IOException("--out " + out + " is not empty; give a new or empty directory (nothing in it is overwritten)");
        }
    }
}
