package io.narrator.train.world;

/**
 * What the objects of a scene do over the clip. Every event needs several frames to see: a single
 * frame shows where the objects are, not where they go, whether they were there before, or how large
 * they were.
 */
public enum Event {
    MOVE_LEFT(-1, 0),
    MOVE_RIGHT(1, 0),
    MOVE_UP(0, -1),
    MOVE_DOWN(0, 1),
    STAY(0, 0),
    APPEAR(0, 0),
    DISAPPEAR(0, 0),
    GROW(0, 0),
    SHRINK(0, 0);

    private final int dx;
    private final int dy;

    Event(int dx, int dy) {
        this.dx = dx;
        this.dy = dy;
    }

    /** The horizontal direction of motion in image coordinates: -1 left, 1 right, 0 none. */
    public int dx() {
        return dx;
    }

    /** The vertical direction of motion in image coordinates: -1 up, 1 down, 0 none. */
    public int dy() {
        return dy;
    }

    /** Whether the objects travel across the frame. */
    public boolean isMotion() {
        return dx != 0 || dy != 0;
    }

    /** Whether the objects are visible for only part of the clip. */
    public boolean changesVisibility() {
        return this == APPEAR || this == DISAPPEAR;
    }
}
