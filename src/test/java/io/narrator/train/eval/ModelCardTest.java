package io.narrator.train.eval;

import static io.narrator.train.eval.BundledModelFigures.count;
import static io.narrator.train.eval.BundledModelFigures.megabytes;
import static io.narrator.train.eval.BundledModelFigures.percent;
import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.train.world.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/model.md is the bundled model's card: its results and parameter counts are written from the model's own files
 * (report.json, model.safetensors, config.json), its tensor-name table covers every tensor of the model, and its
 * charts are the model's. Regenerate the written blocks with {@code mvn test -Dtest=ModelCardTest
 * -Dnarrator.regenerate.docs=true}.
 */
class ModelCardTest {
    static final Path PAGE = Path.of("docs", "model.md");
    static BundledModelFigures figures;

    @BeforeAll
    static void load() throws Exception {
        figures = BundledModelFigures.load();
    }

    @Test
    void theResultsAreTheReportOfTheBundledModel() throws Exception {
        assertThat(figures.report().model()).as("report.json is the evaluation of the model in config.json").isEqualTo(figures.model());
        GeneratedBlock block = new GeneratedBlock(PAGE, "results");
        assertThat(block.sync(results(figures))).as(block.regenerateHint()).isEqualTo(results(figures));
        assertThat(Files.readString(PAGE)).as("the card names the model it describes")
                .startsWith("# The bundled model: " + figures.model() + "\n");
    }

    @Test
    void theParameterCountsAreTheWeights() throws Exception {
        GeneratedBlock block = new GeneratedBlock(PAGE, "parameters");
        assertThat(block.sync(parameters(figures))).as(block.regenerateHint()).isEqualTo(parameters(figures));
    }

