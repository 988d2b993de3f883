package io.narrator.ingest;

import java.util.Arrays;
import java.util.Objects;

/**
 * A few seconds of encoded video, cut at a keyframe so that it decodes on its own: what ingest
 * publishes per segment.
 *
 * <p>Timing: the segment's earliest frame has event time {@code startMicros}; a frame inside has event
 * time {@code startMicros + (its PTS - the smallest PTS in the segment)}. The PTS inside the container
 * keep the source's media clock (possibly shifted by the muxer), so only differences between them mean
 * anything. {@code bytes} and {@code initSegment} are not copied: treat them as immutable.
 *
 * @param streamId the stream the segment belongs to (the Kafka key)
 * @param sequence position of the segment among those emitted for this stream by one ingest, from 0
 * @param startMicros event time of the first frame, in microseconds since the epoch
 * @param durationMicros media time the segment covers, up to the start of the next one
 * @param container the container format of {@code bytes}
 * @param initSegment for {@link SegmentContainer#FMP4}, the stream's init segment ({@code ftyp}+{@code moov}); null for MPEG-TS
 * @param bytes the encoded chunk
 */
public record EncodedSegment(
        String streamId, long sequence, long startMicros, long durationMicros, SegmentContainer container, byte[] initSegment,
        byte[] bytes) {

    public EncodedSegment {
        if (streamId == null || streamId.isBlank()) throw new IllegalArgumentException("a segment needs a non-blank stream id");
        if (sequence < 0) throw new IllegalArgumentException("segment sequence must be >= 0, got " + sequence);
        if (durationMicros <= 0) throw new IllegalArgumentException("segment duration must be positive, got " + durationMicros + " us");
        Objects.requireNonNull(container, "container");
        if (container == SegmentContainer.MPEGTS && initSegment != null) {
            throw new IllegalArgumentException("an MPEG-TS segment is self-contained and takes no init segment");
        }
        if (container == SegmentContainer.FMP4 && (initSegment == null || initSegment.length == 0)) {
            throw new IllegalArgumentException("a fragmented-MP4 segment needs the stream's init segment");
        }
        if (bytes == null || bytes.length == 0) throw new IllegalArgumentException("segment " + sequence + " of " + streamId + " has no bytes");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EncodedSegment s && sequence == s.sequence && startMicros == s.startMicros
                && durationMicros == s.durationMicros && streamId.equals(s.streamId) && container == s.container
                && Arrays.equals(initSegment, s.initSegment) && Arrays.equals(bytes, s.bytes);
    }

    @Override
    public int hashCode() {
        return (Objects.hash(streamId, sequence, startMicros, durationMicros, container) * 31 + Arrays.hashCode(initSegment)) * 31
                + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "EncodedSegment[" + streamId + " #" + sequence + " at " + startMicros + " us for " + durationMicros + " us, " + container
                + ", " + bytes.length + " bytes]";
    }
}
