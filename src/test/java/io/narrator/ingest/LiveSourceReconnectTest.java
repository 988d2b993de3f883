package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FrameGrabber;
import org.junit.jupiter.api.Test;

/** A live camera that drops and comes back, played by a fake grabber factory over real MPEG-TS video. */
class LiveSourceReconnectTest {
    private static final VideoSource CAMERA = new VideoSource("rtsp://camera.local/stream", VideoSource.Kind.URL);
    private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
    private static final long T0_MICROS = EventClock.toMicros(T0);

    @Test
    void reconnectsWithBackoffContinuesTheStreamAndFinallyGivesUp() throws Exception {
        // two 2-second bursts of a 15 fps camera; the second shows frames 30..59
        byte[] first = TestVideos.encode("mpegts", "libopenh264", 160, 120, 15, 0, 30, 15);
        byte[] second = TestVideos.encode("mpegts", "libopenh264", 160, 120, 15, 30, 30, 15);
        Instant[] now = {T0};
        List<Duration> waits = new ArrayList<>();
        List<String> opens = new ArrayList<>();
        GrabberFactory camera = source -> {
            opens.add(source.location());
            return switch (opens.size()) {
                case 1 -> live(first);
                case 3 -> live(second);
                default -> throw new IngestException("cannot open stream " + source + " (Connection refused)");
            };
        };
        CollectingSink sink = new CollectingSink();
        IngestJob job = IngestJob.builder()
                .setSource(CAMERA)
                .setOptions(IngestOptions.builder().setStreamId("door")
                        .optReconnect(new ReconnectPolicy(Duration.ofSeconds(2), Duration.ofSeconds(30), 2, 3)).build())
                .setSink(sink)
                .optGrabberFactory(camera)
                .optWallClock(() -> now[0])
                .optSleeper(d -> {
                    waits.add(d);
                    now[0] = now[0].plus(d);
                })
                .build();

        assertThatThrownBy(job::run).isInstanceOf(IngestException.class)
                .hasMessage("gave up on rtsp://camera.local/stream after 3 reconnect attempts; last error: "
                        + "cannot open stream rtsp://camera.local/stream (Connection refused)");

        // drop 1: refused after 2 s, back after 4 s more; drop 2: refused after 2, 4 and 8 s, then give up
        assertThat(waits).containsExactly(Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(2), Duration.ofSeconds(4),
                Duration.ofSeconds(8));
        assertThat(opens).hasSize(6).containsOnly(CAMERA.location());
        // first connection: frames 0 and 15, anchored on the wall clock at the first grab, then media time;
        // after the reconnect the camera's clock restarts, and its first frame is re-anchored on the wall clock
        // (T0 + the 6 s slept); sampling goes on at whole seconds of event time
        assertThat(FrameIngestTest.indices(sink.frames())).containsExactly(0, 15, 30, 45);
        assertThat(sink.frames()).extracting(f -> f.timestampMicros() - T0_MICROS).containsExactly(0L, 1_000_000L, 6_000_000L, 7_000_000L);
        assertThat(sink.frames()).extracting(EncodedFrame::sequence).containsExactly(0L, 1L, 2L, 3L);
    }

    /**
     * A started grabber over in-memory MPEG-TS, set up as {@link GrabberFactory} promises, that reports no
     * length, as a live stream does (FFmpeg estimates one for in-memory data).
     */
    private static FFmpegFrameGrabber live(byte[] ts) {
        FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(new ByteArrayInputStream(ts)) {
            @Override
            public long getLengthInTime() {
                return 0;
            }
        };
        grabber.setFormat("mpegts");
        grabber.setImageMode(FrameGrabber.ImageMode.RAW);
        try {
            grabber.start();
        } catch (FrameGrabber.Exception e) {
            throw new IllegalStateException(e);
        }
        return grabber;
    }
}
