package io.narrator.model.generate;

import java.util.List;

/**
 * Asks how likely {@code continuation} is after {@code prompt} (whose {@code <image>} markers stand for
 * {@code media}): how the paper and OpenFlamingo evaluate classification-style tasks.
 */
public record ScoreRequest(String prompt, List<Media> media, String continuation) {
    public ScoreRequest {
        if (prompt == null || prompt.isEmpty()) throw new IllegalArgumentException("prompt must not be empty");
        if (continuation == null || continuation.isBlank()) throw new IllegalArgumentException("the text to score must not be empty");
        media = media == null ? List.of() : List.copyOf(media);
    }
}
