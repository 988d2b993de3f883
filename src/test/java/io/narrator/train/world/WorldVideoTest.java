package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorldVideoTest {

    @TempDir
    Path dir;

    @Test
    void writesAnEpisodeOfEightSecondScenesAndReturnsItsGroundTruth() throws IOException {
        WorldVideo video = new WorldVideo(77, 10, 2, 128, 96);
        Path file = dir.resolve("world.ts");
        Episode episode = video.write(file);
        assertThat(episode.scenes()).extracting(Scene::durationMicros).containsExactly(8_000_000L, 2_000_000L);
        assertThat(episode).isEqualTo(video.episode());
        List<Long> timestamps = new ArrayList<>();
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(file.toFile())) {
            grabber.start();
            assertThat(grabber.getImageWidth()).isEqualTo(128);
            assertThat(grabber.getImageHeight()).isEqualTo(96);
            Frame frame;
            while ((frame = grabber.grabImage()) != null) timestamps.add(frame.timestamp);
        }
        assertThat(timestamps).hasSize(20);
        assertThat(timestamps.get(19)).isEqualTo(9_500_000L);
    }

    @Test
    void theSameSeedMakesTheSameVideoAndFramesCanGoToAFolder() throws IOException {
        WorldVideo video = new WorldVideo(World.DEFAULT, 3, 4, 1, 64, 48, 2);
        Episode episode = video.writeFrames(dir.resolve("frames"), ImageFileFormat.PNG);
        assertThat(episode.scenes()).hasSize(2);
        try (var files = Files.list(dir.resolve("frames"))) {
            assertThat(files.filter(p -> p.toString().endsWith(".png")).count()).isEqualTo(4);
        }
        List<RenderedFrame> again = new WorldVideo(World.DEFAULT, 3, 4, 1, 64, 48, 2).frames().toList();
        List<RenderedFrame> first = video.frames().toList();
        for (int i = 0; i < 4; i++) assertThat(Pixels.samePixels(first.get(i).image(), again.get(i).image())).isTrue();
    }

    @Test
    void rejectsBadRequestsClearly() {
        assertThatThrownBy(() -> new WorldVideo(1, 0, 1, 64, 64)).hasMessageContaining("seconds must be in (0, 86400.0], got 0.0");
        assertThatThrownBy(() -> new WorldVideo(1, 10, 0, 64, 64)).hasMessageContaining("fps must be in (0, 240]");
        assertThatThrownBy(() -> new WorldVideo(1, 10, 1, 16, 64)).hasMessageContaining("frame size must be between 32x32");
        assertThatThrownBy(() -> new WorldVideo(1, 10, 1, 64, 64).write(dir.resolve("a.mkv"))).hasMessageContaining("use a .mp4 or .ts file name");
        assertThatThrownBy(() -> new WorldVideo(1, 10, 1, 65, 64).write(dir.resolve("a.mp4"))).hasMessageContaining("even width and height");
    }
}
