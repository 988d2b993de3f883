package io.narrator.train.world;

import java.util.List;

/** Where in the frame something is, by thirds of the width and height, with the phrases that say it. */
public enum Region {
    TOP_LEFT("at the top left"),
    TOP("at the top"),
    TOP_RIGHT("at the top right"),
    LEFT("on the left"),
    CENTRE("in the centre", "in the middle"),
    RIGHT("on the right"),
    BOTTOM_LEFT("at the bottom left"),
    BOTTOM("at the bottom"),
    BOTTOM_RIGHT("at the bottom right");

    private final List<String> phrases;

    Region(String... phrases) {
        this.phrases = List.of(phrases);
    }

    /** The phrases for this region, canonical first. */
    public List<String> phrases() {
        return phrases;
    }

    /** The region holding the frame-relative point ({@code x}, {@code y}). */
    public static Region of(double x, double y) {
        int column = x < 1.0 / 3 ? 0 : x > 2.0 / 3 ? 2 : 1;
        int row = y < 1.0 / 3 ? 0 : y > 2.0 / 3 ? 2 : 1;
        return values()[row * 3 + column];
    }
}
