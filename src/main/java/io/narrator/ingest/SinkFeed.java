package io.narrator.ingest;

import java.util.Objects;

/** Numbers what one ingest delivers, hands it to the sink and reports progress after each item. */
final class SinkFeed {
    private final String streamId;
    private final IngestSink sink;
    private final ProgressListener progress;
    private long frames;
    private long segments;
    private double mediaSeconds;
    private double totalSeconds;

    SinkFeed(String streamId, IngestSink sink, ProgressListener progress) {
        this.streamId = Objects.requireNonNull(streamId, "streamId");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /** Sets the source's length in media seconds (0 when unknown). */
    void setTotalSeconds(double totalSeconds) {
        this.totalSeconds = Math.max(0, totalSeconds);
    }

    /** Delivers the next frame; {@code mediaSeconds} is how far into the source it lies. */
    void frame(long timestampMicros, int width, int height, FrameEncoding encoding, byte[] bytes, double mediaSeconds) {
        sink.onFrame(new EncodedFrame(streamId, frames, timestampMicros, width, height, encoding, bytes));
        frames++;
        report(frames, mediaSeconds);
    }

    /** Delivers the next MPEG-TS segment; {@code mediaSeconds} is where it ends in the source. */
    void segment(long startMicros, long durationMicros, byte[] bytes, double mediaSeconds) {
        sink.onSegment(new EncodedSegment(streamId, segments, startMicros, durationMicros, SegmentContainer.MPEGTS, null, bytes));
        segments++;
        report(segments, mediaSeconds);
    }

    long frames() {
        return frames;
    }

    long segments() {
        return segments;
    }

    double mediaSeconds() {
        return mediaSeconds;
    }

    private void report(long items, double seconds) {
        mediaSeconds = Math.max(mediaSeconds, Math.max(0, seconds));
        double total = totalSeconds > 0 ? Math.max(totalSeconds, mediaSeconds) : 0;
        progress.onProgress(new IngestProgress(items, mediaSeconds, total));
    }
}
