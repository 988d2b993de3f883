package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tensors of other checkpoints under new names, and where asked in a new shape with as many elements or as a range of
 * their rows: a released checkpoint seen in Narrator's names ({@code flamingo.resampler.time_pos_emb} (4, 1, Dv) as
 * {@code perceiver.frame_embs} (4, Dv); the first third of open_clip's fused {@code in_proj_weight} (3D, D) as a
 * {@code q_proj.weight} (D, D)), possibly merged from several files. Nothing is copied: every read goes to the
 * underlying file, and a reshape or a row range is a new view of the same bytes (only a strided view reshaped across its
 * strides is copied, that one tensor, as float32), so
 * {@link SafeTensors#write(java.nio.file.Path, Checkpoint, SafeTensors.Precision, Map)} streams a view as it streams a
 * file. Closing the view closes the checkpoints it was given to own.
 */
public final class MappedCheckpoint implements Checkpoint, StoredTensors {
    /**
     * One tensor of the view: {@code name}, read from {@code sourceName} of {@code source}, in {@code shape} ({@code null}:
     * as stored), or, when {@code rows} is given, the rows {@code [rows.start, rows.end)} of its first dimension (in their
     * stored shape otherwise).
     */
    public record Entry(String name, Checkpoint source, String sourceName, long[] shape, Rows rows) {
        public Entry {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("a mapped tensor needs a name");
            if (source == null || sourceName == null) throw new IllegalArgumentException("mapped tensor " + name + " needs a source tensor");
            if (shape != null && rows != null) throw new IllegalArgumentException("mapped tensor " + name + " takes a new shape or a row range, not both");
            shape = shape == null ? null : shape.clone();
        }

        /** The tensor, in {@code shape} ({@code null}: as stored), under a new name. */
        public Entry(String name, Checkpoint source, String sourceName, long[] shape) {
            this(name, source, sourceName, shape, null);
        }

        /** The tensor as stored, under a new name. */
        public static Entry renamed(String name, Checkpoint source, String sourceName) {
            return new Entry(name, source, sourceName, null, null);
        }

        /** Rows {@code [start, end)} of the tensor's first dimension, under a new name. */
        public static Entry rows(String name, Checkpoint source, String sourceName, long start, long end) {
            return new Entry(name, source, sourceName, null, new Rows(start, end));
        }
    }

    /** Rows {@code [start, end)} of a tensor's first dimension. */
    public record Rows(long start, long end) {
        public Rows {
            if (start < 0 || end <= start) throw new IllegalArgumentException("rows " + start + ".." + end + " are no range of rows");
        }
    }

    private final String description;
    private final Map<String, Entry> entries;
    private final List<Checkpoint> owned;

    private MappedCheckpoint(String description, Map<String, Entry> entries, List<Checkpoint> owned) {
        this.description = description;
        this.entries = entries;
        this.owned = owned;
    }

    /**
     * A view of {@code entries}, in their order; {@code description} names it in messages, and {@code owned} are closed
     * with it. Every source tensor must exist, no name may appear twice, and a new shape must hold as many elements as
     * the stored one.
     */
    public static MappedCheckpoint of(String description, List<Entry> entries, List<? extends Checkpoint> owned)
            throws CheckpointException {
        Map<String, Entry> byName = new LinkedHashMap<>();
        for (Entry e : entries) {
            Entry before = byName.put(e.name(), e);
            if (before != null)
                throw new CheckpointException(description + ": tensor " + e.name() + " would come from both " + before.source().source()
                        + " (" + before.sourceName() + ") and " + e.source().source() + " (" + e.sourceName() + ")");
            TensorInfo stored = e.source().info(e.sourceName());
            if (e.shape() != null && new TensorInfo(e.name(), stored.dtype(), e.shape(), stored.file()).numel() != stored.numel())
                throw new CheckpointException(stored.file() + ": tensor " + e.sourceName() + " has shape " + Arrays.toString(stored.shape())
                        + " (" + stored.numel() + " values), which cannot be read as " + e.name() + " of shape " + Arrays.toString(e.shape()));
            if (e.rows() != null && (stored.shape().length == 0 || e.rows().end() > stored.shape()[0]))
                throw new CheckpointException(stored.file() + ": tensor " + e.sourceName() + " has shape " + Arrays.toString(stored.shape())
                        + ", which has no rows " + e.rows().start() + ".." + e.rows().end() + " to read as " + e.name());
        }
        return new MappedCheckpoint(description, Collections.unmodifiableMap(byName), List.copyOf(owned));
    }

    /** Where a tensor of the view comes from. */
    public Entry entry(String name) throws CheckpointException {
        Entry e = entries.get(name);
        if (e == null) throw CheckpointException.noSuchTensor(description, name);
        return e;
    }

    @Override
    public String source() {
        return description;
    }

    @Override
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    @Override
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) throws CheckpointException {
        Entry e = entry(name);
        TensorInfo stored = e.source().info(e.sourceName());
        return new TensorInfo(name, stored.dtype(), shapeOf(e, stored.shape()), stored.file());
    }

    /** The shape a tensor of the view has: its new shape, its row range's, or its stored one. */
    private static long[] shapeOf(Entry e, long[] stored) {
        if (e.shape() != null) return e.shape();
        if (e.rows() == null) return stored;
        long[] s = stored.clone();
        s[0] = e.rows().end() - e.rows().start();
        return s;
    }

    @Override
    public NDArray read(String name, NDManager manager, DataType type) throws CheckpointException {
        Entry e = entry(name);
        if (StoredTensors.of(e.source()) != null) return stored(name).toArray(manager, type);
        NDArray array = e.source().read(e.sourceName(), manager, type);
        if (e.rows() != null) {
            NDArray part = array.get(e.rows().start() + ":" + e.rows().end()); // (rows, ...)
            part.attach(manager);
            array.close();
            return part;
        }
        return e.shape() == null ? array : array.reshape(new Shape(e.shape())); // row-major order is kept by a reshape
    }

    @Override
    public float[] readFloats(String name) throws CheckpointException {
        Entry e = entry(name);
        float[] all = e.source().readFloats(e.sourceName()); // the same values in row-major order, whatever the shape
        if (e.rows() == null) return all;
        long[] stored = e.source().info(e.sourceName()).shape();
        int row = Math.toIntExact(all.length / stored[0]);
        return Arrays.copyOfRange(all, Math.toIntExact(e.rows().start() * row), Math.toIntExact(e.rows().end() * row));
    }

    @Override
    public StoredTensor stored(String name) throws CheckpointException {
        Entry e = entry(name);
        StoredTensors s = StoredTensors.of(e.source());
        if (s == null) throw new IllegalStateException(e.source().getClass().getSimpleName() + " does not hand out stored tensors");
        StoredTensor t = s.stored(e.sourceName());
        if (e.rows() != null) return t.rows(e.rows().start(), e.rows().end()).renamed(name);
        if (e.shape() == null) return t.renamed(name);
        try {
            return t.reshaped(name, e.shape());
        } catch (IllegalArgumentException notAView) {
            if (!t.info().dtype().isFloatingPoint()) throw new CheckpointException(t.info().file() + ": " + notAView.getMessage());
            // a strided view of floats reshaped across its strides: this one tensor's values, copied in row-major order
            float[] values = t.readFloats();
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            return StoredTensor.dense(new TensorInfo(name, DType.F32, e.shape(), t.info().file()), ByteSource.of(bytes, t.info().file()), 0);
        }
    }

    @Override
    public boolean storesAll() {
        for (Entry e : entries.values()) if (StoredTensors.of(e.source()) == null) return false;
        return true;
    }

    @Override
    public void close() throws CheckpointException {
        CheckpointException first = null;
        Map<Checkpoint, Boolean> closed = new IdentityHashMap<>();
        for (Checkpoint c : new ArrayList<>(owned)) {
            if (closed.put(c, true) != null) continue;
            try {
                c.close();
            } catch (CheckpointException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }
}