    @Test
    void theTensorTableCoversEveryTensorOfTheModelAndNothingElse() throws Exception {
        String table = new GeneratedBlock(PAGE, "tensor-names").current();
        List<Pattern> rows = new ArrayList<>();
        List<String> written = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\| `([^`]+)`").matcher(table);
        while (m.find()) {
            written.add(m.group(1));
            rows.add(namePattern(m.group(1)));
        }
        assertThat(rows).as("rows of the tensor-name table").isNotEmpty();
        for (String name : figures.tensorNames())
            assertThat(rows.stream().anyMatch(p -> p.matcher(name).matches())).as("the table has a row for " + name).isTrue();
        for (int i = 0; i < rows.size(); i++) {
            Pattern p = rows.get(i);
            assertThat(figures.tensorNames().stream().anyMatch(n -> p.matcher(n).matches()))
                    .as("row `" + written.get(i) + "` names a tensor of the bundled model").isTrue();
        }
    }

    @Test
    void theChartsAreTheModelsOwn() throws Exception {
        String page = Files.readString(PAGE);
        for (String chart : List.of(ReportWriter.SHOTS_CHART, ReportWriter.CONFUSION_CHART)) {
            assertThat(figures.dir().resolve(chart)).exists();
            assertThat(page).contains("(../src/main/resources/models/narrator-tiny/" + chart + ")");
        }
    }

    /** {@code a.{i}.b.{q,k}_proj.weight}: {@code {i}}, {@code {j}} … a number, {@code {x,y}} one of the words. */
    static Pattern namePattern(String written) {
        StringBuilder regex = new StringBuilder();
        Matcher m = Pattern.compile("\\{([^}]*)\\}").matcher(written);
        int at = 0;
        while (m.find()) {
            regex.append(Pattern.quote(written.substring(at, m.start())));
            String inside = m.group(1);
            if (inside.contains(",")) regex.append("(?:").append(String.join("|", List.of(inside.split(",")).stream().map(Pattern::quote).toList())).append(")");
            else regex.append("\\d+");
            at = m.end();
        }
        regex.append(Pattern.quote(written.substring(at)));
        return Pattern.compile(regex.toString());
    }

    static String parameters(BundledModelFigures f) {
        StringBuilder md = new StringBuilder("| part | parameters | trained in |\n|---|---:|---|\n");
        BundledModelFigures.PARTS.forEach((part, label) -> md.append("| ").append(label).append(" (`").append(part).append(".*`) | ")
                .append(count(f.parameters().get(part))).append(" | ").append(stage(part)).append(" |\n"));
        md.append("| **all** | **").append(count(f.totalParameters())).append("** | ").append(megabytes(f.weightBytes()))
                .append(" as float32 safetensors |\n");
        return md.toString();
    }

    private static String stage(String part) {
        return switch (part) {
            case "vision_model" -> "`vision` (then frozen)";
            case "transformer" -> "`lm` (then frozen)";
            default -> "`flamingo`";
        };
    }

    static String results(BundledModelFigures f) {
        Evaluation.Report r = f.report();
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "**%s**, `narrator eval` on %d held-out clips per task and number of examples (seed %d;"
                + " [`report.json`](../src/main/resources/models/narrator-tiny/report.json), %.0f s):%n%n", r.model(), r.clipsPerTask(), r.seed(), r.seconds()));
        md.append("| task |");
        for (int s : r.shots()) md.append(" ").append(s).append(s == 1 ? " shot |" : " shots |");
        md.append("\n|---|");
        for (int ignored : r.shots()) md.append("---:|");
        md.append("\n");
        for (Task t : Task.values()) {
            md.append("| ").append(t == Task.CAPTION ? "caption (all four attributes right)" : t.name().toLowerCase(Locale.ROOT)).append(" |");
            for (int s : r.shots()) md.append(" ").append(percent(f.accuracy(t, s))).append(" |");
            md.append("\n");
        }
        md.append("\nWith no examples the model captions, so the example-defined tasks (colour, shape, count, event) score 0% at 0 shots:"
                + " the examples alone switch it to answering the task.\n\n");
        md.append("| 0-shot captions | |\n|---|---|\n");
        md.append("| attribute named right: colour, count, shape, event | ")
                .append(String.join(", ", List.of("colour", "count", "shape", "event").stream().map(a -> percent(r.captionAttributes().get(a))).toList()))
                .append(" |\n");
        md.append("| all four right | ").append(percent(r.captionAllAttributes())).append(" |\n");
        md.append("| event named right, frames in order / shuffled | ").append(percent(r.temporalOrdered())).append(" / ")
                .append(percent(r.temporalShuffled())).append(" |\n");
        md.append("| each event (right / clips) | ");
        List<String> events = new ArrayList<>();
        for (int i = 0; i < r.events().size(); i++) {
            int clips = 0;
            for (int c : r.eventConfusion()[i]) clips += c;
            events.add(r.events().get(i).toLowerCase(Locale.ROOT).replace('_', ' ') + " " + r.eventConfusion()[i][i] + "/" + clips);
        }
        md.append(String.join(", ", events)).append(" |\n");
        md.append("\n| gated cross-attention before LM layer | tanh(attention gate) | tanh(feed-forward gate) |\n|---:|---:|---:|\n");
        int layer = 0;
        for (float[] gate : r.gates()) {
            while (!f.config().hasCrossAttentionBefore(layer)) layer++;
            md.append(String.format(Locale.ROOT, "| %d | %+.2f | %+.2f |%n", layer, gate[0], gate[1]));
            layer++;
        }
        md.append("\nSome 0-shot captions of the report (truth → caption):\n\n");
        r.samples().stream().filter(s -> s.task().equals(Task.CAPTION.name()) && s.shots() == 0)
                .forEach(s -> md.append("- ").append(s.truth()).append(" → ").append(s.output()).append(s.correct() ? "" : " (wrong)").append("\n"));
        md.append("\n![accuracy against shots](../src/main/resources/models/narrator-tiny/").append(ReportWriter.SHOTS_CHART).append(")\n");
        md.append("![event confusion](../src/main/resources/models/narrator-tiny/").append(ReportWriter.CONFUSION_CHART).append(")\n");
        return md.toString();
    }
}
