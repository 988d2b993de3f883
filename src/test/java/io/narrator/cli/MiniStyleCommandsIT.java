package io.narrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.narrator.model.MiniStyleModels;
import io.narrator.model.ModelDevice;
import io.narrator.train.world.WorldVideo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo --model} and {@code run --model} with a model of flamingo-mini's family that reads the latest frame of a
 * clip, each on its own embedded broker: a real video gets a clean caption for every 8-second window.
 */
class MiniStyleCommandsIT {
    @TempDir static Path dir;
    static Path model;
    static Path video;
    static String device;

    @BeforeAll
    static void setUp() throws Exception {
        ProcessSetup.configure();
        model = MiniStyleModels.readingLatestFrame(dir.resolve("model"));
        video = dir.resolve("lab.mp4");
        new WorldVideo(4, 10, 10, 64, 48).write(video); // frames at 0..9.9 s
        device = ModelDevice.visibleGpus() > 0 ? "gpu:0" : "cpu";
    }

    @Test
    void demoNarratesAVideoWithTheModel() {
        Cli.Result r = Cli.run("demo", "--model", model.toString(), "--video", video.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("model flamingo-mini-style-latest-frame 0 on " + device + " (f32); embedded Kafka broker on localhost:")
                .contains("ingesting " + video + " as stream lab.mp4");
        // frames at 0..9 s: windows end at 4 and 8 s, and the last (ending at 12 s) is flushed when the stream idles
        List<DemoCommandIT.Printed> printed = DemoCommandIT.captions(r);
        assertThat(printed).extracting(p -> p.line().end()).containsExactly(4.0, 8.0, 12.0);
        assertThat(printed).extracting(p -> p.line().start()).containsExactly(0.0, 0.0, 4.0);
        assertThat(printed).extracting(p -> p.line().text()).allSatisfy(t -> assertThat(t).doesNotStartWith("[no caption")
                .doesNotContain(MiniStyleCommandsTest.TAGS));
        assertThat(r.outLines().get(r.outLines().size() - 1)).startsWith("narrated 3 clips in ");
    }

    @Test
    void benchPipelineRunsTheModelThroughTheWholePipeline() throws Exception {
        Path json = dir.resolve("pipeline.json");
        Cli.Result r = Cli.run("bench", "pipeline", "--smoke", "--model", model.toString(), "--json", json.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("flamingo-mini-style-latest-frame 0 on " + device + " (f32); ");
        var run = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toFile()).get("runs").get(0);
        assertThat(run.get("errors").asLong()).as(r.out()).isZero();
        assertThat(run.get("captions").asLong()).isPositive().isEqualTo(run.get("expectedCaptions").asLong() - run.get("missing").asLong());
    }

    @Test
    void runNarratesWhatIngestPublishes() throws Exception {
        Path config = dir.resolve("run.properties");
        Files.writeString(config, String.join("\n", "application.id=mini-run", "topic.partitions=1", "window.phase=aligned", "idle.timeout.ms=1000",
                "commit.interval.ms=100", "num.stream.threads=1", "model.dtype=f16", "state.dir=" + Files.createDirectories(dir.resolve("state"))) + "\n");
        Cli.Running run = new Cli.Running("run", "--config", config.toString(), "--broker-port", "0", "--model", model.toString());
        run.awaitOutput("narrator running");
        assertThat(run.out()).contains("application.id mini-run, model flamingo-mini-style-latest-frame 0 on " + device + ", f16)");
        String address = run.out().replaceAll("(?s).*embedded Kafka broker listening on (\\S+) .*", "$1");

        Cli.Result ingest = Cli.run("ingest", video.toString(), "--stream-id", "cam", "--start-time", "0", "--no-progress",
                "--bootstrap-servers", address, "--config", config.toString());
        assertThat(ingest.exitCode()).as(ingest.toString()).isZero();
        Cli.Result tail = Cli.run("tail", "--from-beginning", "--stream-id", "cam", "--limit", "3", "--format", "json",
                "--bootstrap-servers", address, "--config", config.toString());
        assertThat(tail.exitCode()).as(tail.toString()).isZero();
        var captions = MiniStyleCommandsTest.jsonLines(tail);
        assertThat(captions).extracting(c -> c.get("windowEndMicros").asLong()).containsExactly(4_000_000L, 8_000_000L, 12_000_000L);
        assertThat(captions).extracting(c -> c.get("frameTimestamps").size()).containsExactly(4, 8, 6);
        assertThat(captions).allSatisfy(c -> {
            assertThat(c.get("error").isNull()).as(c.toString()).isTrue();
            assertThat(c.get("text").asText()).doesNotContain(MiniStyleCommandsTest.TAGS);
            assertThat(c.get("modelName").asText()).isEqualTo("flamingo-mini-style-latest-frame");
        });

        Cli.Result stopped = run.stop();
        assertThat(stopped.exitCode()).as(stopped.toString()).isZero();
    }
}
