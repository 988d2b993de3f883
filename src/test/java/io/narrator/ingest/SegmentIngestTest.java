package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentIngestTest {
    private static final Instant START = Instant.parse("2025-03-01T10:00:00Z");
    private static final long START_MICROS = EventClock.toMicros(START);
    private static final int FRAMES = 150;

    @TempDir static Path dir;
    static Path video;

    @BeforeAll
    static void renderVideo() throws Exception {
        video = TestVideos.h264Mp4(dir.resolve("clip.mp4"), 320, 240, 15, FRAMES, 15); // a keyframe every second
    }

    @Test
    void cutsTenSecondsIntoFiveTwoSecondChunksThatEachDecodeOnTheirOwn() throws Exception {
        CollectingSink sink = new CollectingSink();
        List<IngestProgress> progress = new ArrayList<>();
        IngestResult result = ingest(video, sink, progress);

        List<EncodedSegment> segments = sink.segments();
        assertThat(segments).hasSize(5);
        assertThat(result.segments()).isEqualTo(5);
        assertThat(result.reencoded()).isFalse();
        List<Integer> indices = new ArrayList<>();
        for (int k = 0; k < segments.size(); k++) {
            EncodedSegment segment = segments.get(k);
            assertThat(segment.streamId()).isEqualTo("cam-7");
            assertThat(segment.sequence()).isEqualTo(k);
            assertThat(segment.container()).isEqualTo(SegmentContainer.MPEGTS);
            assertThat(segment.initSegment()).isNull();
            assertThat(segment.startMicros()).isEqualTo(START_MICROS + k * 2_000_000L);
            assertThat(segment.durationMicros()).isBetween(1_999_000L, 2_001_000L);

            MediaProbe.Chunk chunk = MediaProbe.decodeTs(segment.bytes());
            assertThat(chunk.codec()).isEqualTo("h264");
            assertThat(chunk.width()).isEqualTo(320);
            assertThat(chunk.frames()).hasSize(30);
            assertThat(chunk.frames().get(0).keyframe()).as("segment %d starts with a keyframe", k).isTrue();
            long firstPts = chunk.frames().get(0).ptsMicros();
            for (MediaProbe.Decoded frame : chunk.frames()) {
                // event time from the segment's rule equals the source frame's media time: no gap, no overlap
                long eventMicros = segment.startMicros() + (frame.ptsMicros() - firstPts);
                assertThat(eventMicros - START_MICROS).isCloseTo(frame.index() * 1_000_000L / 15, org.assertj.core.data.Offset.offset(12L));
                indices.add(frame.index());
            }
            // what the narrator checks of a segment (whole packets, presentation times within the declared duration) holds
            SegmentDecoder.Result checked = SegmentDecoder.decode(new SegmentDecoder.Segment(SegmentDecoder.Container.MPEGTS, null, segment.bytes(),
                    segment.startMicros(), segment.durationMicros()), new FpsSampler(1), FpsSampler.NONE, 1_000_000);
            assertThat(checked.decodedFrames()).isEqualTo(30);
        }
        assertThat(indices).containsExactlyElementsOf(IntStream.range(0, FRAMES).boxed().toList());
        assertThat(progress).extracting(IngestProgress::items).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(progress.get(4).mediaSeconds()).isCloseTo(10.0, org.assertj.core.data.Offset.offset(0.01));
    }

    @Test
    void copiesThePacketsInsteadOfReencodingThem() throws Exception {
        CollectingSink sink = new CollectingSink();
        ingest(video, sink, new ArrayList<>());

        List<byte[]> source;
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(video.toString())) {
            grabber.start();
            source = MediaProbe.sliceNals(grabber, true);
        }
        List<byte[]> copied = new ArrayList<>();
        for (EncodedSegment segment : sink.segments()) {
            try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(new java.io.ByteArrayInputStream(segment.bytes()))) {
                grabber.setFormat("mpegts");
                grabber.start();
                copied.addAll(MediaProbe.sliceNals(grabber, false));
            }
        }
        assertThat(source).hasSize(FRAMES);
        assertThat(copied).hasSize(FRAMES);
        for (int i = 0; i < FRAMES; i++) assertThat(copied.get(i)).as("slice data of frame %d", i).isEqualTo(source.get(i));
    }

    @Test
    void reencodesCodecsThatMpegTsCannotCarry() throws Exception {
        Path mjpeg = TestVideos.write(dir.resolve("clip.avi"), "avi", "mjpeg", 320, 240, 15, 45, 1);
        CollectingSink sink = new CollectingSink();
        IngestResult result = ingest(mjpeg, sink, new ArrayList<>());

        assertThat(result.reencoded()).isTrue();
        assertThat(sink.segments()).hasSize(2); // 2 s + 1 s
        List<Integer> indices = new ArrayList<>();
        for (EncodedSegment segment : sink.segments()) {
            MediaProbe.Chunk chunk = MediaProbe.decodeTs(segment.bytes());
            assertThat(chunk.codec()).isEqualTo("h264");
            assertThat(chunk.frames().get(0).keyframe()).isTrue();
            chunk.frames().forEach(f -> indices.add(f.index()));
        }
        assertThat(indices).containsExactlyElementsOf(IntStream.range(0, 45).boxed().toList());
        assertThat(sink.segments().get(1).startMicros()).isEqualTo(START_MICROS + 2_000_000L);
        assertThat(sink.segments().get(1).durationMicros()).isCloseTo(1_000_000L, org.assertj.core.data.Offset.offset(1_000L));
    }

    @Test
    void realtimeHoldsEachSegmentBackUntilItsEndIsDue() {
        List<java.time.Duration> waits = new ArrayList<>();
        CollectingSink sink = new CollectingSink();
        IngestJob.builder()
                .setSource(VideoSource.parse(video.toString()))
                .setOptions(IngestOptions.builder().setStreamId("cam-7").optMode(IngestMode.SEGMENTS).optStartTime(START).optRealtime(true)
                        .build())
                .setSink(sink)
                .optSleeper(waits::add)
                .build()
                .run();
        assertThat(sink.segments()).hasSize(5);
        // this sleeper returns at once, so each wait runs from the first frame's release to a segment's end (at most 10 s)
        assertThat(waits).isNotEmpty().allSatisfy(w -> assertThat(w).isPositive().isLessThanOrEqualTo(java.time.Duration.ofSeconds(10)));
    }

    private static IngestResult ingest(Path file, CollectingSink sink, List<IngestProgress> progress) {
        return IngestJob.builder()
                .setSource(VideoSource.parse(file.toString()))
                .setOptions(IngestOptions.builder().setStreamId("cam-7").optMode(IngestMode.SEGMENTS).optStartTime(START).build())
                .setSink(sink)
                .optProgress(progress::add)
                .build()
                .run();
    }
}
