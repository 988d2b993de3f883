package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.train.world.ImageFileFormat;
import io.narrator.train.world.WorldVideo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampledMediaTest {

    @Test
    void aVideoFileIsSampledAtTheGivenRateFromMediaTimeZero(@TempDir Path dir) {
        Path video = dir.resolve("clip.mp4");
        new WorldVideo(1, 4, 15, 64, 48).write(video);
        List<TimedImage> frames = SampledMedia.readAll(video.toString(), 1);
        assertThat(frames).extracting(TimedImage::timeMicros).containsExactly(0L, 1_000_000L, 2_000_000L, 3_000_000L);
        assertThat(frames).allSatisfy(f -> {
            assertThat(f.image().getWidth()).isEqualTo(64);
            assertThat(f.image().getHeight()).isEqualTo(48);
        });
        assertThat(SampledMedia.readAll(video.toString(), 2)).hasSize(8);
    }

    @Test
    void anImageIsOneFrameAndAFolderIsOneFramePerSecond(@TempDir Path dir) throws Exception {
        Path folder = dir.resolve("frames");
        new WorldVideo(2, 3, 1, 48, 36).writeFrames(folder, ImageFileFormat.PNG);
        List<TimedImage> frames = SampledMedia.readAll(folder.toString(), 1);
        assertThat(frames).extracting(TimedImage::timeMicros).containsExactly(0L, 1_000_000L, 2_000_000L);
        Path first;
        try (Stream<Path> files = Files.list(folder)) {
            first = files.filter(f -> f.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
        }
        List<TimedImage> image = SampledMedia.readAll(first.toString(), 1);
        assertThat(image).singleElement().satisfies(f -> {
            assertThat(f.timeMicros()).isZero();
            assertThat(f.image().getWidth()).isEqualTo(48);
        });
    }

    @Test
    void framesAreHandedOverOneByOneInOrder(@TempDir Path dir) {
        Path video = dir.resolve("clip.ts");
        new WorldVideo(3, 3, 10, 64, 48).write(video);
        List<Long> seen = new java.util.ArrayList<>();
        long kept = SampledMedia.read(video.toString(), 1, f -> seen.add(f.timeMicros()));
        assertThat(kept).isEqualTo(3);
        assertThat(seen).containsExactly(0L, 1_000_000L, 2_000_000L);
    }

    @Test
    void aClipBecomesOneMpegTsChunkThatDecodesToAllItsFrames(@TempDir Path dir) {
        Path video = dir.resolve("clip.mp4");
        new WorldVideo(4, 3, 10, 64, 48).write(video);
        byte[] ts = MpegTsClip.of(video.toString());
        SegmentDecoder.Result decoded = SegmentDecoder.decode(SegmentDecoder.Container.MPEGTS, null, ts, 0, new FpsSampler(1), FpsSampler.NONE, Long.MAX_VALUE);
        assertThat(decoded.decodedFrames()).isEqualTo(30);
        assertThat(decoded.kept()).extracting(SegmentDecoder.SampledImage::timestampMicros).containsExactly(0L, 1_000_000L, 2_000_000L);
    }

    @Test
    void whatCannotBeReadIsNamed(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> SampledMedia.readAll(dir.resolve("gone.mp4").toString(), 1))
                .isInstanceOf(IngestException.class).hasMessage("video source not found: no file or folder at " + dir.resolve("gone.mp4"));
        Path text = Files.writeString(dir.resolve("notes.mp4"), "not a video");
        assertThatThrownBy(() -> SampledMedia.readAll(text.toString(), 1)).isInstanceOf(IngestException.class).hasMessageContaining("notes.mp4");
        assertThatThrownBy(() -> MpegTsClip.of(text.toString())).isInstanceOf(IngestException.class).hasMessageContaining("notes.mp4");
        assertThatThrownBy(() -> SampledMedia.readAll(dir.toString(), 1)).isInstanceOf(IngestException.class).hasMessageContaining("no JPEG or PNG");
    }
}
