package io.narrator.ingest;

/** What ingest publishes: sampled still frames or encoded segments ({@code --as frames|segments}). */
public enum IngestMode {
    /** Frames sampled at {@code --fps}, each JPEG-encoded. */
    FRAMES,
    /** MPEG-TS chunks of about {@code --segment-seconds}, remuxed without re-encoding where possible. */
    SEGMENTS
}
