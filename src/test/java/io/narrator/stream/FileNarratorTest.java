package io.narrator.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.avro.Caption;
import io.narrator.ingest.IngestException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileNarratorTest {
    private static final List<String> COLOURS = List.of("red", "green", "blue", "yellow", "white", "cyan", "red");

    /** The parts of a caption that do not depend on timing. */
    private record Content(String stream, long index, long start, long end, List<Long> frames, String text, String model) {
        static Content of(Caption c) {
            return new Content(c.getStreamId(), c.getClipIndex(), c.getWindowStartMicros(), c.getWindowEndMicros(), c.getFrameTimestamps(),
                    c.getText(), c.getModelName());
        }
    }

    @Test
    void aFileIsNarratedAsTheStreamingAppNarratesItsSegment(@TempDir Path dir) throws Exception {
        byte[] ts = TestMedia.video(COLOURS, 5, false);
        Path file = dir.resolve("colours.ts");
        Files.write(file, ts);
        Map<String, String> settings = Map.of("window.seconds", "3", "hop.seconds", "2", "idle.timeout.ms", "5000", "batch.max", "2");

        List<Caption> offline = new ArrayList<>();
        long made = new FileNarrator(new FakeNarration(), NarratorConfig.of(settings)).narrate(file.toString(), "cam", offline::add);

        List<Caption> streamed = new ArrayList<>();
        try (TopologyHarness h = new TopologyHarness(settings)) {
            h.segment(TestMedia.segment("cam", 0, 0, COLOURS.size(), "MPEGTS", ts));
            streamed.addAll(h.settle());
            h.advance(Duration.ofSeconds(6));
            streamed.addAll(h.settle());
        }
        assertThat(made).isEqualTo(offline.size());
        assertThat(offline).extracting(Content::of).isEqualTo(streamed.stream().map(Content::of).toList());
        // window.phase=spread puts stream "cam"'s 2 s hop one second after the even seconds: windows end at 1, 3, 5, 7 s
        assertThat(offline).extracting(Caption::getWindowEndMicros).containsExactly(1_000_000L, 3_000_000L, 5_000_000L, 7_000_000L);
        assertThat(offline).extracting(Caption::getText)
                .containsExactly("frames=red", "frames=red,green,blue", "frames=blue,yellow,white", "frames=white,cyan,red");
        assertThat(offline).allSatisfy(c -> {
            assertThat(c.getError()).isNull();
            assertThat(c.getLatency().getGenerationMs()).as("the narration's own time, carried over").isEqualTo(1);
            assertThat(c.getLatency().getTotalMs()).isNotNegative();
        });
    }

    @Test
    void withThePreviousCaptionAsContextEachClipSeesTheOneBefore(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("colours.ts");
        Files.write(file, TestMedia.video(List.of("red", "green", "blue"), 5, false));
        NarratorConfig config = NarratorConfig.of(Map.of("window.seconds", "1", "hop.seconds", "1", "context.previous.caption", "true"));
        List<String> texts = new ArrayList<>();
        new FileNarrator(new FakeNarration(), config).narrate(file.toString(), "cam", c -> texts.add(c.getText()));
        assertThat(texts).containsExactly("frames=red", "previous=[frames=red] frames=green",
                "previous=[previous=[frames=red] frames=green] frames=blue");
    }

    @Test
    void aWindowWithMoreFramesThanTheModelTakesIsRefusedAsTheStreamingAppRefusesIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("colours.ts");
        Files.write(file, TestMedia.video(List.of("red"), 5, false));
        FileNarrator narrator = new FileNarrator(new FakeNarration(4), NarratorConfig.defaults());
        assertThatThrownBy(() -> narrator.narrate(file.toString(), "cam", c -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("window.seconds=8 at sample.fps=1.0 makes clips of 8 frames, but model fake-narrator takes at most 4: lower window.seconds or sample.fps");
    }

    @Test
    void aMissingFileIsAnIngestErrorNamingIt(@TempDir Path dir) {
        FileNarrator narrator = new FileNarrator(new FakeNarration(), NarratorConfig.defaults());
        assertThatThrownBy(() -> narrator.narrate(dir.resolve("nope.mp4").toString(), "cam", c -> {}))
                .isInstanceOf(IngestException.class).hasMessageContaining("nope.mp4");
    }
}
