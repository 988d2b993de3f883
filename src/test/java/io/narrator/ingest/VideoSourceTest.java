package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoSourceTest {
    @TempDir Path dir;

    @Test
    void tellsUrlsFilesAndFoldersApart() throws Exception {
        assertThat(VideoSource.parse("rtsp://10.0.0.7:554/stream1")).isEqualTo(new VideoSource("rtsp://10.0.0.7:554/stream1", VideoSource.Kind.URL));
        assertThat(VideoSource.parse("HTTPS://example.org/live.m3u8").kind()).isEqualTo(VideoSource.Kind.URL);
        assertThat(VideoSource.parse("srt://host:9000").scheme()).isEqualTo("srt");
        Path file = Files.writeString(dir.resolve("clip.mp4"), "x");
        assertThat(VideoSource.parse(" " + file + " ")).isEqualTo(new VideoSource(file.toString(), VideoSource.Kind.FILE));
        assertThat(VideoSource.parse(dir.toString()).kind()).isEqualTo(VideoSource.Kind.IMAGE_FOLDER);
    }

    @Test
    void onlyUrlsAndDevicesMayBeLive() {
        assertThat(new VideoSource("rtsp://cam", VideoSource.Kind.URL).mayBeLive()).isTrue();
        assertThat(new VideoSource("/dev/video0", VideoSource.Kind.DEVICE).mayBeLive()).isTrue();
        assertThat(new VideoSource("clip.mp4", VideoSource.Kind.FILE).mayBeLive()).isFalse();
        assertThat(new VideoSource("frames/", VideoSource.Kind.IMAGE_FOLDER).mayBeLive()).isFalse();
    }

    @Test
    void rejectsWhatCannotBeRead() {
        assertThatThrownBy(() -> VideoSource.parse("  ")).isInstanceOf(IngestException.class)
                .hasMessage("no video source given: pass a file, folder, URL or /dev/videoN");
        assertThatThrownBy(() -> new VideoSource("", VideoSource.Kind.FILE)).isInstanceOf(IllegalArgumentException.class);
    }
}
