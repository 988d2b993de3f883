package io.narrator.train.eval;

import static io.narrator.train.eval.BundledModelFigures.count;
import static io.narrator.train.eval.BundledModelFigures.megabytes;
import static io.narrator.train.eval.BundledModelFigures.percent;
import static io.narrator.train.eval.BundledModelFigures.thousands;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.train.world.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The README's figures are its sources': the model's from the bundled model's files (report.json, model.safetensors),
 * the pipeline's from the benchmark run it cites. Regenerate the README's block with {@code mvn test
 * -Dtest=ReadmeFiguresTest -Dnarrator.regenerate.docs=true}; to cite a newer pipeline run, change {@link #PIPELINE_RUN}.
 */
class ReadmeFiguresTest {
    static final Path README = Path.of("README.md");
    /** The `bench pipeline` run whose figures the README quotes. */
    static final Path PIPELINE_RUN = Path.of("docs", "benchmarks", "spread-rep64-tiny-1.6.0-xeon.json");

    @Test
    void theReadmesModelFiguresAreTheModelsAndTheCitedRunsOwn() throws Exception {
        String expected = figures(BundledModelFigures.load(), new ObjectMapper().readTree(PIPELINE_RUN.toFile()));
        GeneratedBlock block = new GeneratedBlock(README, "model-figures");
        assertThat(block.sync(expected)).as(block.regenerateHint()).isEqualTo(expected);
    }

    @Test
    void theLimitsQuoteTheSameShapeFigureAsTheReport() throws Exception {
        BundledModelFigures f = BundledModelFigures.load();
        String readme = Files.readString(README);
        String limits = readme.substring(readme.indexOf("## Limits"), readme.indexOf("\n## ", readme.indexOf("## Limits") + 1));
        assertThat(limits).as("Limits state the report's 0-shot shape figure")
                .contains("shape " + percent(f.report().captionAttributes().get("shape")) + " of the time");
    }

    static String figures(BundledModelFigures f, JsonNode pipeline) {
        Evaluation.Report r = f.report();
        StringBuilder md = new StringBuilder();
        md.append("**Measured** (the model card, with charts and the recipe: [docs/model.md](docs/model.md); speed: [docs/benchmarks.md](docs/benchmarks.md)): ")
                .append(f.model()).append(" has ").append(count(f.totalParameters())).append(" parameters (vision ")
                .append(thousands(f.parameters().get("vision_model"))).append(", language model ")
                .append(thousands(f.parameters().get("transformer"))).append(", cross-attention ")
                .append(thousands(f.parameters().get("gated_cross_attn_layers"))).append(", resampler ")
                .append(thousands(f.parameters().get("perceiver"))).append("), ").append(megabytes(f.weightBytes())).append(". On ")
                .append(r.clipsPerTask()).append(" held-out clips per task ([report.json](src/main/resources/models/narrator-tiny/report.json)),")
                .append(" 0-shot captions name the **colour right ").append(percent(r.captionAttributes().get("colour")))
                .append("** of the time, the **count ").append(percent(r.captionAttributes().get("count")))
                .append("**, the **event ").append(percent(r.captionAttributes().get("event")))
                .append("** (which way an object moves, whether it stays, appears, disappears, grows or shrinks) and the **shape ")
                .append(percent(r.captionAttributes().get("shape"))).append("** (chance 17%); the whole caption is right ")
                .append(percent(r.captionAllAttributes())).append(" of the time. Given 1–4 examples, the model answers the example-defined tasks");
        List<String> tasks = new ArrayList<>();
        for (Task t : List.of(Task.COLOUR, Task.SHAPE, Task.COUNT, Task.EVENT))
            tasks.add(" " + t.name().toLowerCase(Locale.ROOT) + " " + range(f, t, 1, 2, 4));
        md.append(String.join(",", tasks)).append(" (with 8: colour ").append(percent(f.accuracy(Task.COLOUR, 8)))
                .append(", shape ").append(percent(f.accuracy(Task.SHAPE, 8))).append("; with none it captions). Frames in order score ")
                .append(percent(r.temporalOrdered())).append(" on events, shuffled ").append(percent(r.temporalShuffled()))
                .append(": the model reads time.\n");
        JsonNode runs = pipeline.get("runs");
        JsonNode first = runs.get(0);
        boolean allKept = true;
        for (JsonNode run : runs) allKept &= run.get("keptUp").asBoolean();
        md.append("Through the whole pipeline, ").append(first.get("streams").asInt()).append(" live streams (")
                .append(first.get("width").asInt()).append("×").append(first.get("height").asInt()).append(", ")
                .append(first.get("fps").asInt()).append(" fps) on ").append(pipeline.get("machine").get("cores").asInt())
                .append(" cores ").append(allKept ? "kept up in each of " + runs.size() + " runs" : "did not keep up in every run")
                .append(" (").append(pipeline.get("model").asText()).append(", the same architecture and cost per frame; [")
                .append(PIPELINE_RUN.getFileName()).append("](").append(PIPELINE_RUN.toString().replace('\\', '/')).append(")): p99 ")
                .append(seconds(runs, run -> run.get("endToEndMs").get("p99").asDouble())).append(" s from a window's last frame to its caption, ")
                .append(captionsPerMinute(runs)).append(" captions a minute, ")
                .append(cores(runs)).append(" cores.\n");
        return md.toString();
    }

    private static String range(BundledModelFigures f, Task t, int... shots) {
        double lo = 1, hi = 0;
        for (int s : shots) {
            lo = Math.min(lo, f.accuracy(t, s));
            hi = Math.max(hi, f.accuracy(t, s));
        }
        return lo == hi ? percent(lo) : percent(lo).replace("%", "") + "–" + percent(hi);
    }

    private static String seconds(JsonNode runs, ToDoubleFunction<JsonNode> ms) {
        double lo = Double.MAX_VALUE, hi = 0;
        for (JsonNode run : runs) {
            lo = Math.min(lo, ms.applyAsDouble(run) / 1000);
            hi = Math.max(hi, ms.applyAsDouble(run) / 1000);
        }
        return String.format(Locale.ROOT, "%.2f–%.2f", lo, hi);
    }

    private static String captionsPerMinute(JsonNode runs) {
        List<String> each = new ArrayList<>();
        for (JsonNode run : runs) {
            double minutes = run.get("seconds").asDouble() / 60;
            each.add(String.format(Locale.ROOT, "%d of %d", Math.round(run.get("captions").asInt() / minutes),
                    Math.round(run.get("expectedCaptions").asInt() / minutes)));
        }
        return each.stream().distinct().count() == 1 ? each.get(0) : String.join(", ", each);
    }

    private static String cores(JsonNode runs) {
        double lo = Double.MAX_VALUE, hi = 0;
        for (JsonNode run : runs) {
            double c = run.get("resources").get("cpuCoresMean").asDouble();
            lo = Math.min(lo, c);
            hi = Math.max(hi, c);
        }
        return String.format(Locale.ROOT, "%.2f–%.2f", lo, hi);
    }
}
