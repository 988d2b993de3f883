package io.narrator.stream;

import java.util.List;

/**
 * One clip to narrate: the features of its frames in time order (from {@link Narration#encodeFrames} or
 * {@link Narration#encodeVisionInputs}),
 * the few-shot examples to put before it, the stream's previous caption when context is wanted, and
 * the generation settings.
 */
public record ClipRequest(
        String streamId,
        List<byte[]> frameFeatures,
        List<PromptExample> examples,
        String previousCaption,
        GenerationSettings settings) {
    public ClipRequest {
        if (streamId == null) throw new IllegalArgumentException("streamId must not be null");
        if (frameFeatures == null || frameFeatures.isEmpty())
            throw new IllegalArgumentException("a clip needs at least one frame, stream " + streamId);
        frameFeatures = List.copyOf(frameFeatures);
        examples = examples == null ? List.of() : List.copyOf(examples);
        if (settings == null) settings = GenerationSettings.DEFAULT;
    }

    /** One in-context example: the features of its media frames (one for an image, several for a clip) and its text. */
    public record PromptExample(List<byte[]> frameFeatures, String text) {
        public PromptExample {
            if (frameFeatures == null || frameFeatures.isEmpty())
                throw new IllegalArgumentException("a prompt example needs at least one frame");
            if (text == null) throw new IllegalArgumentException("a prompt example needs a text");
            frameFeatures = List.copyOf(frameFeatures);
        }
    }
}
