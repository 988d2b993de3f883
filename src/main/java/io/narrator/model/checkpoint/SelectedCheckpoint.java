package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tensors of a checkpoint under one name prefix, named without it (see {@link Checkpoint#select}). */
final class SelectedCheckpoint implements Checkpoint, StoredTensors {
    private final Checkpoint whole;
    private final String prefix;
    private final List<String> names;

    private SelectedCheckpoint(Checkpoint whole, String prefix, List<String> names) {
        this.whole = whole;
        this.prefix = prefix;
        this.names = names;
    }

    static SelectedCheckpoint of(Checkpoint whole, String prefix) throws CheckpointException {
        if (prefix == null || prefix.isEmpty()) throw new IllegalArgumentException("select needs a non-empty prefix");
        List<String> names = new ArrayList<>();
        for (String n : whole.names()) if (n.startsWith(prefix) && n.length() > prefix.length()) names.add(n.substring(prefix.length()));
        if (names.isEmpty())
            throw new CheckpointException(whole.source() + " has no tensors under " + prefix + " (its tensors are under: "
                    + groups(whole.names()) + ")");
        return new SelectedCheckpoint(whole, prefix, List.copyOf(names));
    }

    /** The first segments of the names (up to the first dot) with their counts: {@code model_state_dict. (412), epoch (1)}. */
    static String groups(List<String> names) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String n : names) {
            int dot = n.indexOf('.');
            counts.merge(dot < 0 ? n : n.substring(0, dot + 1), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((g, c) -> parts.add(g + " (" + c + ")"));
        if (parts.size() > 20) {
            int more = parts.size() - 20;
            parts.subList(20, parts.size()).clear();
            parts.add("… " + more + " more");
        }
        return String.join(", ", parts);
    }

    @Override
    public String source() {
        return whole.source() + " [" + prefix + "*]";
    }

    @Override
    public List<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return whole.contains(prefix + name);
    }

    @Override
    public TensorInfo info(String name) throws CheckpointException {
        check(name);
        return whole.info(prefix + name).withName(name);
    }

    @Override
    public NDArray read(String name, NDManager manager, DataType type) throws CheckpointException {
        check(name);
        return whole.read(prefix + name, manager, type);
    }

    @Override
    public float[] readFloats(String name) throws CheckpointException {
        check(name);
        return whole.readFloats(prefix + name);
    }

    @Override
    public StoredTensor stored(String name) throws CheckpointException {
        check(name);
        StoredTensors s = StoredTensors.of(whole);
        if (s == null) throw new IllegalStateException(whole.getClass().getSimpleName() + " does not hand out stored tensors");
        return s.stored(prefix + name).renamed(name);
    }

    @Override
    public boolean storesAll() {
        return StoredTensors.of(whole) != null;
    }

    @Override
    public void close() throws CheckpointException {
        whole.close();
    }

    private void check(String name) throws CheckpointException {
        if (!whole.contains(prefix + name)) throw CheckpointException.noSuchTensor(source(), name);
    }
}
