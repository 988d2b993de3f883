package io.narrator.ingest;

/** How the pixels of an {@link EncodedFrame} are stored. */
public enum FrameEncoding {
    /** A baseline JPEG file. */
    JPEG,
    /** A PNG file. */
    PNG,
    /** Uncompressed rows of 8-bit red, green, blue triples, no padding: {@code width * height * 3} bytes. */
    RAW_RGB24
}
