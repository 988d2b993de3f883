package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An open set of named tensors in one or more files — safetensors ({@link SafeTensors}), PyTorch's
 * {@code torch.save} zip and legacy pickle formats ({@link TorchCheckpoint}), or a sharded index of either
 * ({@link ShardedCheckpoint}) — read one tensor at a time. Opening reads and checks only the headers (names, types,
 * shapes, where the bytes are, whether the file is long enough); values are read on request, straight into an
 * engine array or a {@code float[]}. Nothing in a file is ever executed.
 *
 * <p>Every problem is a {@link CheckpointException} whose message names the file and, where there is one, the
 * tensor. Reads may run concurrently; {@link #close()} releases the files.
 */
public interface Checkpoint extends AutoCloseable {
    /**
     * Opens a checkpoint file by its contents: a safetensors file, a {@code torch.save} file (zip, or the legacy
     * pickle format), or a {@code *.index.json} of shards of either.
     */
    static Checkpoint open(Path file) throws CheckpointException {
        if (Files.isDirectory(file))
            throw new CheckpointException(file + " is a directory; open a checkpoint file in it (or use Checkpoint.inDirectory)");
        if (file.getFileName() != null && file.getFileName().toString().endsWith(".index.json")) return ShardedCheckpoint.open(file);
        byte[] head = new byte[9];
        int n;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.wrap(head);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // until 9 bytes or the end
            }
            n = b.position();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot open: " + e.getMessage(), e);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return TorchCheckpoint.open(file);
        if (n >= 9 && head[8] == '{') return SafeTensors.open(file);
        if (n >= 2 && (head[0] & 0xff) == 0x80 && head[1] >= 2 && head[1] <= 5) return TorchCheckpoint.open(file);
        if (isTar(file))
            throw new CheckpointException(file + ": a tar archive, PyTorch's format before 0.4, which is not read; load it with "
                    + "torch.load in Python and save it again with torch.save (or as safetensors)");
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < n; i++) hex.append(String.format("%02x", head[i] & 0xff));
        throw new CheckpointException(file + ": not a checkpoint: neither safetensors, a PyTorch zip nor a PyTorch pickle "
                + "(it starts with bytes " + (n == 0 ? "none: the file is empty" : hex) + ")");
    }

    /**
     * The weights of a model folder as its hub repository lays them out: {@code model.safetensors},
     * {@code model.safetensors.index.json}, {@code pytorch_model.bin} or {@code pytorch_model.bin.index.json}, the first
     * found in that order.
     */
    static Checkpoint inDirectory(Path dir) throws CheckpointException {
        List<String> candidates = List.of("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json");
        if (!Files.isDirectory(dir)) throw new CheckpointException(dir + " is not a directory");
        for (String name : candidates) if (Files.isRegularFile(dir.resolve(name))) return open(dir.resolve(name));
        throw new CheckpointException(dir + " holds no weights: looked for " + String.join(", ", candidates));
    }

    /** Tensors already in memory, under the name {@code source} in messages. */
    static Checkpoint of(String source, Collection<Tensor> tensors) {
        return new TensorList(source, tensors);
    }

    /** The file (or index, or resource) this checkpoint was opened from, as messages name it. */
    String source();

    /** Every tensor's name, in file order. */
    List<String> names();

    default boolean contains(String name) {
        return names().contains(name);
    }

    /** What the checkpoint says of a tensor; an unknown name is an error naming the checkpoint. */
    TensorInfo info(String name) throws CheckpointException;

    /**
     * Reads a tensor into a new array on {@code manager} as {@code type}: FLOAT32, FLOAT16 or FLOAT64 from float
     * tensors (F32, F16, BF16, F64), FLOAT32 or their own type from integer and bool tensors. BFLOAT16 is refused
     * with an {@link IllegalArgumentException}: DJL 0.36's PyTorch engine aborts the JVM on bfloat16 arrays. Nothing
     * bigger than the tensor itself is allocated, and on the CPU the values go straight into the array's memory.
     */
    NDArray read(String name, NDManager manager, DataType type) throws CheckpointException;

    /** Reads a tensor into a new float32 array on {@code manager}. */
    default NDArray read(String name, NDManager manager) throws CheckpointException {
        return read(name, manager, DataType.FLOAT32);
    }

    /** Reads a tensor's values as float32 in row-major order (for tests, conversions and small tensors). */
    float[] readFloats(String name) throws CheckpointException;

    /** Reads a tensor as a {@link Tensor} of float32 values. */
    default Tensor tensor(String name) throws CheckpointException {
        return new Tensor(name, info(name).shape(), readFloats(name));
    }

    /** Every tensor as float32 on the heap, in file order: for small checkpoints only. */
    default Map<String, Tensor> readAll() throws CheckpointException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : names()) out.put(name, tensor(name));
        return out;
    }

    /** Bytes the values of every tensor take in their stored types. */
    default long byteSize() throws CheckpointException {
        long total = 0;
        for (String name : names()) total += info(name).byteSize();
        return total;
    }

    /**
     * The tensors whose names start with {@code prefix}, under their names without it: a sub-dict of a training
     * checkpoint ({@code "model_state_dict."}), DataParallel's {@code "module."}, or one model inside another
     * ({@code "vision_model."}). Nested dicts of a PyTorch checkpoint are named with dots, so one prefix selects
     * through any depth. The view closes this checkpoint when it is closed; no names under the prefix is an error
     * listing the top-level groups that exist.
     */
    default Checkpoint select(String prefix) throws CheckpointException {
        return SelectedCheckpoint.of(this, prefix);
    }

    /** Releases the files; reads fail afterwards. */
    @Override
    void close() throws CheckpointException;

    private static boolean isTar(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(5);
            return ch.read(b, 257) == 5 && new String(b.array(), StandardCharsets.US_ASCII).equals("ustar");
        } catch (IOException e) {
            return false;
        }
    }
}
