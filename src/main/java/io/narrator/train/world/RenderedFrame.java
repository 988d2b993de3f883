package io.narrator.train.world;

import java.awt.image.BufferedImage;

/**
 * One rendered frame and its presentation time in microseconds. The renderer hands out a fresh image
 * per frame and never touches it again; consumers must not mutate it either.
 */
public record RenderedFrame(BufferedImage image, long timestampMicros) {
    public RenderedFrame {
        if (image == null) throw new IllegalArgumentException("frame image must not be null");
        if (timestampMicros < 0) throw new IllegalArgumentException("frame timestamp must not be negative, got " + timestampMicros + " µs");
    }

    /** The image width in pixels. */
    public int width() {
        return image.getWidth();
    }

    /** The image height in pixels. */
    public int height() {
        return image.getHeight();
    }
}
