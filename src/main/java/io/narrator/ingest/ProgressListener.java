package io.narrator.ingest;

/** Receives {@link IngestProgress} after every delivered frame or segment, on the ingest's thread. */
@FunctionalInterface
public interface ProgressListener {

    /** Ignores progress. */
    ProgressListener NONE = progress -> {};

    /** Called after each frame or segment reaches the sink. */
    void onProgress(IngestProgress progress);
}
