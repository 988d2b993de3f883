package io.narrator.stream;

import java.util.List;

/**
 * One clip and one question about it, for {@link Narration#answer}: the features of the clip's frames in time order,
 * the text after the clip's media marker, and the answers to score after that text.
 */
public record QuestionRequest(String streamId, List<byte[]> frameFeatures, String prompt, List<String> answers) {
    public QuestionRequest {
        if (streamId == null) throw new IllegalArgumentException("streamId must not be null");
        if (frameFeatures == null || frameFeatures.isEmpty())
            throw new IllegalArgumentException("a question needs a clip of at least one frame, stream " + streamId);
        if (prompt == null) throw new IllegalArgumentException("prompt must not be null");
        if (answers == null || answers.size() < 2) throw new IllegalArgumentException("a question needs at least two answers to compare");
        frameFeatures = List.copyOf(frameFeatures);
        answers = List.copyOf(answers);
    }
}
