package io.narrator.stream;

/** A finished {@link NarrationJob}: the model's result (or the reason it was skipped) and its time in the queue. */
public record NarrationCompletion(NarrationJob job, ClipNarration result, long queueMs) {
    public NarrationCompletion {
        if (job == null || result == null) throw new IllegalArgumentException("job and result must not be null");
    }
}
