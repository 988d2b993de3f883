package io.narrator.train.world;

/** The pattern of a scene's background: always neutral and low-contrast, never an object colour. */
public enum Texture {
    /** One flat tone. */
    PLAIN,
    /** Parallel bands of two close tones, at 0, 45, 90 or 135 degrees. */
    STRIPES,
    /** A checkerboard of two close tones. */
    CHECKS,
    /** Smooth low-contrast value noise. */
    NOISE
}
