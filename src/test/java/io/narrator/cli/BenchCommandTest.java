package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.train.world.WorldVideo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke runs of {@code bench model} and {@code bench ingest} (they complete and write valid JSON; figures are not checked), and bad arguments. */
class BenchCommandTest {
    @TempDir static Path dir;
    static Path model;

    @BeforeAll
    static void model() throws Exception {
        ProcessSetup.configure();
        model = TestModels.imageSensitive(Files.createDirectories(dir.resolve("model")));
    }

    @Test
    void modelSmokeRunWritesItsMeasurementsAsJson() throws Exception {
        Path json = dir.resolve("model-bench.json");
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        Cli.Result r = Cli.run("bench", "model", "--smoke", "--threads", "2", "--model", model.toString(), "--json", json.toString());
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads); // process-wide: leave it as the other tests found it
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("vision", "resampler", "ms/token");
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertThat(report.get("visionFramesPerSecond").asDouble()).isPositive();
        assertThat(report.get("loadMs").asDouble()).isPositive();
        assertThat(report.get("fileBytes").asLong()).isEqualTo(Files.size(model.resolve("model.safetensors")));
        List<String> measured = new ArrayList<>();
        for (JsonNode g : report.get("generation")) measured.add(g.get("prompt").asText() + " batch " + g.get("batch").asInt());
        assertThat(measured).contains("0-shot batch 1", "0-shot batch 2", "4-shot batch 1", "4-shot batch 2");
        assertThat(report.get("torchThreads").asInt()).as("--threads 2").isEqualTo(2);
        assertThat(report.get("cacheSpeedup").get("0-shot batch 1").asDouble()).isPositive();
    }

    @Test
    void ingestSmokeRunComparesWithFfmpegAndWritesJson() throws Exception {
        // ffmpeg on the PATH is required (CI installs it: .ci/run); without it the command fails with that one line
        Path video = dir.resolve("clip.mp4");
        new WorldVideo(5, 3, 10, 64, 48).write(video);
        Path json = dir.resolve("ingest-bench.json");
        Cli.Result r = Cli.run("bench", "ingest", video.toString(), "--smoke", "--json", json.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("narrator", "ffmpeg", "ratio");
        JsonNode report = new ObjectMapper().readTree(json.toFile());
        assertThat(report.get("javacvFrames").asLong()).isEqualTo(3);
        assertThat(report.get("javacvRuns")).hasSize(1);
        assertThat(report.get("ratio").asDouble()).isEqualTo(report.get("javacvSeconds").asDouble() / report.get("ffmpegSeconds").asDouble());
    }

    @Test
    void badArgumentsAreRejectedInOneLineBeforeAnythingRuns() {
        assertError(Cli.run("bench", "pipeline", "--size", "320"), "narrator: error: --size must be WIDTHxHEIGHT, e.g. 320x240, got '320'");
        assertError(Cli.run("bench", "pipeline", "--sweep", "8,0"), "narrator: error: stream counts must be at least 1, got 0");
        assertError(Cli.run("bench", "pipeline", "--seconds", "10", "--warmup", "10"),
                "narrator: error: --warmup must be at least 0 and less than --seconds (10.0), got 10.0");
        assertError(Cli.run("bench", "pipeline", "--set", "application.id=mine"),
                "narrator: error: --set application.id is not allowed: the benchmark chooses it for each run");
        assertError(Cli.run("bench", "pipeline", "--fps", "0"), "narrator: error: --fps must be in (0, 120], got 0.0");
        assertError(Cli.run("bench", "model", "--threads", "0"), "narrator: error: --threads must be at least 1, got 0");
        Path missing = dir.resolve("missing.mp4");
        assertError(Cli.run("bench", "ingest", missing.toString()), "narrator: error: video file " + missing + " does not exist");
    }

    private static void assertError(Cli.Result r, String line) {
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
        assertThat(r.errLines()).as(r.toString()).containsExactly(line);
    }
}
