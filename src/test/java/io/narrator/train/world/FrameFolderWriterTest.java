package io.narrator.train.world;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrameFolderWriterTest {

    @TempDir
    Path dir;

    private static List<RenderedFrame> frames() {
        return new FrameRenderer(96, 64).frames(World.DEFAULT.episode(8, 1, 4_000_000), 3).toList();
    }

    @Test
    void pngFoldersHoldEveryFrameExactlyInNameOrderWithTimestamps() throws IOException {
        List<RenderedFrame> frames = frames();
        Path folder = dir.resolve("frames");
        try (FrameFolderWriter writer = new FrameFolderWriter(folder, ImageFileFormat.PNG)) {
            writer.writeAll(frames.stream());
            assertThat(writer.framesWritten()).isEqualTo(12);
        }
        List<Path> files;
        try (Stream<Path> listing = Files.list(folder)) {
            files = listing.filter(p -> p.toString().endsWith(".png")).sorted().toList();
        }
        assertThat(files).hasSize(12);
        assertThat(files.get(0).getFileName()).hasToString("frame_000000.png");
        assertThat(files.get(11).getFileName()).hasToString("frame_000011.png");
        for (int i = 0; i < files.size(); i++) assertThat(Pixels.samePixels(ImageIO.read(files.get(i).toFile()), frames.get(i).image())).isTrue();
        List<String> lines = Files.readAllLines(folder.resolve(FrameFolderWriter.TIMESTAMPS));
        assertThat(lines).hasSize(13);
        assertThat(lines.get(0)).isEqualTo("file,timestamp_micros");
        assertThat(lines.get(2)).isEqualTo("frame_000001.png,333333");
    }

    @Test
    void jpegFoldersAreCloseToTheOriginals() throws IOException {
        List<RenderedFrame> frames = frames();
        try (FrameFolderWriter writer = new FrameFolderWriter(dir, ImageFileFormat.JPEG)) {
            Path first = writer.write(frames.get(0));
            assertThat(first.getFileName()).hasToString("frame_000000.jpg");
            assertThat(Pixels.meanAbsDiff(ImageIO.read(first.toFile()), frames.get(0).image())).isLessThan(4);
        }
    }

    @Test
    void rejectsAFolderThatIsAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertThatThrownBy(() -> new FrameFolderWriter(file, ImageFileFormat.PNG)).hasMessageContaining("it is a file, not a folder");
        assertThatThrownBy(() -> new FrameFolderWriter(file.resolve("sub"), ImageFileFormat.PNG)).hasMessageContaining("cannot create frame folder");
    }
}
