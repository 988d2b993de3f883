package io.narrator.stream;

/**
 * One clip handed to the {@link NarrationEngine}: which stream and clip it is, the request for the
 * model, the version of the prompt in it (null if none), the wall-clock time its window closed (lag
 * is measured from there), and where to deliver the result.
 */
public record NarrationJob(
        String streamId, long clipIndex, ClipRequest request, String promptVersion, long closedAtMillis, CompletionQueue completions) {
    public NarrationJob {
        if (streamId == null) throw new IllegalArgumentException("streamId must not be null");
        if (clipIndex < 0) throw new IllegalArgumentException("clipIndex must be >= 0, got " + clipIndex);
        if (request == null) throw new IllegalArgumentException("request must not be null");
        if (completions == null) throw new IllegalArgumentException("completions must not be null");
    }
}
