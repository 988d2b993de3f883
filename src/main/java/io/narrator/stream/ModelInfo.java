package io.narrator.stream;

/** Identity and input geometry of a narration model, copied into every caption. */
public record ModelInfo(String name, String version, int imageSize, int maxFrames) {
    public ModelInfo {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("model name must not be blank");
        if (version == null || version.isBlank()) throw new IllegalArgumentException("model version must not be blank");
        if (imageSize <= 0) throw new IllegalArgumentException("imageSize must be positive, got " + imageSize);
        if (maxFrames <= 0) throw new IllegalArgumentException("maxFrames must be positive, got " + maxFrames);
    }
}
