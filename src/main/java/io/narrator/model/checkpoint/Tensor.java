package io.narrator.model.checkpoint;

import java.util.Arrays;

/** A named array of float32 values with its shape, as read from or written to a checkpoint. */
public record Tensor(String name, long[] shape, float[] values) {
    public Tensor {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor " + name + " has a negative dimension: " + Arrays.toString(shape));
            n *= d;
        }
        if (n != values.length)
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(shape) + " (" + n
                    + " values) but " + values.length + " values");
    }
}
