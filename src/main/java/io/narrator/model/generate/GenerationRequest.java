package io.narrator.model.generate;

import java.util.List;

/**
 * A prompt whose {@code <image>} markers stand for {@code media} (one marker per item, in order), and how
 * to decode its continuation.
 */
public record GenerationRequest(String prompt, List<Media> media, DecodingOptions options) {
    public GenerationRequest {
        if (prompt == null) throw new IllegalArgumentException("prompt must not be null");
        media = media == null ? List.of() : List.copyOf(media);
        if (options == null) throw new IllegalArgumentException("decoding options must not be null");
    }
}
