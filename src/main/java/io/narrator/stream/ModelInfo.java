package io.narrator.stream;

/**
 * Identity and input geometry of a narration model (its name and version are copied into every caption): the size of
 * its images, the most frames a clip may have, and its context in tokens (the prompt and every generated token must
 * fit).
 *
 * @param maxFrames the most frames a clip may hold ({@link #ANY_FRAMES} when the model reads a clip of any length:
 *     one that picks the frames it uses itself); windows of more frames are refused, older frames left out
 */
public record ModelInfo(String name, String version, int imageSize, int maxFrames, int contextTokens) {
    /** {@link #maxFrames} of a model that reads clips of any length. */
    public static final int ANY_FRAMES = Integer.MAX_VALUE;

    public ModelInfo {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("model name must not be blank");
        if (version == null || version.isBlank()) throw new IllegalArgumentException("model version must not be blank");
        if (imageSize <= 0) throw new IllegalArgumentException("imageSize must be positive, got " + imageSize);
        if (maxFrames <= 0) throw new IllegalArgumentException("maxFrames must be positive, got " + maxFrames);
        if (contextTokens <= 0) throw new IllegalArgumentException("contextTokens must be positive, got " + contextTokens);
    }
}
