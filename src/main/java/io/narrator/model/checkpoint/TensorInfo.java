package io.narrator.model.checkpoint;

import java.util.Arrays;

/**
 * What a checkpoint says of one tensor without reading it: its name, element type, shape and the file that holds
 * its values.
 */
public record TensorInfo(String name, DType dtype, long[] shape, String file) {
    public TensorInfo {
        if (name == null) throw new IllegalArgumentException("a tensor needs a name");
        if (dtype == null) throw new IllegalArgumentException("tensor " + name + " needs a dtype");
        if (file == null) throw new IllegalArgumentException("tensor " + name + " needs the file that holds it");
        shape = shape.clone();
        for (long d : shape)
            if (d < 0) throw new IllegalArgumentException("tensor " + name + " has a negative dimension: " + Arrays.toString(shape));
        if (numel(name, shape) > Long.MAX_VALUE / dtype.bytes())
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape) + " of " + dtype
                    + " whose byte size overflows 64 bits");
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public long numel() {
        return numel(name, shape);
    }

    /** Bytes its values take in {@link #dtype}. */
    public long byteSize() {
        return numel() * dtype.bytes();
    }

    /** The same tensor under another name (a renamed or selected view of a checkpoint). */
    public TensorInfo withName(String newName) {
        return new TensorInfo(newName, dtype, shape, file);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && t.file.equals(file);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " (" + file + ")";
    }

    private static long numel(String name, long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape)
                        + " whose element count overflows 64 bits");
            }
        }
        return n;
    }
}
