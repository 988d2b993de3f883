package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One tensor's values inside a checkpoint's bytes: the storage it views (first byte, element type), its element offset
 * and strides into that storage (a PyTorch view), and the copies out of it — into an engine array of a chosen type,
 * a {@code float[]}, or a stream. Values are streamed in bounded chunks and converted on the way (F16, BF16, F64 and
 * integer types to float32; float types to float16), so nothing larger than one tensor is ever held.
 *
 * <p>Readers check the tensor against its storage before making one (see {@link #extent}); a read that still runs
 * past the file's end (a file cut while open) is an error naming the file and the tensor.
 */
final class StoredTensor {
    /** Largest chunk read and converted at once when a tensor is not copied straight into its destination. */
    static final int CHUNK_BYTES = 8 << 20;

    /** DJL arrays and Java buffers are indexed by int: the largest tensor one read can hand out. */
    static final long MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;

    private static final boolean LITTLE_ENDIAN_MACHINE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final TensorInfo info;
    private final ByteSource source;
    private final long base;
    private final long offset;
    private final long[] shape;
    private final long[] stride;

    /**
     * @param base the byte position in {@code source} of the storage's element 0
     * @param offset the element index in that storage of the tensor's first element
     * @param stride elements between neighbours along each dimension
     */
    StoredTensor(TensorInfo info, ByteSource source, long base, long offset, long[] stride) {
        this.info = info;
        this.source = source;
        this.base = base;
        this.offset = offset;
        this.shape = info.shape();
        this.stride = stride.clone();
        if (stride.length != shape.length)
            throw new IllegalArgumentException("tensor " + info.name() + ": " + stride.length + " strides for " + shape.length + " dimensions");
    }

    /** A dense tensor: its values one after another from byte {@code start}. */
    static StoredTensor dense(TensorInfo info, ByteSource source, long start) {
        return new StoredTensor(info, source, start, 0, rowMajorStrides(info.shape()));
    }

    TensorInfo info() {
        return info;
    }

    /** The same values under another name. */
    StoredTensor renamed(String name) {
        return new StoredTensor(info.withName(name), source, base, offset, stride);
    }

    /**
     * The same values under another name and shape with as many elements: any shape when the values lie in row-major
     * order, else only dimensions of size 1 added or removed (a strided view keeps its other strides).
     *
     * @throws IllegalArgumentException when the element counts differ or a strided view would need a copy
     */
    StoredTensor reshaped(String name, long[] newShape) {
        TensorInfo to = new TensorInfo(name, info.dtype(), newShape, info.file());
        if (to.numel() != info.numel())
            throw new IllegalArgumentException("tensor " + info.name() + " of shape " + Arrays.toString(shape) + " cannot be reshaped to "
                    + Arrays.toString(newShape) + ": " + info.numel() + " elements, not " + to.numel());
        if (contiguous()) return new StoredTensor(to, source, base, offset, rowMajorStrides(newShape));
        long[] kept = nonUnitStrides(shape, stride);
        long[] keptShape = nonUnit(shape);
        if (!Arrays.equals(keptShape, nonUnit(newShape)))
            throw new IllegalArgumentException("tensor " + info.name() + " is a strided view of shape " + Arrays.toString(shape)
                    + "; it is reshaped only by adding or removing dimensions of size 1, not to " + Arrays.toString(newShape));
        long[] newStride = new long[newShape.length];
        for (int i = 0, k = 0; i < newShape.length; i++) newStride[i] = newShape[i] == 1 ? 1 : kept[k++];
        return new StoredTensor(to, source, base, offset, newStride);
    }

    /** Rows {@code [start, end)} of the first dimension, a view of the same bytes (for reading a large tensor in parts). */
    StoredTensor rows(long start, long end) {
        if (shape.length == 0 || start < 0 || end > shape[0] || start > end)
            throw new IllegalArgumentException("tensor " + info.name() + " of shape " + Arrays.toString(shape) + " has no rows " + start + ".." + end);
        long[] s = shape.clone();
        s[0] = end - start;
        return new StoredTensor(new TensorInfo(info.name(), info.dtype(), s, info.file()), source, base, offset + start * stride[0], stride);
    }

    /** True when both are the same elements of the same bytes (two names of one storage, as a tied head is). */
    boolean sameView(StoredTensor other) {
        return source == other.source && base == other.base && offset == other.offset && info.dtype() == other.info.dtype()
                && Arrays.equals(shape, other.shape) && Arrays.equals(stride, other.stride);
    }

    private static long[] nonUnit(long[] shape) {
        return Arrays.stream(shape).filter(d -> d != 1).toArray();
    }

    private static long[] nonUnitStrides(long[] shape, long[] stride) {
        long[] out = new long[(int) Arrays.stream(shape).filter(d -> d != 1).count()];
        for (int i = 0, k = 0; i < shape.length; i++) if (shape[i] != 1) out[k++] = stride[i];
        return out;
    }

    static long[] rowMajorStrides(long[] shape) {
        long[] s = new long[shape.length];
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = step;
            step *= Math.max(1, shape[i]);
        }
        return s;
    }

    /**
     * One past the last storage element a view reads ({@code offset} itself when it has no elements).
     *
     * @throws ArithmeticException when the view's extent overflows 64 bits
     */
    static long extent(long offset, long[] shape, long[] stride) {
        long last = offset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == 0) return offset;
            last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, stride[i]));
        }
        return Math.addExact(last, 1);
    }

    /** Whether the values lie one after another in row-major order (size-1 dimensions may have any stride). */
    boolean contiguous() {
        long step = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && stride[i] != step) return false;
            step *= shape[i];
        }
        return true;
    }

    /** Every value as float32 (exact for F32, F16 and BF16; rounded for F64 and large integers). */
    float[] readFloats() throws CheckpointException {
        long n = info.numel();
        if (n > MAX_ARRAY_BYTES / 4)
            throw new CheckpointException(info.file() + ": tensor " + info.name() + " has " + n
                    + " elements, more than a Java float[] holds; read it into an engine array instead");
        float[] out = new float[(int) n];
        forEachChunk((raw, first, count) -> decode(raw, info.dtype(), count, out, (int) first));
        return out;
    }

    /**
     * A new array on {@code manager} holding the values as {@code type}: FLOAT32, FLOAT16 or FLOAT64 from any float
     * tensor (FLOAT32 also from integer ones), or the tensor's own type. On the CPU the values are read straight into
     * the array's native memory (no intermediate copy); on another device they go through one CPU copy of this tensor.
     */
    NDArray toArray(NDManager manager, DataType type) throws CheckpointException {
        DType target = target(type);
        if (manager.getDevice().isGpu()) {
            try (NDManager host = manager.newSubManager(ai.djl.Device.cpu())) {
                NDArray onHost = toArray(host, type);
                NDArray moved = onHost.toDevice(manager.getDevice(), true);
                moved.attach(manager);
                return moved;
            }
        }
        long bytes = info.numel() * target.bytes();
        if (bytes > MAX_ARRAY_BYTES)
            throw new CheckpointException(info.file() + ": tensor " + info.name() + " takes " + bytes + " bytes as " + type
                    + "; one engine array holds at most " + MAX_ARRAY_BYTES + " bytes");
        NDArray array = manager.create(new Shape(shape), type); // uninitialised, in the engine's memory
        if (bytes == 0) return array;
        try {
            // DJL's PyTorch engine hands out a direct view of a contiguous CPU tensor's memory: fill it in place
            boolean view = "PyTorch".equals(manager.getEngine().getEngineName());
            ByteBuffer out = view ? array.toByteBuffer(true) : ByteBuffer.allocateDirect((int) bytes);
            if (!out.isDirect() || out.capacity() != bytes)
                throw new IllegalStateException("the engine gave a " + out.capacity() + "-byte buffer for a " + bytes + "-byte array");
            out.order(ByteOrder.nativeOrder()).clear();
            fill(out, target);
            if (!view) array.set(out.flip());
            return array;
        } catch (CheckpointException | RuntimeException e) {
            array.close();
            throw e;
        }
    }

    /** Writes the values in row-major order as {@code target} (little-endian), the body of a safetensors entry. */
    void writeTo(OutputStream out, DType target) throws CheckpointException, IOException {
        boolean convertible = target == info.dtype() || target == DType.F32
                || (target == DType.F16 || target == DType.BF16) && info.dtype().isFloatingPoint();
        if (!convertible)
            throw new IllegalArgumentException("tensor " + info.name() + ": cannot write " + info.dtype() + " values as " + target);
        IOException[] failed = new IOException[1];
        ByteBuffer[] buffer = new ByteBuffer[1];
        forEachChunk((raw, first, count) -> {
            int bytes = count * target.bytes();
            if (buffer[0] == null || buffer[0].capacity() < bytes)
                buffer[0] = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer chunk = buffer[0].clear().limit(bytes);
            convert(raw, info.dtype(), count, chunk, target);
            if (failed[0] != null) return;
            try {
                out.write(chunk.array(), 0, bytes);
            } catch (IOException e) {
                failed[0] = e;
            }
        });
        if (failed[0] != null) throw failed[0];
    }

    private DType target(DataType type) {
        DType own = info.dtype();
        if (type == DataType.BFLOAT16)
            throw new IllegalArgumentException("tensor " + info.name() + ": bfloat16 arrays are not available (DJL 0.36's PyTorch "
                    + "engine aborts the JVM on creating or converting to them); read it as FLOAT32 or FLOAT16");
        if (type == own.engineType()) return own;
        if (type == DataType.FLOAT32) return DType.F32;
        if (own.isFloatingPoint() && type == DataType.FLOAT16) return DType.F16;
        if (own.isFloatingPoint() && type == DataType.FLOAT64) return DType.F64;
        throw new IllegalArgumentException("tensor " + info.name() + " holds " + own + " values, which are read as " + own.engineType()
                + " or FLOAT32" + (own.isFloatingPoint() ? ", FLOAT16 or FLOAT64" : "") + ", not " + type);
    }

    /** Fills {@code out} (positioned at 0, native order) with every value as {@code target}. */
    private void fill(ByteBuffer out, DType target) throws CheckpointException {
        DType own = info.dtype();
        if (target == own && LITTLE_ENDIAN_MACHINE && contiguous()) {
            source.read(out, base + offset * own.bytes(), "tensor " + info.name());
            return;
        }
        forEachChunk((raw, first, count) -> {
            out.position((int) (first * target.bytes()));
            convert(raw, own, count, out, target);
        });
    }

    /** Receives the values in row-major order, a chunk at a time. */
    @FunctionalInterface
    private interface ChunkSink {
        /** {@code raw} holds {@code count} little-endian values from position 0; {@code first} is the index of the first. */
        void accept(ByteBuffer raw, long first, int count);
    }

    private void forEachChunk(ChunkSink sink) throws CheckpointException {
        int es = info.dtype().bytes();
        long n = info.numel();
        if (n == 0) return;
        String what = "tensor " + info.name();
        if (contiguous()) {
            int perChunk = (int) Math.min(n, CHUNK_BYTES / es);
            ByteBuffer raw = ByteBuffer.allocate(perChunk * es).order(ByteOrder.LITTLE_ENDIAN);
            long position = base + offset * es;
            for (long done = 0; done < n; ) {
                int count = (int) Math.min(perChunk, n - done);
                raw.clear().limit(count * es);
                source.read(raw, position + done * es, what);
                raw.flip();
                sink.accept(raw, done, count);
                done += count;
            }
            return;
        }
        // a strided view (a transpose, a slice with a step): read the storage span it covers, then gather
        long span = extent(offset, shape, stride) - offset;
        if (span * es > MAX_ARRAY_BYTES || n * es > MAX_ARRAY_BYTES)
            throw new CheckpointException(info.file() + ": tensor " + info.name() + " is a strided view over " + span * es
                    + " bytes; strided views are read up to " + MAX_ARRAY_BYTES + " bytes");
        ByteBuffer spanBytes = ByteBuffer.allocate((int) (span * es)).order(ByteOrder.LITTLE_ENDIAN);
        source.read(spanBytes, base + offset * es, what);
        byte[] from = spanBytes.array();
        byte[] to = new byte[(int) (n * es)];
        long[] index = new long[shape.length];
        long at = 0; // element index into the span
        for (int i = 0; i < n; i++) {
            System.arraycopy(from, (int) (at * es), to, i * es, es);
            for (int d = shape.length - 1; d >= 0; d--) { // next row-major index, carrying
                if (++index[d] < shape[d]) {
                    at += stride[d];
                    break;
                }
                at -= (shape[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
        sink.accept(ByteBuffer.wrap(to).order(ByteOrder.LITTLE_ENDIAN), 0, (int) n);
    }

    /** Decodes {@code count} little-endian values of {@code from} into {@code out[at..]}. */
    static void decode(ByteBuffer raw, DType from, int count, float[] out, int at) {
        switch (from) {
            case F32 -> raw.asFloatBuffer().get(out, at, count);
            case F16 -> {
                for (int i = 0; i < count; i++) out[at + i] = Float16.toFloat(raw.getShort(2 * i));
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) out[at + i] = Float16.bf16ToFloat(raw.getShort(2 * i));
            }
            case F64 -> {
                for (int i = 0; i < count; i++) out[at + i] = (float) raw.getDouble(8 * i);
            }
            case I64 -> {
                for (int i = 0; i < count; i++) out[at + i] = raw.getLong(8 * i);
            }
            case I32 -> {
                for (int i = 0; i < count; i++) out[at + i] = raw.getInt(4 * i);
            }
            case I16 -> {
                for (int i = 0; i < count; i++) out[at + i] = raw.getShort(2 * i);
            }
            case I8 -> {
                for (int i = 0; i < count; i++) out[at + i] = raw.get(i);
            }
            case U8 -> {
                for (int i = 0; i < count; i++) out[at + i] = raw.get(i) & 0xff;
            }
            case BOOL -> {
                for (int i = 0; i < count; i++) out[at + i] = raw.get(i) != 0 ? 1f : 0f;
            }
        }
    }

    /**
     * Converts {@code count} little-endian values of {@code from} into {@code out} from its position, as {@code to} in
     * {@code out}'s byte order: a copy when the types agree, else through float32 (F16 targets, exact F32 and F64 ones).
     */
    static void convert(ByteBuffer raw, DType from, int count, ByteBuffer out, DType to) {
        if (from == to && out.order() == ByteOrder.LITTLE_ENDIAN) {
            out.put(raw.slice(0, count * from.bytes()));
            return;
        }
        if (to == DType.F64 && from == DType.F64) {
            for (int i = 0; i < count; i++) out.putDouble(raw.getDouble(8 * i));
            return;
        }
        if (from == to && !from.isFloatingPoint()) { // integer copy into a big-endian buffer
            for (int i = 0; i < count; i++) {
                switch (from.bytes()) {
                    case 8 -> out.putLong(raw.getLong(8 * i));
                    case 4 -> out.putInt(raw.getInt(4 * i));
                    case 2 -> out.putShort(raw.getShort(2 * i));
                    default -> out.put(raw.get(i));
                }
            }
            return;
        }
        float[] values = new float[Math.min(count, 1 << 16)];
        for (int done = 0; done < count; ) {
            int n = Math.min(values.length, count - done);
            decode(raw.slice(done * from.bytes(), n * from.bytes()).order(ByteOrder.LITTLE_ENDIAN), from, n, values, 0);
            switch (to) {
                case F32 -> {
                    for (int i = 0; i < n; i++) out.putFloat(values[i]);
                }
                case F16 -> {
                    for (int i = 0; i < n; i++) out.putShort(Float16.fromFloat(values[i]));
                }
                case BF16 -> {
                    for (int i = 0; i < n; i++) out.putShort(Float16.bf16FromFloat(values[i]));
                }
                case F64 -> {
                    for (int i = 0; i < n; i++) out.putDouble(values[i]);
                }
                default -> throw new IllegalArgumentException("cannot convert " + from + " values to " + to);
            }
            done += n;
        }
    }

    @Override
    public String toString() {
        return info + " at byte " + base + " + " + offset + " elements, strides " + Arrays.toString(stride);
    }
}
