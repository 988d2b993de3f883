package io.narrator.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws end-to-end caption latency (p50, p95, p99) against the number of streams, with the p99 target, as a PNG. */
public final class LatencyChart {
    private LatencyChart() {}

    /**
     * Writes the chart of {@code runs} to {@code file} (a {@code .png} name; the extension is added if missing).
     *
     * @throws IllegalArgumentException when there is no run with measured latencies
     */
    public static void write(List<PipelineResult> runs, String title, Path file) throws IOException {
        List<PipelineResult> measured = runs.stream().filter(r -> r.endToEndMs().count() > 0).toList();
        if (measured.isEmpty()) throw new IllegalArgumentException("no run measured any caption latency: nothing to chart");
        XYChart chart = new XYChartBuilder().width(800).height(480).title(title).xAxisTitle("concurrent streams")
                .yAxisTitle("window close to caption (s)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setYAxisMin(0.0).setXAxisDecimalPattern("#");
        double[] x = measured.stream().mapToDouble(PipelineResult::streams).toArray();
        series(chart, "p50", x, measured.stream().mapToDouble(r -> r.endToEndMs().p50() / 1000).toArray());
        series(chart, "p95", x, measured.stream().mapToDouble(r -> r.endToEndMs().p95() / 1000).toArray());
        series(chart, "p99", x, measured.stream().mapToDouble(r -> r.endToEndMs().p99() / 1000).toArray());
        double lo = x[0];
        double hi = x[x.length - 1];
        XYSeries target = chart.addSeries("p99 target", new double[] {lo, hi}, new double[] {PipelineBenchmark.TARGET_P99_MS / 1000,
            PipelineBenchmark.TARGET_P99_MS / 1000});
        target.setMarker(SeriesMarkers.NONE);
        String name = file.toString();
        BitmapEncoder.saveBitmap(chart, name.endsWith(".png") ? name.substring(0, name.length() - 4) : name, BitmapEncoder.BitmapFormat.PNG);
    }

    private static void series(XYChart chart, String name, double[] x, double[] y) {
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.CIRCLE);
    }
}
