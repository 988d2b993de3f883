package io.narrator.ingest;

import java.util.ArrayList;
import java.util.List;

/** An {@link IngestSink} that keeps everything in memory, in arrival order: for offline captioning of short videos and for tests. */
public final class CollectingSink implements IngestSink {
    private final List<EncodedFrame> frames = new ArrayList<>();
    private final List<EncodedSegment> segments = new ArrayList<>();
    private boolean closed;

    @Override
    public synchronized void onFrame(EncodedFrame frame) {
        requireOpen();
        frames.add(frame);
    }

    @Override
    public synchronized void onSegment(EncodedSegment segment) {
        requireOpen();
        segments.add(segment);
    }

    /** The frames received so far. */
    public synchronized List<EncodedFrame> frames() {
        return List.copyOf(frames);
    }

    /** The segments received so far. */
    public synchronized List<EncodedSegment> segments() {
        return List.copyOf(segments);
    }

    /** Whether {@link #close()} was called. */
    public synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        closed = true;
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("this sink is closed");
    }
}
