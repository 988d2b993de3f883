package io.narrator.stream;

/**
 * A finished {@link NarrationJob}: the model's result (or the reason it was skipped), its time in the queue, and the
 * vision-encoder time of its frames (each frame's share of the call that encoded it, whenever that was).
 */
public record NarrationCompletion(NarrationJob job, ClipNarration result, long queueMs, long visionMs) {
    public NarrationCompletion {
        if (job == null || result == null) throw new IllegalArgumentException("job and result must not be null");
    }
}
