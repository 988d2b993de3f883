package io.narrator.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job's life cycle: stopping mid-way, running once, required parts, sink failures. */
class IngestJobTest {
    @TempDir static Path dir;
    static Path video;

    @BeforeAll
    static void renderVideo() throws Exception {
        video = TestVideos.h264Mp4(dir.resolve("clip.mp4"), 160, 120, 15, 90, 15);
    }

    @Test
    void stopDeliversWhatIsReadyAndReturns() {
        IngestJob[] job = new IngestJob[1];
        CollectingSink sink = new CollectingSink();
        job[0] = IngestJob.builder()
                .setSource(VideoSource.parse(video.toString()))
                .setOptions(IngestOptions.builder().setStreamId("cam").optStartTime(Instant.EPOCH).build())
                .setSink(sink)
                .optProgress(p -> {
                    if (p.items() == 2) job[0].stop(); // Ctrl-C after the second frame
                })
                .build();
        IngestResult result = job[0].run();
        assertThat(job[0].isStopped()).isTrue();
        assertThat(result.frames()).isBetween(2L, 2L + 3); // frames already being encoded are still delivered
        assertThat(sink.frames()).hasSize((int) result.frames());
        assertThatThrownBy(job[0]::run).isInstanceOf(IllegalStateException.class).hasMessage("an IngestJob runs only once");
    }

    @Test
    void stopEndsASegmentIngestWithTheSegmentInProgress() {
        IngestJob[] job = new IngestJob[1];
        CollectingSink sink = new CollectingSink();
        job[0] = IngestJob.builder()
                .setSource(VideoSource.parse(video.toString()))
                .setOptions(IngestOptions.builder().setStreamId("cam").optMode(IngestMode.SEGMENTS).optSegmentSeconds(1).build())
                .setSink(sink)
                .optProgress(p -> job[0].stop())
                .build();
        assertThat(job[0].run().segments()).isEqualTo(2); // the first segment, then the one open when the stop was noticed
    }

    @Test
    void sinkFailuresReachTheCallerUnchanged() {
        IngestSink failing = new IngestSink() {
            @Override
            public void onFrame(EncodedFrame frame) {
                throw new IllegalStateException("broker unreachable");
            }

            @Override
            public void onSegment(EncodedSegment segment) {}

            @Override
            public void close() {}
        };
        IngestJob job = IngestJob.builder()
                .setSource(VideoSource.parse(video.toString()))
                .setOptions(IngestOptions.builder().setStreamId("cam").build())
                .setSink(failing)
                .build();
        assertThatThrownBy(job::run).isInstanceOf(IllegalStateException.class).hasMessage("broker unreachable");
    }

    @Test
    void theBuilderNamesWhatIsMissing() {
        assertThatThrownBy(() -> IngestJob.builder().build()).hasMessage("an ingest needs a source");
        assertThatThrownBy(() -> IngestJob.builder().setSource(VideoSource.parse(video.toString())).build())
                .hasMessage("an ingest needs options (at least a stream id)");
        assertThat(IngestOptions.builder().setStreamId("s").build())
                .isEqualTo(new IngestOptions("s", IngestMode.FRAMES, 1, false, null, 2, 0.85f, 1, ReconnectPolicy.DEFAULT));
    }
}
