package io.narrator.train.world;

/**
 * The colour of a scene's objects: six saturated colours chosen to stay apart from each other and
 * from the neutral backgrounds even after a frame is downscaled to 64×64.
 */
public enum Colour {
    RED("red", 0xDC2828),
    GREEN("green", 0x28BE3C),
    BLUE("blue", 0x285AEB),
    YELLOW("yellow", 0xF0D728),
    PURPLE("purple", 0x963CD2),
    ORANGE("orange", 0xF5871E);

    private final String word;
    private final int rgb;

    Colour(String word, int rgb) {
        this.word = word;
        this.rgb = rgb;
    }

    /** The word the grammar uses for this colour. */
    public String word() {
        return word;
    }

    /** The nominal colour as 0xRRGGBB; a scene jitters it by a few levels per channel. */
    public int rgb() {
        return rgb;
    }

    /** The palette colour closest (Euclidean distance in RGB) to {@code rgb} (0xRRGGBB). */
    public static Colour nearest(int rgb) {
        Colour best = RED;
        long bestDistance = Long.MAX_VALUE;
        for (Colour c : values()) {
            long d = distanceSquared(rgb, c.rgb);
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return best;
    }

    /** The squared Euclidean distance between two 0xRRGGBB colours. */
    public static long distanceSquared(int a, int b) {
        long dr = ((a >> 16) & 0xFF) - ((b >> 16) & 0xFF);
        long dg = ((a >> 8) & 0xFF) - ((b >> 8) & 0xFF);
        long db = (a & 0xFF) - (b & 0xFF);
        return dr * dr + dg * dg + db * db;
    }
}
