package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.Java2DFrameConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipWriterTest {

    private static final int W = 160, H = 120;
    private static final double FPS = 5;

    @TempDir
    Path dir;

    /** Two 3-second scenes at 5 fps: 30 frames. */
    private static List<RenderedFrame> frames() {
        return new FrameRenderer(W, H).frames(World.DEFAULT.episode(21, 2, 3_000_000), FPS).toList();
    }

    private record Decoded(List<BufferedImage> images, List<Long> timestamps, int width, int height) {}

    private static Decoded decode(FFmpegFrameGrabber grabber) throws IOException {
        try (grabber; Java2DFrameConverter converter = new Java2DFrameConverter()) {
            grabber.start();
            List<BufferedImage> images = new ArrayList<>();
            List<Long> timestamps = new ArrayList<>();
            Frame frame;
            while ((frame = grabber.grabImage()) != null) {
                BufferedImage image = converter.convert(frame);
                BufferedImage copy = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
                copy.getGraphics().drawImage(image, 0, 0, null);
                images.add(copy);
                timestamps.add(frame.timestamp);
            }
            return new Decoded(images, timestamps, grabber.getImageWidth(), grabber.getImageHeight());
        }
    }

    private static void assertMatches(Decoded decoded, List<RenderedFrame> originals) {
        assertThat(decoded.width()).isEqualTo(W);
        assertThat(decoded.height()).isEqualTo(H);
        assertThat(decoded.images()).hasSize(originals.size());
        for (int i = 0; i < originals.size(); i++) {
            assertThat(decoded.timestamps().get(i)).as("frame %d", i).isBetween(originals.get(i).timestampMicros() - 1_000, originals.get(i).timestampMicros() + 1_000);
            if (i > 0) assertThat(decoded.timestamps().get(i)).isGreaterThan(decoded.timestamps().get(i - 1));
            assertThat(Pixels.meanAbsDiff(decoded.images().get(i), originals.get(i).image())).as("frame %d", i).isLessThan(5);
        }
    }

    @Test
    void mp4AndMpegTsFilesDecodeBackToTheSameFramesAndTimes() throws IOException {
        List<RenderedFrame> frames = frames();
        for (VideoContainer container : VideoContainer.values()) {
            Path file = dir.resolve("clip" + container.extension());
            try (ClipWriter writer = ClipWriter.toFile(file, new VideoSettings(container, W, H, FPS))) {
                writer.writeAll(frames.stream());
                assertThat(writer.framesWritten()).isEqualTo(30);
            }
            assertMatches(decode(new FFmpegFrameGrabber(file.toFile())), frames);
        }
    }

    @Test
    void mpegTsAndFragmentedMp4StreamDecodeFromAnInputStreamAndKeepTheirStartTime() throws IOException {
        List<RenderedFrame> fromSecondTwo = frames().stream().filter(f -> f.timestampMicros() >= 2_000_000).toList();
        for (VideoContainer container : VideoContainer.values()) {
            CloseTrackingStream out = new CloseTrackingStream();
            try (ClipWriter writer = ClipWriter.toStream(out, new VideoSettings(container, W, H, FPS))) {
                writer.writeAll(fromSecondTwo.stream());
            }
            assertThat(out.closed).as("the caller's stream stays open").isFalse();
            InputStream in = new ByteArrayInputStream(out.toByteArray());
            assertMatches(decode(new FFmpegFrameGrabber(in)), fromSecondTwo);
        }
    }

    @Test
    void rejectsPathsItCannotWriteWithTheReason() throws IOException {
        VideoSettings settings = new VideoSettings(VideoContainer.MP4, W, H, FPS);
        assertThatThrownBy(() -> ClipWriter.toFile(dir, settings)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("it is a directory");
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        assertThatThrownBy(() -> ClipWriter.toFile(file.resolve("clip.mp4"), settings))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot create directory");
        Path nested = dir.resolve("new/sub/clip.ts");
        try (ClipWriter writer = ClipWriter.toFile(nested, new VideoSettings(VideoContainer.MPEG_TS, W, H, FPS))) {
            writer.write(frames().get(0));
        }
        assertThat(Files.size(nested)).isPositive();
    }

    @Test
    void rejectsFramesThatDoNotFitTheVideo() {
        List<RenderedFrame> frames = frames();
        try (ClipWriter writer = ClipWriter.toStream(new ByteArrayOutputStream(), new VideoSettings(VideoContainer.MPEG_TS, W, H, FPS))) {
            writer.write(frames.get(1));
            assertThatThrownBy(() -> writer.write(frames.get(1))).hasMessageContaining("timestamps must increase");
            assertThatThrownBy(() -> writer.write(new RenderedFrame(frames.get(1).image(), frames.get(1).timestampMicros() + 50_000)))
                    .hasMessageContaining("timestamps must increase by at least one frame interval");
            assertThatThrownBy(() -> writer.write(new RenderedFrame(new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB), 5_000_000)))
                    .hasMessageContaining("frame is 64x64 but the video is 160x120");
        }
        ClipWriter closed = ClipWriter.toStream(new ByteArrayOutputStream(), new VideoSettings(VideoContainer.MPEG_TS, W, H, FPS));
        closed.close();
        closed.close(); // closing twice is harmless
        assertThatThrownBy(() -> closed.write(frames.get(5))).hasMessageContaining("is closed");
        assertThatThrownBy(() -> new VideoSettings(VideoContainer.MP4, 161, 120, FPS)).hasMessageContaining("H.264 needs an even width and height, got 161x120");
        assertThatThrownBy(() -> new VideoSettings(VideoContainer.MP4, W, H, 0)).hasMessageContaining("fps must be in (0, 240]");
        assertThatThrownBy(() -> VideoContainer.ofFileName(Path.of("clip.avi"))).hasMessageContaining("use a .mp4 or .ts file name");
        assertThat(VideoContainer.ofFileName(Path.of("a/B.TS"))).isEqualTo(VideoContainer.MPEG_TS);
    }

    private static final class CloseTrackingStream extends ByteArrayOutputStream {
        boolean closed;

        @Override
        public void close() {
            closed = true;
        }
    }
}
