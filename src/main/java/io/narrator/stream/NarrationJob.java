package io.narrator.stream;

import io.narrator.avro.state.StoredFrame;
import java.util.List;

/**
 * One clip handed to the {@link NarrationEngine}: which stream and clip it is, its frames as stored (the engine
 * computes the features of those that carry an image, see {@link FrameFeatures}), what to put before them in the
 * prompt, the wall-clock time its window closed (lag is measured from there), where to deliver the result, and the
 * alert rules in force for the stream when it was submitted (the engine answers their questions with the caption).
 */
public record NarrationJob(String streamId, long clipIndex, List<StoredFrame> frames, Prompt prompt, long closedAtMillis, CompletionQueue completions,
        List<CompiledAlertRule> alertRules) {
    /** A job with no alert rules. */
    public NarrationJob(String streamId, long clipIndex, List<StoredFrame> frames, Prompt prompt, long closedAtMillis, CompletionQueue completions) {
        this(streamId, clipIndex, frames, prompt, closedAtMillis, completions, List.of());
    }

    public NarrationJob {
        if (streamId == null) throw new IllegalArgumentException("streamId must not be null");
        if (clipIndex < 0) throw new IllegalArgumentException("clipIndex must be >= 0, got " + clipIndex);
        if (frames == null || frames.isEmpty()) throw new IllegalArgumentException("a clip needs at least one frame, stream " + streamId);
        if (prompt == null) throw new IllegalArgumentException("prompt must not be null");
        if (completions == null) throw new IllegalArgumentException("completions must not be null");
        frames = List.copyOf(frames);
        alertRules = alertRules == null ? List.of() : List.copyOf(alertRules);
    }

    /** The questions of the job's QUESTION rules, in rule order: what the engine asks about the clip. */
    public List<AlertQuestion> questions() {
        return alertRules.stream().filter(CompiledAlertRule::isQuestion).map(CompiledAlertRule::question).toList();
    }

    /**
     * The stream's few-shot examples, its previous caption when context is wanted, the generation settings, and the
     * version of the prompt these came from (null if none).
     */
    public record Prompt(List<ClipRequest.PromptExample> examples, String previousCaption, GenerationSettings settings, String version) {
        public Prompt {
            examples = examples == null ? List.of() : List.copyOf(examples);
            if (settings == null) settings = GenerationSettings.DEFAULT;
        }
    }

    /** The request for the model, once the features of the clip's frames are known. */
    ClipRequest request(List<byte[]> frameFeatures) {
        return new ClipRequest(streamId, frameFeatures, prompt.examples(), prompt.previousCaption(), prompt.settings());
    }
}
