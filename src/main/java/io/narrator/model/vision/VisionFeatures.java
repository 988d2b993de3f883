package io.narrator.model.vision;

import io.narrator.model.checkpoint.Float16;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The patch tokens of one frame, (P, Dv), with a compact byte form (a 12-byte header then float16
 * values) for state stores and Kafka: what the streaming application keeps per sampled frame so that
 * overlapping windows never re-encode it.
 */
public record VisionFeatures(int patches, int dim, float[] values) {
    private static final int MAGIC = 0x4e564631; // "NVF1"
    private static final int HEADER = 12;

    public VisionFeatures {
        if (patches <= 0 || dim <= 0) throw new IllegalArgumentException("features need positive patches and dim, got " + patches + "×" + dim);
        if (values == null || values.length != patches * dim)
            throw new IllegalArgumentException("features of " + patches + "×" + dim + " need " + patches * dim + " values, got "
                    + (values == null ? 0 : values.length));
    }

    /** Header (magic, patches, dim) and float16 values, little-endian. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(HEADER + 2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(patches).putInt(dim);
        for (float v : values) b.putShort(Float16.fromFloat(v));
        return b.array();
    }

    /** Parses {@link #toBytes()} output; anything else is rejected with the reason. */
    public static VisionFeatures fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length < HEADER) throw new IllegalArgumentException("not vision features: " + (bytes == null ? 0 : bytes.length) + " bytes");
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != MAGIC) throw new IllegalArgumentException("not vision features: bad magic number");
        int p = b.getInt();
        int d = b.getInt();
        if (p <= 0 || d <= 0 || (long) p * d * 2 + HEADER != bytes.length)
            throw new IllegalArgumentException("vision features of " + p + "×" + d + " cannot be " + bytes.length + " bytes");
        float[] v = new float[p * d];
        for (int i = 0; i < v.length; i++) v[i] = Float16.toFloat(b.getShort());
        return new VisionFeatures(p, d, v);
    }
}
