package io.narrator.ingest;

import java.util.Arrays;
import java.util.Optional;

/** How the pixels of a frame are stored: an {@link EncodedFrame}'s, and a {@code VideoFrame}'s by the name in its {@code encoding} field. */
public enum FrameEncoding {
    /** A baseline JPEG file. */
    JPEG,
    /** A PNG file. */
    PNG,
    /** Uncompressed rows of 8-bit red, green, blue triples, no padding: {@code width * height * 3} bytes. */
    RAW_RGB24;

    /** The encoding with this exact name, if any. */
    public static Optional<FrameEncoding> parse(String name) {
        return Arrays.stream(values()).filter(e -> e.name().equals(name)).findFirst();
    }
}
