package io.narrator.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.ingest.IngestException;
import io.narrator.ingest.TestVideos;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A smoke test: the benchmark runs both sides on a tiny file and reports a ratio. Its figures are not checked here. */
class IngestBenchmarkTest {
    @TempDir Path dir;

    /** The ffmpeg on the PATH; its absence fails these tests (CI installs it: .ci/run). */
    static Path ffmpeg() {
        return IngestBenchmark.findFfmpeg().orElseThrow(() -> new AssertionError("ffmpeg is not on the PATH: install it (apt-get install ffmpeg)"));
    }

    @Test
    void runsBothSidesAndReportsTheirRatio() throws Exception {
        Path clip = TestVideos.h264Mp4(dir.resolve("tiny.mp4"), 160, 120, 15, 45, 15);

        IngestBenchmark.Result result = new IngestBenchmark(ffmpeg(), 1).run(clip);

        assertThat(result.javacvFrames()).isEqualTo(3);
        assertThat(result.ffmpegFrames()).isBetween(3L, 4L); // ffmpeg's fps filter may add a frame for the last partial second
        assertThat(result.javacvRuns()).hasSize(1);
        assertThat(result.ffmpegRuns()).hasSize(1);
        assertThat(result.javacvSeconds()).isPositive();
        assertThat(result.ffmpegSeconds()).isPositive();
        assertThat(result.ratio()).isEqualTo(result.javacvSeconds() / result.ffmpegSeconds());
        assertThat(result.ffmpegCommand()).contains("fps=1", "mjpeg");
    }

    @Test
    void failsClearlyWhenFfmpegCannotReadTheFile() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.mp4"), "not a video");
        assertThatThrownBy(() -> new IngestBenchmark(ffmpeg(), 1).run(text))
                .isInstanceOf(IngestException.class).hasMessageStartingWith("cannot read video file " + text);
    }

    @Test
    void countsJpegStartMarkers() throws Exception {
        byte[] twoJpegs = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 1, 2, (byte) 0xff, 0, (byte) 0xff, (byte) 0xd9,
            (byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xdb, (byte) 0xff, (byte) 0xd9};
        assertThat(IngestBenchmark.countJpegs(new ByteArrayInputStream(twoJpegs))).isEqualTo(2);
        assertThatThrownBy(() -> new IngestBenchmark(Path.of("/usr/bin/ffmpeg"), 0)).hasMessage("a benchmark needs at least 1 run, got 0");
    }
}
