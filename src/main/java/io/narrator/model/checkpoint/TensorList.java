package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Float32 tensors already in memory, seen as a checkpoint (tests, and weights computed rather than read). */
final class TensorList implements Checkpoint, StoredTensors {
    private final String source;
    private final Map<String, Tensor> tensors;

    TensorList(String source, Collection<Tensor> tensors) {
        this.source = source;
        Map<String, Tensor> byName = new LinkedHashMap<>();
        for (Tensor t : tensors)
            if (byName.put(t.name(), t) != null) throw new IllegalArgumentException(source + ": two tensors named " + t.name());
        this.tensors = Collections.unmodifiableMap(byName);
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) throws CheckpointException {
        return new TensorInfo(name, DType.F32, get(name).shape(), source);
    }

    @Override
    public NDArray read(String name, NDManager manager, DataType type) throws CheckpointException {
        return stored(name).toArray(manager, type);
    }

    @Override
    public float[] readFloats(String name) throws CheckpointException {
        return get(name).values().clone();
    }

    @Override
    public StoredTensor stored(String name) throws CheckpointException {
        float[] values = get(name).values();
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return StoredTensor.dense(info(name), ByteSource.of(bytes, source), 0);
    }

    @Override
    public void close() {}

    private Tensor get(String name) throws CheckpointException {
        Tensor t = tensors.get(name);
        if (t == null) throw CheckpointException.noSuchTensor(source, name);
        return t;
    }
}
