package io.narrator.model.checkpoint;

import ai.djl.ndarray.types.DataType;

/**
 * The element types a checkpoint tensor may have, with their safetensors names and sizes. Float types are read
 * into any float engine type; integer and bool tensors (buffers such as {@code position_ids}) are listed and read
 * as themselves or as float32.
 */
public enum DType {
    F64(8, DataType.FLOAT64),
    F32(4, DataType.FLOAT32),
    F16(2, DataType.FLOAT16),
    BF16(2, DataType.BFLOAT16),
    I64(8, DataType.INT64),
    I32(4, DataType.INT32),
    I16(2, DataType.INT16),
    I8(1, DataType.INT8),
    U8(1, DataType.UINT8),
    BOOL(1, DataType.BOOLEAN);

    private final int bytes;
    private final DataType engineType;

    DType(int bytes, DataType engineType) {
        this.bytes = bytes;
        this.engineType = engineType;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** The DJL data type of the same element type. */
    public DataType engineType() {
        return engineType;
    }

    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /** The type named {@code name} in a safetensors header ({@code F32}, {@code BF16}, …), or null. */
    public static DType ofSafetensors(String name) {
        for (DType t : values()) if (t.name().equals(name)) return t;
        return null;
    }

    /** The type a PyTorch storage class holds ({@code FloatStorage} → F32, …), or null for any other name. */
    public static DType ofTorchStorage(String className) {
        return switch (className) {
            case "DoubleStorage" -> F64;
            case "FloatStorage" -> F32;
            case "HalfStorage" -> F16;
            case "BFloat16Storage" -> BF16;
            case "LongStorage" -> I64;
            case "IntStorage" -> I32;
            case "ShortStorage" -> I16;
            case "CharStorage" -> I8;
            case "ByteStorage" -> U8;
            case "BoolStorage" -> BOOL;
            default -> null;
        };
    }

    /** Every type, for messages: {@code F64, F32, …, BOOL}. */
    static String supported() {
        StringBuilder sb = new StringBuilder();
        for (DType t : values()) sb.append(sb.length() == 0 ? "" : ", ").append(t.name());
        return sb.toString();
    }
}
