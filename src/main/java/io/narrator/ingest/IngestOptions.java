package io.narrator.ingest;

import java.time.Instant;
import java.util.Objects;

/**
 * Everything that shapes one ingest besides its source and sink; the {@code narrator ingest} flags.
 *
 * @param streamId the stream id every frame or segment is published under ({@code --stream-id})
 * @param mode frames or segments ({@code --as})
 * @param fps frames kept per second of video in frames mode ({@code --fps}); segments carry every frame
 * @param realtime pace files and image folders at their presentation times, like a live camera ({@code --realtime})
 * @param startTime event time of the source's first frame ({@code --start-time}); null: the wall clock when it is read
 * @param segmentSeconds target segment length; segments are cut at the first keyframe after it ({@code --segment-seconds})
 * @param jpegQuality JPEG quality of sampled frames, in (0, 1]
 * @param folderFps frame rate that turns the images of a folder into a video: image {@code i} is at {@code i / folderFps} s
 * @param reconnect backoff for live sources that drop
 */
public record IngestOptions(
        String streamId, IngestMode mode, double fps, boolean realtime, Instant startTime, double segmentSeconds, float jpegQuality,
        double folderFps, ReconnectPolicy reconnect) {

    /** Highest accepted sampling rate and folder frame rate. */
    public static final double MAX_FPS = 1000;

    public IngestOptions {
        if (streamId == null || streamId.isBlank()) throw new IllegalArgumentException("a stream id is required (--stream-id)");
        Objects.requireNonNull(mode, "mode");
        if (!(fps > 0) || fps > MAX_FPS) {
            throw new IllegalArgumentException("fps must be a positive number of frames per second up to " + (int) MAX_FPS + ", got " + fps);
        }
        if (!(segmentSeconds > 0) || segmentSeconds > 3600) {
            throw new IllegalArgumentException("segment length must be a positive number of seconds up to 3600, got " + segmentSeconds);
        }
        if (!(jpegQuality > 0) || jpegQuality > 1) throw new IllegalArgumentException("JPEG quality must be in (0, 1], got " + jpegQuality);
        if (!(folderFps > 0) || folderFps > MAX_FPS) {
            throw new IllegalArgumentException("image folder frame rate must be positive and up to " + (int) MAX_FPS + ", got " + folderFps);
        }
        Objects.requireNonNull(reconnect, "reconnect");
    }

    /** A builder with the documented defaults: frames at 1 fps, 2 s segments, JPEG quality 0.85, folders at 1 fps. */
    public static Builder builder() {
        return new Builder();
    }

    /** Segment length in microseconds. */
    public long segmentMicros() {
        return Math.round(segmentSeconds * 1_000_000d);
    }

    /** The sampler for frames mode. */
    public FpsSampler sampler() {
        return new FpsSampler(fps);
    }

    /** Builds {@link IngestOptions}; {@code setStreamId} is required. */
    public static final class Builder {
        private String streamId;
        private IngestMode mode = IngestMode.FRAMES;
        private double fps = 1;
        private boolean realtime;
        private Instant startTime;
        private double segmentSeconds = 2;
        private float jpegQuality = 0.85f;
        private double folderFps = 1;
        private ReconnectPolicy reconnect = ReconnectPolicy.DEFAULT;

        private Builder() {}

        public Builder setStreamId(String streamId) {
            this.streamId = streamId;
            return this;
        }

        public Builder optMode(IngestMode mode) {
            this.mode = mode;
            return this;
        }

        public Builder optFps(double fps) {
            this.fps = fps;
            return this;
        }

        public Builder optRealtime(boolean realtime) {
            this.realtime = realtime;
            return this;
        }

        /** Event time of the first frame; see {@link EventClock#parseStartTime(String)} for the flag's syntax. */
        public Builder optStartTime(Instant startTime) {
            this.startTime = startTime;
            return this;
        }

        public Builder optSegmentSeconds(double segmentSeconds) {
            this.segmentSeconds = segmentSeconds;
            return this;
        }

        public Builder optJpegQuality(float jpegQuality) {
            this.jpegQuality = jpegQuality;
            return this;
        }

        public Builder optFolderFps(double folderFps) {
            this.folderFps = folderFps;
            return this;
        }

        public Builder optReconnect(ReconnectPolicy reconnect) {
            this.reconnect = reconnect;
            return this;
        }

        public IngestOptions build() {
            return new IngestOptions(streamId, mode, fps, realtime, startTime, segmentSeconds, jpegQuality, folderFps, reconnect);
        }
    }
}
