package io.narrator.model.family;

import java.util.ArrayList;
import java.util.List;

/** The checkpoint families Narrator imports, found by name or alias. */
public final class CheckpointFamilies {
    private static final List<CheckpointFamily> ALL = List.of(new FlamingoMiniFamily(), new OpenFlamingoFamily(), new NarratorFamily());

    private CheckpointFamilies() {}

    public static List<CheckpointFamily> all() {
        return ALL;
    }

    /** The family called {@code name} (or one of its aliases); an unknown name is an error listing the known ones. */
    public static CheckpointFamily of(String name) {
        for (CheckpointFamily f : ALL) if (f.name().equals(name) || f.aliases().contains(name)) return f;
        throw new IllegalArgumentException("unknown checkpoint family '" + name + "': known families are " + known());
    }

    /** {@code flamingo-mini (also flamingo-tiny), openflamingo (also open-flamingo), narrator}. */
    public static String known() {
        List<String> parts = new ArrayList<>();
        for (CheckpointFamily f : ALL)
            parts.add(f.aliases().isEmpty() ? f.name() : f.name() + " (also " + String.join(", ", f.aliases()) + ")");
        return String.join(", ", parts);
    }
}
