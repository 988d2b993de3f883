package io.narrator.ingest;

import java.util.Objects;

/**
 * Cuts a source into segments of about {@code --segment-seconds}: decides where each starts (a
 * keyframe at least the target length after the last start), keeps the chunk being written, and
 * delivers finished chunks with their event time, duration and, for {@code --realtime}, at the time
 * their last frame is due. Media times are in microseconds of the source's clock.
 */
final class SegmentAssembler implements AutoCloseable {
    private final long segmentMicros;
    private final EventClock clock;
    private final Pacer pacer;
    private final SinkFeed feed;
    private TsChunk chunk;
    private long startMedia;
    private long startEvent;
    private long endMedia;
    private long firstMedia = Long.MIN_VALUE;

    SegmentAssembler(long segmentMicros, EventClock clock, Pacer pacer, SinkFeed feed) {
        if (segmentMicros <= 0) throw new IllegalArgumentException("segment length must be positive, got " + segmentMicros + " us");
        this.segmentMicros = segmentMicros;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pacer = pacer;
        this.feed = Objects.requireNonNull(feed, "feed");
    }

    /** Whether a frame at {@code mediaMicros} starts a new segment: the first keyframe, or a keyframe once the segment is long enough. */
    boolean startsSegment(long mediaMicros, boolean keyframe) {
        return keyframe && (chunk == null || mediaMicros - startMedia >= segmentMicros);
    }

    /** Whether a segment is being written. */
    boolean isOpen() {
        return chunk != null;
    }

    /** The chunk being written. */
    TsChunk chunk() {
        if (chunk == null) throw new IllegalStateException("no segment is open");
        return chunk;
    }

    /** Delivers the open segment (ending where the new one starts) and opens {@code next}, whose first frame is at {@code mediaMicros}. */
    void start(TsChunk next, long mediaMicros) throws InterruptedException {
        Objects.requireNonNull(next, "next");
        try {
            if (firstMedia == Long.MIN_VALUE) {
                firstMedia = mediaMicros;
                if (pacer != null) pacer.awaitMediaTime(mediaMicros);
            }
            if (chunk != null) deliver(mediaMicros);
        } catch (RuntimeException | InterruptedException e) {
            next.close();
            throw e;
        }
        chunk = next;
        startMedia = mediaMicros;
        endMedia = mediaMicros;
        startEvent = clock.eventMicros(mediaMicros);
    }

    /** Records that the open segment reaches at least {@code mediaMicros} (a frame's end). */
    void extend(long mediaMicros) {
        if (mediaMicros > endMedia) endMedia = mediaMicros;
    }

    /** Delivers the open segment, if any, ending at the end of its last frame: the end of a connection or of the source. */
    void finish() throws InterruptedException {
        if (chunk != null) deliver(endMedia);
    }

    /** Restarts the media clock of the progress report after a reconnect. */
    void reconnected() {
        firstMedia = Long.MIN_VALUE;
    }

    private void deliver(long endMicros) throws InterruptedException {
        TsChunk done = chunk;
        chunk = null;
        byte[] bytes = done.finish();
        if (pacer != null) pacer.awaitMediaTime(endMicros);
        feed.segment(startEvent, Math.max(1, endMicros - startMedia), bytes, (endMicros - firstMedia) / 1e6);
    }

    /** Drops an undelivered segment (after a failure or a stop). */
    @Override
    public void close() {
        if (chunk != null) {
            chunk.close();
            chunk = null;
        }
    }
}
