package io.narrator.ingest;

/** The container format of an {@link EncodedSegment}. */
public enum SegmentContainer {
    /** A self-contained MPEG transport stream chunk: PAT/PMT and codec parameters travel in every chunk. */
    MPEGTS,
    /** A fragmented-MP4 media fragment ({@code moof}+{@code mdat}); decoding needs the stream's init segment. */
    FMP4
}
