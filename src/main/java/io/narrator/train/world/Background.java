package io.narrator.train.world;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A scene's background: a neutral grey or dark tone with an optional low-contrast texture. Sizes are
 * relative to the frame's short side, so the background looks the same at every resolution.
 *
 * @param texture the pattern
 * @param rgb the base tone as 0xRRGGBB (channels within {@link #MAX_TINT} of each other)
 * @param contrast the tone difference of the pattern in levels (0 for {@link Texture#PLAIN})
 * @param period the stripe, check or noise cell size as a fraction of the short side
 * @param angleDegrees the stripe direction: 0, 45, 90 or 135
 * @param noiseSeed the seed of the noise lattice
 */
public record Background(Texture texture, int rgb, int contrast, double period, int angleDegrees, long noiseSeed) {

    /** The largest difference between the channels of a base tone: backgrounds stay grey. */
    public static final int MAX_TINT = 12;
    /** The largest pattern contrast in levels. */
    public static final int MAX_CONTRAST = 18;

    private static final List<int[]> TINTS = List.of(
            new int[] {0, 0, 0}, new int[] {-3, -1, 6}, new int[] {6, 2, -5}, new int[] {-2, 4, -2}, new int[] {3, -2, 4});

    public Background {
        if (texture == null) throw new IllegalArgumentException("background texture must not be null");
        if ((rgb & ~0xFFFFFF) != 0) throw new IllegalArgumentException("background rgb must be 0xRRGGBB, got 0x" + Integer.toHexString(rgb));
        int r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
        if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > MAX_TINT)
            throw new IllegalArgumentException("background must be a neutral tone (channels within " + MAX_TINT + "), got 0x" + Integer.toHexString(rgb));
        if (contrast < 0 || contrast > MAX_CONTRAST)
            throw new IllegalArgumentException("background contrast must be in [0, " + MAX_CONTRAST + "], got " + contrast);
        if (texture == Texture.PLAIN && contrast != 0) throw new IllegalArgumentException("a plain background has contrast 0, got " + contrast);
        if (!(period > 0 && period <= 1)) throw new IllegalArgumentException("background period must be in (0, 1], got " + period);
        if (angleDegrees % 45 != 0 || angleDegrees < 0 || angleDegrees >= 180)
            throw new IllegalArgumentException("stripe angle must be 0, 45, 90 or 135, got " + angleDegrees);
    }

    /** Draws a background: plain with probability {@code 1 - texturedFraction}, else one of the textures. */
    public static Background random(RandomGenerator random, double texturedFraction) {
        int level = 28 + random.nextInt(73); // 28..100
        int[] tint = TINTS.get(random.nextInt(TINTS.size()));
        int rgb = (level + tint[0]) << 16 | (level + tint[1]) << 8 | (level + tint[2]);
        boolean textured = random.nextDouble() < texturedFraction;
        Texture texture = textured ? Texture.values()[1 + random.nextInt(Texture.values().length - 1)] : Texture.PLAIN;
        int contrast = textured ? 6 + random.nextInt(MAX_CONTRAST - 6 + 1) : 0;
        double period = texture == Texture.NOISE ? 0.04 + 0.06 * random.nextDouble() : 0.05 + 0.10 * random.nextDouble();
        int angle = 45 * random.nextInt(4);
        return new Background(texture, rgb, contrast, period, angle, random.nextLong());
    }

    /** Fills {@code pixels} (row-major 0xRRGGBB, length {@code width * height}) with this background. */
    public void fill(int[] pixels, int width, int height) {
        if (pixels.length < width * height)
            throw new IllegalArgumentException("pixel buffer holds " + pixels.length + " pixels, a " + width + "x" + height + " frame needs " + width * height);
        double cell = period * Math.min(width, height);
        switch (texture) {
            case PLAIN -> java.util.Arrays.fill(pixels, 0, width * height, rgb);
            case STRIPES -> fillStripes(pixels, width, height, cell);
            case CHECKS -> fillChecks(pixels, width, height, cell);
            case NOISE -> fillNoise(pixels, width, height, cell);
        }
    }

    private void fillStripes(int[] pixels, int width, int height, double cell) {
        double angle = Math.toRadians(angleDegrees);
        double cos = Math.cos(angle) / cell, sin = Math.sin(angle) / cell;
        int light = shifted(contrast / 2), dark = shifted(contrast / 2 - contrast);
        for (int y = 0; y < height; y++) {
            double rowPhase = (y + 0.5) * sin;
            int row = y * width;
            for (int x = 0; x < width; x++) {
                long band = (long) Math.floor((x + 0.5) * cos + rowPhase);
                pixels[row + x] = (band & 1) == 0 ? light : dark;
            }
        }
    }

    private void fillChecks(int[] pixels, int width, int height, double cell) {
        int light = shifted(contrast / 2), dark = shifted(contrast / 2 - contrast);
        for (int y = 0; y < height; y++) {
            long cy = (long) Math.floor((y + 0.5) / cell);
            int row = y * width;
            for (int x = 0; x < width; x++) {
                long cx = (long) Math.floor((x + 0.5) / cell);
                pixels[row + x] = ((cx + cy) & 1) == 0 ? light : dark;
            }
        }
    }

    private void fillNoise(int[] pixels, int width, int height, double cell) {
        int latticeWidth = (int) Math.ceil(width / cell) + 2, latticeHeight = (int) Math.ceil(height / cell) + 2;
        double[] lattice = new double[latticeWidth * latticeHeight];
        for (int j = 0; j < latticeHeight; j++)
            for (int i = 0; i < latticeWidth; i++) lattice[j * latticeWidth + i] = latticeValue(i, j);
        int[] tones = new int[2 * contrast + 1];
        for (int d = -contrast; d <= contrast; d++) tones[d + contrast] = shifted(d);
        for (int y = 0; y < height; y++) {
            double fy = (y + 0.5) / cell;
            int j = (int) fy;
            double ty = smooth(fy - j);
            int row = y * width;
            for (int x = 0; x < width; x++) {
                double fx = (x + 0.5) / cell;
                int i = (int) fx;
                double tx = smooth(fx - i);
                int k = j * latticeWidth + i;
                double top = lattice[k] + (lattice[k + 1] - lattice[k]) * tx;
                double bottom = lattice[k + latticeWidth] + (lattice[k + latticeWidth + 1] - lattice[k + latticeWidth]) * tx;
                double v = top + (bottom - top) * ty; // in [-1, 1]
                pixels[row + x] = tones[(int) Math.round(v * contrast) + contrast];
            }
        }
    }

    /** A value in [-1, 1] hashed from the noise seed and a lattice point (SplitMix64 finaliser). */
    private double latticeValue(int i, int j) {
        long z = noiseSeed + 0x9E3779B97F4A7C15L * (i + 1) + 0xC2B2AE3D27D4EB4FL * (j + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53 * 2 - 1;
    }

    private static double smooth(double t) {
        return t * t * (3 - 2 * t);
    }

    private int shifted(int delta) {
        int r = clamp(((rgb >> 16) & 0xFF) + delta), g = clamp(((rgb >> 8) & 0xFF) + delta), b = clamp((rgb & 0xFF) + delta);
        return r << 16 | g << 8 | b;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
