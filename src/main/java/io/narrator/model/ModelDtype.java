package io.narrator.model;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * The number format a model's parameters and computation use. float32 everywhere; float16 halves the memory of the
 * weights (every operation the model needs runs in float16 on DJL's PyTorch CPU engine; softmax and log-softmax of
 * the output are taken in float32). bfloat16 is not offered: DJL 0.36's PyTorch bindings have no bfloat16 dtype (any
 * array created or converted as bfloat16 aborts the JVM), so bfloat16 checkpoints are widened when read.
 */
public enum ModelDtype {
    F32(DataType.FLOAT32),
    F16(DataType.FLOAT16);

    private final DataType dataType;

    ModelDtype(DataType dataType) {
        this.dataType = dataType;
    }

    public DataType dataType() {
        return dataType;
    }

    /** The name this dtype is written with in a command line or a properties file: {@code f32} or {@code f16}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The dtype named {@code f32}/{@code float32} or {@code f16}/{@code float16} (any case); bfloat16 is refused with the reason. */
    public static ModelDtype named(String name) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "f32", "float32", "fp32" -> F32;
            case "f16", "float16", "fp16", "half" -> F16;
            case "bf16", "bfloat16" -> throw new IllegalArgumentException(bfloat16());
            default -> throw new IllegalArgumentException("model dtype must be f32 or f16, got \"" + name + "\"");
        };
    }

    /** The dtype of a DJL data type, float32 or float16 only. */
    public static ModelDtype of(DataType type) {
        if (type == DataType.FLOAT32) return F32;
        if (type == DataType.FLOAT16) return F16;
        if (type == DataType.BFLOAT16) throw new IllegalArgumentException(bfloat16());
        throw new IllegalArgumentException("a model computes in float32 or float16, not " + type);
    }

    private static String bfloat16() {
        return "bf16 is not available: DJL 0.36's PyTorch engine has no bfloat16 dtype (creating or converting to one aborts the JVM); "
                + "use f16 for half the memory, or f32";
    }
}
