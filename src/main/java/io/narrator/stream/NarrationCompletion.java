package io.narrator.stream;

import java.util.List;

/**
 * A finished {@link NarrationJob}: the model's result (or the reason it was skipped), its time in the queue, the
 * vision-encoder time of its frames (each frame's share of the call that encoded it, whenever that was), and the
 * scores of the job's questions ({@link NarrationJob#questions()}, in order; none when the clip was not narrated).
 */
public record NarrationCompletion(NarrationJob job, ClipNarration result, long queueMs, long visionMs, List<QuestionScores> answers) {
    /** A completion without answered questions. */
    public NarrationCompletion(NarrationJob job, ClipNarration result, long queueMs, long visionMs) {
        this(job, result, queueMs, visionMs, List.of());
    }

    public NarrationCompletion {
        if (job == null || result == null) throw new IllegalArgumentException("job and result must not be null");
        answers = answers == null ? List.of() : List.copyOf(answers);
    }
}
