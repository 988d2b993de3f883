package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrameIngestTest {
    private static final Instant START = Instant.parse("2025-03-01T10:00:00Z");
    private static final long START_MICROS = EventClock.toMicros(START);

    @TempDir static Path dir;
    static Path video;

    @BeforeAll
    static void renderVideo() throws Exception {
        // 10 s at 15 fps: frame i is presented at i/15 s, so frames never land exactly on a half second
        video = TestVideos.h264Mp4(dir.resolve("clip.mp4"), 320, 240, 15, 150, 15);
    }

    @Test
    void keepsTheFirstFrameOfEachSecondAtOneFps() throws Exception {
        CollectingSink sink = new CollectingSink();
        List<IngestProgress> progress = new ArrayList<>();
        IngestResult result = IngestJob.builder()
                .setSource(VideoSource.parse(video.toString()))
                .setOptions(IngestOptions.builder().setStreamId("cam-1").optStartTime(START).build())
                .setSink(sink)
                .optProgress(progress::add)
                .build()
                .run();

        List<EncodedFrame> frames = sink.frames();
        assertThat(frames).hasSize(10);
        assertThat(result.frames()).isEqualTo(10);
        assertThat(indices(frames)).containsExactly(0, 15, 30, 45, 60, 75, 90, 105, 120, 135);
        for (int k = 0; k < frames.size(); k++) {
            EncodedFrame frame = frames.get(k);
            assertThat(frame.streamId()).isEqualTo("cam-1");
            assertThat(frame.sequence()).isEqualTo(k);
            assertThat(frame.encoding()).isEqualTo(FrameEncoding.JPEG);
            assertThat(frame.width()).isEqualTo(320);
            assertThat(frame.height()).isEqualTo(240);
            // frame 15k is presented at exactly k seconds of media time
            assertThat(frame.timestampMicros()).isEqualTo(START_MICROS + k * 1_000_000L);
        }
        assertThat(progress).hasSize(10);
        IngestProgress last = progress.get(progress.size() - 1);
        assertThat(last.items()).isEqualTo(10);
        assertThat(last.mediaSeconds()).isEqualTo(9.0);
        assertThat(last.totalSeconds()).isBetween(9.9, 10.1);
    }

    @Test
    void keepsTwoFramesPerSecondAtFps2() throws Exception {
        List<EncodedFrame> frames = ingest(IngestOptions.builder().setStreamId("cam").optStartTime(START).optFps(2).build());
        // half-second boundaries fall between frames 7 (0.467 s) and 8 (0.533 s): the first after each is kept
        assertThat(indices(frames)).containsExactly(0, 8, 15, 23, 30, 38, 45, 53, 60, 68, 75, 83, 90, 98, 105, 113, 120, 128, 135, 143);
        for (EncodedFrame frame : frames) {
            int index = TestVideos.readIndex(decode(frame));
            assertThat(frame.timestampMicros() - START_MICROS).isEqualTo(index * 1_000_000L / 15);
        }
    }

    @Test
    void keepsOneFrameEveryTwoSecondsAtFpsHalf() throws Exception {
        List<EncodedFrame> frames = ingest(IngestOptions.builder().setStreamId("cam").optStartTime(START).optFps(0.5).build());
        assertThat(indices(frames)).containsExactly(0, 30, 60, 90, 120);
    }

    @Test
    void stampsFilesFromTheWallClockWhenNoStartTimeIsGiven() throws Exception {
        Instant now = Instant.parse("2025-06-01T08:30:00.123456Z");
        CollectingSink sink = new CollectingSink();
        IngestJob.builder()
                .setSource(VideoSource.parse(video.toString()))
                .setOptions(IngestOptions.builder().setStreamId("cam").optFps(0.5).build())
                .setSink(sink)
                .optWallClock(InstantSource.fixed(now))
                .build()
                .run();
        long anchor = EventClock.toMicros(Instant.parse("2025-06-01T08:30:00.123Z"));
        assertThat(sink.frames()).extracting(EncodedFrame::timestampMicros)
                .first().isEqualTo(anchor);
        // sampling periods are aligned to event time zero, like the topology's sampler: the next 2 s boundary after
        // 08:30:00.123 is 08:30:02.000, i.e. media time 1.877 s, and the first frame at or after it is frame 29
        assertThat(sink.frames().get(1).timestampMicros() - anchor).isEqualTo(29 * 1_000_000L / 15);
    }

    @Test
    void realtimeDeliversTheSameFramesAndWaitsBetweenThem() throws Exception {
        List<java.time.Duration> waits = new ArrayList<>();
        CollectingSink sink = new CollectingSink();
        IngestJob.builder()
                .setSource(VideoSource.parse(video.toString()))
                .setOptions(IngestOptions.builder().setStreamId("cam").optStartTime(START).optRealtime(true).build())
                .setSink(sink)
                .optSleeper(waits::add)
                .build()
                .run();
        assertThat(indices(sink.frames())).containsExactly(0, 15, 30, 45, 60, 75, 90, 105, 120, 135);
        // this sleeper returns at once, so each wait is the time from the first frame's release to the kept frame's
        // presentation time (at most 9 s); exact pacing is PacerTest's business
        assertThat(waits).isNotEmpty().allSatisfy(w -> assertThat(w).isPositive().isLessThanOrEqualTo(java.time.Duration.ofSeconds(9)));
    }

    private static List<EncodedFrame> ingest(IngestOptions options) {
        CollectingSink sink = new CollectingSink();
        IngestJob.builder().setSource(VideoSource.parse(video.toString())).setOptions(options).setSink(sink).build().run();
        return sink.frames();
    }

    static List<Integer> indices(List<EncodedFrame> frames) throws Exception {
        List<Integer> indices = new ArrayList<>();
        for (EncodedFrame frame : frames) indices.add(TestVideos.readIndex(decode(frame)));
        return indices;
    }

    static BufferedImage decode(EncodedFrame frame) throws Exception {
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(frame.bytes()));
        assertThat(image).as("frame %d is a readable image", frame.sequence()).isNotNull();
        assertThat(image.getWidth()).isEqualTo(frame.width());
        assertThat(image.getHeight()).isEqualTo(frame.height());
        return image;
    }
}
