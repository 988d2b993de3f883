package io.narrator.ingest;

/**
 * Sampling before decoding: of the frames of one stream, keeps the first at or after each
 * {@code 1/fps} boundary of event time and drops the rest. Boundaries are aligned to time zero, so
 * two samplers at the same rate agree on which frames to keep whatever frame they start with.
 *
 * <p>Stateless: the caller keeps the timestamp of the last kept frame per stream (in a state store,
 * or a field for a single source), so the same rule serves ingest, segments and the topology.
 */
public record FpsSampler(double fps) {

    /** What to do with one frame. */
    public enum Decision {
        /** The first frame of a new sampling period: decode and use it. */
        KEEP,
        /** Another frame of a period that already has its sample. */
        DROP_RATE,
        /** Same event time as the last kept frame. */
        DROP_DUPLICATE,
        /** Older than the last kept frame: never reordered into a clip. */
        DROP_LATE
    }

    /** No previous frame has been kept. */
    public static final long NONE = Long.MIN_VALUE;

    public FpsSampler {
        if (!(fps > 0) || fps > 1000) throw new IllegalArgumentException("fps must be in (0, 1000], got " + fps);
    }

    /** The length of one sampling period in microseconds. */
    public long periodMicros() {
        return Math.max(1, Math.round(1_000_000d / fps));
    }

    /** The index of the sampling period that holds {@code timestampMicros}. */
    public long periodOf(long timestampMicros) {
        return Math.floorDiv(timestampMicros, periodMicros());
    }

    /**
     * Decides about a frame with event time {@code timestampMicros}, given the event time of the last
     * frame kept for the same stream ({@link #NONE} if none).
     */
    public Decision decide(long lastKeptMicros, long timestampMicros) {
        if (lastKeptMicros == NONE) return Decision.KEEP;
        if (timestampMicros == lastKeptMicros) return Decision.DROP_DUPLICATE;
        if (timestampMicros < lastKeptMicros) return Decision.DROP_LATE;
        return periodOf(timestampMicros) > periodOf(lastKeptMicros) ? Decision.KEEP : Decision.DROP_RATE;
    }
}
