package io.narrator.train.eval;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.train.world.Task;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bundled model's figures as its files give them: {@code config.json}, the parameters of {@code model.safetensors}
 * per part, and the evaluation in {@code report.json}. The pages that quote them (docs/model.md, the README) are
 * written from these.
 */
record BundledModelFigures(Path dir, FlamingoConfig config, Evaluation.Report report, Map<String, Long> parameters,
        List<String> tensorNames, long weightBytes) {
    static final Path DIR = Path.of("src", "main", "resources", ModelDirectory.BUNDLED_RESOURCE);
    /** The parts of the model by the first component of their tensor names, in the order the pages list them. */
    static final Map<String, String> PARTS = parts();

    private static Map<String, String> parts() {
        Map<String, String> parts = new LinkedHashMap<>();
        parts.put("vision_model", "vision encoder (CLIP ViT)");
        parts.put("perceiver", "Perceiver Resampler");
        parts.put("gated_cross_attn_layers", "gated cross-attention");
        parts.put("transformer", "language model (GPT-2)");
        parts.put("special_token_embeddings", "trainable special-token embeddings");
        return parts;
    }

    static BundledModelFigures load() throws IOException {
        FlamingoConfig config = ModelDirectory.parseConfig(Files.readAllBytes(DIR.resolve(ModelDirectory.CONFIG)),
                DIR.resolve(ModelDirectory.CONFIG).toString());
        Evaluation.Report report = ReportWriter.read(DIR.resolve(ReportWriter.JSON_FILE));
        Map<String, Long> parameters = new LinkedHashMap<>();
        PARTS.keySet().forEach(p -> parameters.put(p, 0L));
        List<String> names = new ArrayList<>();
        try (SafeTensors weights = SafeTensors.open(DIR.resolve(ModelDirectory.WEIGHTS))) {
            for (String name : weights.names()) {
                String part = name.substring(0, name.contains(".") ? name.indexOf('.') : name.length());
                if (!parameters.containsKey(part)) throw new IllegalStateException("tensor " + name + " belongs to no known part");
                parameters.merge(part, weights.info(name).numel(), Long::sum);
                names.add(name);
            }
        }
        return new BundledModelFigures(DIR, config, report, parameters, names, Files.size(DIR.resolve(ModelDirectory.WEIGHTS)));
    }

    /** "narrator-tiny 1.9.0" from config.json. */
    String model() {
        return config.name() + " " + config.version();
    }

    long totalParameters() {
        return parameters.values().stream().mapToLong(Long::longValue).sum();
    }

    double accuracy(Task task, int shots) {
        double a = report.accuracy(task, shots);
        if (Double.isNaN(a)) throw new IllegalStateException("report.json has no " + task + " at " + shots + " shots");
        return a;
    }

    /** A share as the pages write it: a whole percent when it is one ("98%"), else one decimal ("99.5%"). */
    static String percent(double share) {
        double p = 100 * share;
        return Math.abs(p - Math.rint(p)) < 1e-9 ? String.format(Locale.ROOT, "%d%%", Math.round(p)) : String.format(Locale.ROOT, "%.1f%%", p);
    }

    /** Thousands grouped with commas ("2,526,660"). */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** Thousands rounded ("895 k"). */
    static String thousands(long n) {
        return String.format(Locale.ROOT, "%,d k", Math.round(n / 1000.0));
    }

    /** Megabytes with one decimal ("10.1 MB"). */
    static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
