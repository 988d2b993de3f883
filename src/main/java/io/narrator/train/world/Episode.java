package io.narrator.train.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Scenes played back to back, as in a long synthetic live stream or video file, with the ground truth
 * per time range. Episode time starts at 0; scene {@code i} covers [{@code startMicros(i)},
 * {@code startMicros(i) + duration}).
 */
public final class Episode {

    /** One scene of an episode and where it sits in episode time. */
    public record Slot(int index, Scene scene, long startMicros) {
        /** The end of this scene, exclusive. */
        public long endMicros() {
            return startMicros + scene.durationMicros();
        }

        /** Scene time at episode time {@code tMicros}. */
        public long localMicros(long tMicros) {
            return tMicros - startMicros;
        }
    }

    private final List<Scene> scenes;
    private final long[] starts;
    private final long duration;

    /** An episode of {@code scenes} in order. */
    public Episode(List<Scene> scenes) {
        if (scenes == null || scenes.isEmpty()) throw new IllegalArgumentException("an episode needs at least one scene");
        for (Scene s : scenes) if (s == null) throw new IllegalArgumentException("an episode's scenes must not be null");
        this.scenes = List.copyOf(scenes);
        this.starts = new long[scenes.size()];
        long t = 0;
        for (int i = 0; i < scenes.size(); i++) {
            starts[i] = t;
            t = Math.addExact(t, scenes.get(i).durationMicros());
        }
        this.duration = t;
    }

    /** An episode of one scene. */
    public static Episode of(Scene scene) {
        return new Episode(List.of(scene));
    }

    /** The scenes in playing order. */
    public List<Scene> scenes() {
        return scenes;
    }

    /** The total length in microseconds. */
    public long durationMicros() {
        return duration;
    }

    /** Scene {@code index} and its start time. */
    public Slot slot(int index) {
        if (index < 0 || index >= scenes.size())
            throw new IllegalArgumentException("scene index " + index + " is outside [0, " + scenes.size() + ")");
        return new Slot(index, scenes.get(index), starts[index]);
    }

    /** The scene playing at episode time {@code tMicros} (in [0, duration)). */
    public Slot slotAt(long tMicros) {
        if (tMicros < 0 || tMicros >= duration)
            throw new IllegalArgumentException("time " + tMicros + " µs is outside the episode [0, " + duration + ") µs");
        int i = java.util.Arrays.binarySearch(starts, tMicros);
        return slot(i >= 0 ? i : -i - 2);
    }

    /** The scene playing at episode time {@code tMicros}. */
    public Scene sceneAt(long tMicros) {
        return slotAt(tMicros).scene();
    }

    /** The scenes that overlap the window [{@code startMicros}, {@code endMicros}), in order. */
    public List<Slot> slotsIn(long startMicros, long endMicros) {
        checkWindow(startMicros, endMicros);
        List<Slot> overlapping = new ArrayList<>();
        for (int i = slotAt(startMicros).index(); i < scenes.size() && starts[i] < endMicros; i++) overlapping.add(slot(i));
        return overlapping;
    }

    /**
     * The ground truth of the window [{@code startMicros}, {@code endMicros}): the scene if the window
     * lies inside one scene, empty if it spans a scene change.
     */
    public Optional<Scene> truth(long startMicros, long endMicros) {
        List<Slot> overlapping = slotsIn(startMicros, endMicros);
        return overlapping.size() == 1 ? Optional.of(overlapping.get(0).scene()) : Optional.empty();
    }

    private void checkWindow(long startMicros, long endMicros) {
        if (startMicros < 0 || endMicros > duration || startMicros >= endMicros)
            throw new IllegalArgumentException("window [" + startMicros + ", " + endMicros + ") µs must be non-empty and inside the episode [0, "
                    + duration + ") µs");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Episode other && scenes.equals(other.scenes);
    }

    @Override
    public int hashCode() {
        return scenes.hashCode();
    }

    @Override
    public String toString() {
        return "Episode[" + scenes.size() + " scenes, " + duration + " µs]";
    }
}
