package io.narrator.ingest;

import java.time.Instant;
import java.util.List;

/**
 * A short clip (video file, URL or folder of frames) as one self-contained MPEG-TS chunk, remuxed without
 * re-encoding where the codec allows (as {@code narrator ingest --as segments} does): how a video travels as
 * a few-shot example in a {@code NarrationPrompt}.
 */
public final class MpegTsClip {
    /** Longest clip accepted; a prompt example is a few seconds. */
    public static final double MAX_SECONDS = 600;

    private MpegTsClip() {}

    /**
     * Encodes the whole clip at {@code location} as one MPEG-TS chunk.
     *
     * @throws IngestException naming the location when it cannot be read or is longer than {@value #MAX_SECONDS} s
     */
    public static byte[] of(String location) {
        VideoSource source = VideoSource.parse(location);
        IngestOptions options = IngestOptions.builder()
                .setStreamId("clip")
                .optMode(IngestMode.SEGMENTS)
                .optSegmentSeconds(MAX_SECONDS)
                .optStartTime(Instant.EPOCH)
                .optReconnect(ReconnectPolicy.NEVER)
                .build();
        try (CollectingSink sink = new CollectingSink()) {
            IngestJob.builder().setSource(source).setOptions(options).setSink(sink).build().run();
            List<EncodedSegment> segments = sink.segments();
            if (segments.isEmpty()) throw new IngestException(location + " holds no video frame");
            if (segments.size() > 1)
                throw new IngestException(location + " is longer than " + (int) MAX_SECONDS + " s; a prompt example should be a short clip");
            return segments.get(0).bytes();
        }
    }
}
