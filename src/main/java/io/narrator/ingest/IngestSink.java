package io.narrator.ingest;

/**
 * Where ingest delivers what it reads: a Kafka producer in production, memory in tests and offline
 * captioning. Ingest calls it from the thread that runs the ingest, in sequence order; the owner of the
 * sink closes it (ingest never does).
 */
public interface IngestSink extends AutoCloseable {

    /** Receives the next sampled frame. */
    void onFrame(EncodedFrame frame);

    /** Receives the next segment. */
    void onSegment(EncodedSegment segment);

    /** Flushes and releases whatever the sink holds. */
    @Override
    void close();
}
