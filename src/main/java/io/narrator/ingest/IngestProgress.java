package io.narrator.ingest;

/**
 * How far an ingest has got: what a progress bar shows.
 *
 * @param items frames (in frames mode) or segments (in segments mode) delivered so far
 * @param mediaSeconds media time read so far, from the source's first frame
 * @param totalSeconds the source's length in media seconds, or 0 when it is unknown (live sources)
 */
public record IngestProgress(long items, double mediaSeconds, double totalSeconds) {

    public IngestProgress {
        if (items < 0) throw new IllegalArgumentException("items must be >= 0, got " + items);
        if (!(mediaSeconds >= 0)) throw new IllegalArgumentException("media seconds must be >= 0, got " + mediaSeconds);
        if (!(totalSeconds >= 0)) throw new IllegalArgumentException("total seconds must be >= 0, got " + totalSeconds);
    }

    /** Whether the source has a known length (files and image folders). */
    public boolean hasTotal() {
        return totalSeconds > 0;
    }
}
