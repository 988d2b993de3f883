package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IngestErrorsTest {
    @TempDir Path dir;

    @Test
    void aMissingFileIsNamed() {
        Path missing = dir.resolve("missing.mp4");
        assertThatThrownBy(() -> VideoSource.parse(missing.toString())).isInstanceOf(IngestException.class)
                .hasMessage("video source not found: no file or folder at " + missing);
    }

    @Test
    void aFileThatIsNotAVideoIsNamedWithoutFFmpegJargon() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.mp4"), "these are my notes, not a video\n".repeat(50));
        assertThatThrownBy(() -> run(text.toString(), IngestMode.FRAMES)).isInstanceOf(IngestException.class)
                .hasMessage("cannot read video file " + text + ": not a video FFmpeg can open (Invalid data found when processing input)");
    }

    @Test
    void anAudioFileHasNoVideoStream() throws Exception {
        Path wav = dir.resolve("tone.wav");
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(wav.toString(), 1)) {
            recorder.setFormat("wav");
            recorder.setSampleRate(8000);
            recorder.start();
            short[] samples = new short[8000];
            for (int i = 0; i < samples.length; i++) samples[i] = (short) (8000 * Math.sin(i * 2 * Math.PI * 440 / 8000));
            recorder.recordSamples(ShortBuffer.wrap(samples));
            recorder.stop();
        }
        for (IngestMode mode : IngestMode.values()) {
            assertThatThrownBy(() -> run(wav.toString(), mode)).isInstanceOf(IngestException.class)
                    .hasMessage("video file " + wav + " has no video stream (is it an audio file?)");
        }
    }

    @Test
    void anUnknownCodecIsNamed() {
        VideoSource source = new VideoSource("clip.mkv", VideoSource.Kind.FILE);
        // the message JavaCV's FFmpegFrameGrabber.start() throws when no decoder exists for the stream's codec (27 is H.264)
        Exception fromJavaCv = new Exception("avcodec_find_decoder() error: Unsupported video format or codec not found: 27.");
        assertThat(FFmpegErrors.openFailed(source, fromJavaCv))
                .hasMessage("video file clip.mkv uses a video codec this build of FFmpeg cannot decode (h264)")
                .hasCause(fromJavaCv);
    }

    @Test
    void anUnreachableStreamIsNamed() {
        // nothing listens on port 1 of this machine: the connection is refused at once
        String url = "http://127.0.0.1:1/live.ts";
        assertThatThrownBy(() -> run(url, IngestMode.FRAMES)).isInstanceOf(IngestException.class)
                .hasMessage("cannot open stream " + url + " (Connection refused): check the address and that the stream is up");
    }

    @Test
    void aMissingDeviceAndAnUnsupportedSchemeAreNamed() {
        assertThatThrownBy(() -> VideoSource.parse("/dev/video97")).isInstanceOf(IngestException.class)
                .hasMessage("no video device at /dev/video97 (is the camera connected? see `ls /dev/video*`)");
        assertThatThrownBy(() -> VideoSource.parse("ftp://example.org/clip.mp4")).isInstanceOf(IngestException.class)
                .hasMessageStartingWith("unsupported URL scheme in ftp://example.org/clip.mp4: use http(s), rtsp(s)");
    }

    @Test
    void badOptionsAreRejectedWithTheirValue() {
        assertThatThrownBy(() -> IngestOptions.builder().setStreamId("s").optFps(0).build())
                .hasMessage("fps must be a positive number of frames per second up to 1000, got 0.0");
        assertThatThrownBy(() -> IngestOptions.builder().setStreamId("s").optFps(-2).build()).hasMessageContaining("got -2.0");
        assertThatThrownBy(() -> IngestOptions.builder().setStreamId("s").optSegmentSeconds(0).build())
                .hasMessage("segment length must be a positive number of seconds up to 3600, got 0.0");
        assertThatThrownBy(() -> IngestOptions.builder().setStreamId("s").optJpegQuality(1.5f).build())
                .hasMessage("JPEG quality must be in (0, 1], got 1.5");
        assertThatThrownBy(() -> IngestOptions.builder().setStreamId(" ").build()).hasMessage("a stream id is required (--stream-id)");
        assertThatThrownBy(() -> IngestOptions.builder().setStreamId("s").optFolderFps(Double.NaN).build())
                .hasMessageContaining("image folder frame rate must be positive");
    }

    @Test
    void aBadStartTimeShowsBothAcceptedForms() {
        assertThatThrownBy(() -> EventClock.parseStartTime("yesterday")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read start time 'yesterday': use an ISO-8601 instant such as 2025-01-31T12:00:00Z"
                        + " or epoch milliseconds such as 1738324800000");
        assertThatThrownBy(() -> EventClock.parseStartTime("99999999999999999999")).hasMessageContaining("out of range");
    }

    private static IngestResult run(String source, IngestMode mode) {
        return IngestJob.builder()
                .setSource(VideoSource.parse(source))
                .setOptions(IngestOptions.builder().setStreamId("s").optMode(mode).build())
                .setSink(new CollectingSink())
                .build()
                .run();
    }
}
