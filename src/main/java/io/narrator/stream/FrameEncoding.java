package io.narrator.stream;

import java.util.Arrays;
import java.util.Optional;

/** The image encodings a {@code VideoFrame} may carry, by the name written in its {@code encoding} field. */
public enum FrameEncoding {
    JPEG,
    PNG,
    /** Uncompressed 8-bit R, G, B per pixel, rows top to bottom: width * height * 3 bytes. */
    RAW_RGB24;

    /** The encoding with this exact name, if any. */
    public static Optional<FrameEncoding> parse(String name) {
        return Arrays.stream(values()).filter(e -> e.name().equals(name)).findFirst();
    }
}
