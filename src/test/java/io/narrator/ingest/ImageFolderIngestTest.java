package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderIngestTest {
    private static final Instant START = Instant.parse("2025-03-01T10:00:00Z");
    private static final long START_MICROS = EventClock.toMicros(START);

    @TempDir Path dir;

    @Test
    void readsImagesInNameOrderAtTheFolderRateAndPassesThemThroughUnchanged() throws Exception {
        Path folder = imageFolder(6);
        Files.writeString(folder.resolve("notes.txt"), "not an image");
        CollectingSink sink = new CollectingSink();
        List<IngestProgress> progress = new ArrayList<>();
        IngestJob.builder()
                .setSource(VideoSource.parse(folder.toString()))
                .setOptions(IngestOptions.builder().setStreamId("folder").optStartTime(START).optFolderFps(2).build())
                .setSink(sink)
                .optProgress(progress::add)
                .build()
                .run();

        // image i is at i/2 s; sampling at 1 fps keeps images 0, 2 and 4
        List<EncodedFrame> frames = sink.frames();
        assertThat(frames).extracting(EncodedFrame::timestampMicros)
                .containsExactly(START_MICROS, START_MICROS + 1_000_000L, START_MICROS + 2_000_000L);
        assertThat(FrameIngestTest.indices(frames)).containsExactly(0, 2, 4);
        assertThat(frames).extracting(EncodedFrame::encoding).containsExactly(FrameEncoding.JPEG, FrameEncoding.PNG, FrameEncoding.JPEG);
        assertThat(frames.get(0).bytes()).isEqualTo(Files.readAllBytes(folder.resolve("img-00.jpg")));
        assertThat(frames.get(1).bytes()).isEqualTo(Files.readAllBytes(folder.resolve("img-02.png")));
        assertThat(frames).allSatisfy(f -> assertThat(f.width()).isEqualTo(160));
        assertThat(progress.get(progress.size() - 1)).isEqualTo(new IngestProgress(3, 2.0, 3.0));
    }

    @Test
    void encodesAFolderIntoH264Segments() throws Exception {
        Path folder = imageFolder(6);
        CollectingSink sink = new CollectingSink();
        IngestResult result = IngestJob.builder()
                .setSource(VideoSource.parse(folder.toString()))
                .setOptions(IngestOptions.builder().setStreamId("folder").optMode(IngestMode.SEGMENTS).optStartTime(START)
                        .optFolderFps(2).optSegmentSeconds(1).build())
                .setSink(sink)
                .build()
                .run();

        assertThat(result.reencoded()).isTrue();
        assertThat(sink.segments()).hasSize(3);
        List<Integer> indices = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            EncodedSegment segment = sink.segments().get(k);
            assertThat(segment.startMicros()).isEqualTo(START_MICROS + k * 1_000_000L);
            assertThat(segment.durationMicros()).isEqualTo(1_000_000L);
            MediaProbe.Chunk chunk = MediaProbe.decodeTs(segment.bytes());
            assertThat(chunk.codec()).isEqualTo("h264");
            assertThat(chunk.frames().get(0).keyframe()).isTrue();
            chunk.frames().forEach(f -> indices.add(f.index()));
        }
        assertThat(indices).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void anEmptyFolderFailsClearly() throws Exception {
        Path empty = Files.createDirectory(dir.resolve("empty"));
        Files.writeString(empty.resolve("readme.txt"), "no images here");
        IngestJob job = IngestJob.builder()
                .setSource(VideoSource.parse(empty.toString()))
                .setOptions(IngestOptions.builder().setStreamId("s").build())
                .setSink(new CollectingSink())
                .build();
        assertThatThrownBy(job::run).isInstanceOf(IngestException.class)
                .hasMessage("image folder " + empty + " has no JPEG or PNG images (*.jpg, *.jpeg, *.png)");
    }

    @Test
    void aMissingFolderFailsClearly() {
        Path missing = dir.resolve("no-such-folder");
        assertThatThrownBy(() -> VideoSource.parse(missing.toString())).isInstanceOf(IngestException.class)
                .hasMessage("video source not found: no file or folder at " + missing);
    }

    @Test
    void anImageThatIsNotAnImageFailsNamingTheFile() throws Exception {
        Path folder = imageFolder(2);
        Path broken = folder.resolve("img-01.jpg");
        Files.delete(folder.resolve("img-01.jpg"));
        Files.writeString(broken, "this is text, not a JPEG");
        IngestJob job = IngestJob.builder()
                .setSource(VideoSource.parse(folder.toString()))
                .setOptions(IngestOptions.builder().setStreamId("s").optStartTime(START).build())
                .setSink(new CollectingSink())
                .build();
        assertThatThrownBy(job::run).isInstanceOf(IngestException.class)
                .hasMessageStartingWith("image " + broken + " is not a readable JPEG or PNG");
    }

    /** Images img-00, img-01, … written in reverse order; every fourth from img-02 on is a PNG, the rest JPEG. */
    private Path imageFolder(int count) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("images"));
        for (int i = count - 1; i >= 0; i--) {
            String format = i % 4 == 2 ? "png" : "jpg";
            ImageIO.write(TestVideos.render(i, 160, 120), format.equals("png") ? "png" : "jpeg", folder.resolve(String.format("img-%02d.%s", i, format)).toFile());
        }
        return folder;
    }
}
