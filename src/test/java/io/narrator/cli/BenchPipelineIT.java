package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A smoke run of {@code bench pipeline} on the real embedded broker with a tiny model: a sweep over 1 and 2
 * streams plus the overhead comparison completes, writes valid JSON and draws the chart. Figures are not checked.
 */
class BenchPipelineIT {
    @TempDir Path dir;

    @Test
    void smokeSweepWithOverheadWritesJsonAndChart() throws Exception {
        ProcessSetup.configure();
        Path model = TestModels.imageSensitive(Files.createDirectories(dir.resolve("model")));
        Path json = dir.resolve("pipeline.json");
        Path chart = dir.resolve("latency.png");
        Cli.Result r = Cli.run("bench", "pipeline", "--smoke", "--sweep", "1,2", "--overhead", "--model", model.toString(),
                "--json", json.toString(), "--chart", chart.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("kept up", "where the time went", "model alone", "ratio");

        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertThat(report.get("machine").get("cores").asInt()).isPositive();
        List<Integer> streams = new ArrayList<>();
        for (JsonNode run : report.get("runs")) {
            streams.add(run.get("streams").asInt());
            long expected = run.get("expectedCaptions").asLong();
            assertThat(expected).isPositive();
            assertThat(run.get("captions").asLong() + run.get("errors").asLong() + run.get("missing").asLong()).isEqualTo(expected);
            assertThat(run.get("breakdown").get("cpuSeconds").has("narration engine")).isTrue();
        }
        assertThat(streams).containsExactly(1, 2);
        JsonNode overhead = report.get("overhead");
        assertThat(overhead.get("streams").asInt()).isEqualTo(2);
        assertThat(overhead.get("clips").asLong()).isPositive();
        assertThat(overhead.get("ratio").asDouble())
                .isEqualTo(overhead.get("pipelineClipsPerSecond").asDouble() / overhead.get("modelClipsPerSecond").asDouble());

        BufferedImage png = ImageIO.read(chart.toFile());
        assertThat(png.getWidth()).isEqualTo(800);
    }

    @Test
    void aFewShotPromptIsInForceForEveryCaptionOfTheRun() throws Exception {
        ProcessSetup.configure();
        Path model = TestModels.imageSensitive(Files.createDirectories(dir.resolve("model")));
        Path json = dir.resolve("shots.json");
        Cli.Result r = Cli.run("bench", "pipeline", "--smoke", "--streams", "2", "--shots", "2", "--model", model.toString(), "--json", json.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode run = new ObjectMapper().readTree(json.toFile()).get("runs").get(0);
        assertThat(run.get("shots").asInt()).isEqualTo(2);
        assertThat(run.get("errors").asLong()).isZero();
        assertThat(run.get("captions").asLong()).isPositive();
        assertThat(run.get("promptedCaptions").asLong()).isEqualTo(run.get("captions").asLong());
        assertThat(r.out()).contains(run.get("captions").asLong() + " of " + run.get("captions").asLong() + " captions made with the 2-shot default prompt");

        assertThat(Cli.run("bench", "pipeline", "--smoke", "--shots", "9", "--model", model.toString()).err()).contains("--shots must be in [0, 8], got 9");
    }
}
