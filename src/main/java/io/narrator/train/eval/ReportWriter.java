package io.narrator.train.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes an evaluation report: {@code report.json}, {@code accuracy-vs-shots.png} (accuracy against the number
 * of in-context examples, one line per task) and {@code event-confusion.png} (true event against the event
 * named in 0-shot captions), and renders the summary table.
 */
public final class ReportWriter {
    public static final String JSON_FILE = "report.json";
    public static final String SHOTS_CHART = "accuracy-vs-shots.png";
    public static final String CONFUSION_CHART = "event-confusion.png";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {}

    public static void write(Evaluation.Report report, Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve(JSON_FILE).toFile(), report);
        shotsChart(report, dir.resolve(SHOTS_CHART));
        confusionChart(report, dir.resolve(CONFUSION_CHART));
    }

    public static Evaluation.Report read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Evaluation.Report.class);
    }

    private static void shotsChart(Evaluation.Report r, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(720).height(440).title("Accuracy against in-context examples (" + r.model() + ")")
                .xAxisTitle("shots").yAxisTitle("accuracy (%)").build();
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(100.0).setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideSE);
        for (String task : r.accuracy().stream().map(Evaluation.TaskAccuracy::task).distinct().toList()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (Evaluation.TaskAccuracy a : r.accuracy())
                if (a.task().equals(task)) {
                    x.add((double) a.shots());
                    y.add(100 * a.accuracy());
                }
            chart.addSeries(task.toLowerCase(Locale.ROOT), x, y).setMarker(SeriesMarkers.CIRCLE);
        }
        BitmapEncoder.saveBitmap(chart, strip(file), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void confusionChart(Evaluation.Report r, Path file) throws IOException {
        HeatMapChart chart = new HeatMapChartBuilder().width(760).height(560)
                .title("Events in 0-shot captions: truth (rows) against caption (columns)").build();
        chart.getStyler().setShowValue(true).setPlotContentSize(0.9);
        List<String> truth = r.events().stream().map(e -> e.toLowerCase(Locale.ROOT)).toList();
        List<String> said = new ArrayList<>(truth);
        said.add("none");
        List<Number[]> cells = new ArrayList<>();
        for (int i = 0; i < truth.size(); i++)
            for (int j = 0; j < said.size(); j++) cells.add(new Number[] {j, i, r.eventConfusion()[i][j]});
        chart.addSeries("clips", said, truth, cells);
        BitmapEncoder.saveBitmap(chart, strip(file), BitmapEncoder.BitmapFormat.PNG);
    }

    private static String strip(Path file) {
        String s = file.toString();
        return s.endsWith(".png") ? s.substring(0, s.length() - 4) : s;
    }

    /** The summary as text lines: accuracy per task against shots, caption attributes, time ablation, gates. */
    public static List<String> summary(Evaluation.Report r) {
        List<String> lines = new ArrayList<>();
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-9s", "task"));
        for (int s : r.shots()) head.append(String.format(Locale.ROOT, "%8s", s + "-shot"));
        lines.add(head.toString());
        for (String task : r.accuracy().stream().map(Evaluation.TaskAccuracy::task).distinct().toList()) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-9s", task.toLowerCase(Locale.ROOT)));
            for (int s : r.shots())
                for (Evaluation.TaskAccuracy a : r.accuracy())
                    if (a.task().equals(task) && a.shots() == s) row.append(String.format(Locale.ROOT, "%7.1f%%", 100 * a.accuracy()));
            lines.add(row.toString());
        }
        if (!r.captionAttributes().isEmpty()) {
            StringBuilder attrs = new StringBuilder("0-shot captions:");
            r.captionAttributes().forEach((k, v) -> attrs.append(String.format(Locale.ROOT, " %s %.1f%%", k, 100 * v)));
            attrs.append(String.format(Locale.ROOT, ", all four %.1f%%", 100 * r.captionAllAttributes()));
            lines.add(attrs.toString());
            lines.add(String.format(Locale.ROOT, "events: frames in order %.1f%%, frames shuffled %.1f%%",
                    100 * r.temporalOrdered(), 100 * r.temporalShuffled()));
        }
        StringBuilder g = new StringBuilder("tanh gates (attn/ff):");
        for (float[] gate : r.gates()) g.append(String.format(Locale.ROOT, " %.3f/%.3f", gate[0], gate[1]));
        lines.add(g.toString());
        lines.add(String.format(Locale.ROOT, "%d clips per task, seed %d, %.0f s", r.clipsPerTask(), r.seed(), r.seconds()));
        return lines;
    }
}
