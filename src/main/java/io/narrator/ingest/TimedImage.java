package io.narrator.ingest;

import java.awt.image.BufferedImage;
import java.util.Objects;

/**
 * A decoded frame of a clip and where it sits in the clip.
 *
 * @param timeMicros media time from the clip's first frame (which is at 0), in microseconds
 * @param image the decoded frame
 */
public record TimedImage(long timeMicros, BufferedImage image) {
    public TimedImage {
        if (timeMicros < 0) throw new IllegalArgumentException("a frame's media time must be >= 0, got " + timeMicros + " us");
        Objects.requireNonNull(image, "image");
    }
}
