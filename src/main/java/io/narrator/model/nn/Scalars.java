package io.narrator.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Arithmetic with a constant that is safe under autograd and cheap per call. DJL's {@code x.mul(0.5f)} wraps the
 * number in a tensor over a Java buffer and frees that buffer as soon as the op returns; PyTorch keeps the tensor
 * for the backward pass (to differentiate {@code mul}, {@code div}, {@code pow}, {@code maximum}), which then
 * reads freed memory — garbage gradients once the allocator reuses it. These helpers use a constant in
 * PyTorch-owned memory instead.
 *
 * <p>Each constant is created once per (value, dtype, device) and then shared by every caller and thread for the
 * life of the process: it is a 0-d tensor that nothing writes to, and creating it per call cost one engine call
 * per use (a generation step of the bundled model made about forty of them).
 */
public final class Scalars {
    private record Key(int bits, DataType type, Device device) {}

    private static final Map<Key, NDArray> CONSTANTS = new ConcurrentHashMap<>();
    private static final Map<Device, NDManager> OWNERS = new ConcurrentHashMap<>();

    private Scalars() {}

    /** A 0-d constant of {@code like}'s dtype on its device, shared and never closed: do not write to it. */
    public static NDArray constant(NDArray like, float value) {
        Key key = new Key(Float.floatToIntBits(value), like.getDataType(), like.getDevice());
        return CONSTANTS.computeIfAbsent(key, k -> owner(k.device()).full(new Shape(), value, k.type()));
    }

    private static NDManager owner(Device device) {
        return OWNERS.computeIfAbsent(device, NDManager::newBaseManager);
    }

    public static NDArray mul(NDArray x, float value) {
        return x.mul(constant(x, value));
    }

    public static NDArray add(NDArray x, float value) {
        return x.add(constant(x, value));
    }

    public static NDArray div(NDArray x, float value) {
        return x.div(constant(x, value));
    }

    public static NDArray maximum(NDArray x, float value) {
        return x.maximum(constant(x, value));
    }
}
