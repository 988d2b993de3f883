package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.narrator.model.checkpoint.Unpickler.PickledTensor;
import io.narrator.model.checkpoint.Unpickler.StorageType;
import io.narrator.model.checkpoint.Unpickler.Tuple;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * A file written by PyTorch's {@code torch.save} ({@code pytorch_model.bin}, training checkpoints), in either of its
 * formats: the zip archive of PyTorch 1.6 and later ({@code ARCHIVE/data.pkl} plus one uncompressed
 * {@code ARCHIVE/data/KEY} entry per storage; zip64 for files over 4 GB), or the legacy format written with
 * {@code _use_new_zipfile_serialization=False} (a magic-number pickle, protocol and system-info pickles, the object
 * pickle, the list of storage keys, then each storage as an 8-byte element count and its bytes). PyTorch's
 * pre-0.4 tar format is not read.
 *
 * <p>The object pickle is read by {@link Unpickler}, which builds data and refuses every global outside a state
 * dict's handful. Tensors are named by their path through nested dicts and lists, joined with dots
 * ({@code model_state_dict.module.fc.weight}); {@link #select} picks a sub-dict. Tensors may share a storage (tied
 * weights), start at an offset in it, or be strided views; each is checked against its storage (element range,
 * bytes present in the file) when the file is opened, and its values are read on request.
 */
public final class TorchCheckpoint implements Checkpoint, StoredTensors {
    /** The first value of a legacy-format file. */
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    private static final long LEGACY_PROTOCOL = 1001;
    /** Nested dicts deeper than this are not a checkpoint (and a self-containing list would never end). */
    private static final int MAX_DEPTH = 64;

    private final ByteSource source;
    private final Map<String, StoredTensor> tensors;

    private TorchCheckpoint(ByteSource source, Map<String, StoredTensor> tensors) {
        this.source = source;
        this.tensors = tensors;
    }

    /** A storage: its element type, element count and where its bytes are ({@code start}, {@code available} of them). */
    private static final class Storage {
        final String key;
        final StorageType type;
        final long numel;
        long start = -1;
        long available;

        Storage(String key, StorageType type, long numel) {
            this.key = key;
            this.type = type;
            this.numel = numel;
        }
    }

    /** A legacy-format storage view: elements {@code offset..offset+numel} of {@code root}. */
    private record StorageView(Storage root, long offset, long numel) {}

    /** Opens a {@code torch.save} file of either format: reads the pickle and checks every tensor against its storage. */
    public static TorchCheckpoint open(Path file) throws CheckpointException {
        ByteSource source = ByteSource.open(file);
        try {
            byte[] head = new byte[4];
            if (source.size() >= 4) source.read(ByteBuffer.wrap(head), 0, "the file signature");
            boolean zip = head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
            return new TorchCheckpoint(source, zip ? readZip(file, source) : readLegacy(source));
        } catch (CheckpointException | RuntimeException e) {
            try {
                source.close();
            } catch (IOException ignored) {
                // the open failed already; that error is the one to report
            }
            throw e;
        }
    }

    @Override
    public String source() {
        return source.name();
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
        return stored(name).info();
    }

    @Override
    public NDArray read(String name, NDManager manager, DataType type) throws CheckpointException {
        return stored(name).toArray(manager, type);
    }

    @Override
    public float[] readFloats(String name) throws CheckpointException {
        return stored(name).readFloats();
    }

    @Override
    public StoredTensor stored(String name) throws CheckpointException {
        StoredTensor t = tensors.get(name);
        if (t == null) throw CheckpointException.noSuchTensor(source.name(), name);
        return t;
    }

    @Override
    public void close() throws CheckpointException {
        source.closeChecked();
    }

    // ---- the zip format -------------------------------------------------------------------------------------------

    private static Map<String, StoredTensor> readZip(Path file, ByteSource source) throws CheckpointException {
        String name = source.name();
        try (ZipFile zip = ZipFile.builder().setPath(file).get()) {
            ZipArchiveEntry pickle = null;
            for (Enumeration<ZipArchiveEntry> e = zip.getEntries(); e.hasMoreElements(); ) {
                ZipArchiveEntry entry = e.nextElement();
                String n = entry.getName();
                if (n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                    if (pickle != null) throw new CheckpointException(name + ": two data.pkl entries (" + pickle.getName() + ", " + n + ")");
                    pickle = entry;
                }
            }
            if (pickle == null) throw new CheckpointException(name + ": a zip archive without ARCHIVE/data.pkl: not written by torch.save");
            String prefix = pickle.getName().substring(0, pickle.getName().length() - "data.pkl".length());
            if (zip.getEntry(prefix + "constants.pkl") != null)
                throw new CheckpointException(name + ": a TorchScript archive (torch.jit.save: a module with its code, as OpenAI's CLIP "
                        + "ViT-L-14.pt is), which is not read; give the weights as a state dict (torch.save(model.state_dict()) or "
                        + "safetensors), e.g. open_clip_pytorch_model.bin of timm/vit_large_patch14_clip_224.openai for ViT-L-14");
            ZipArchiveEntry byteorder = zip.getEntry(prefix + "byteorder");
            if (byteorder != null) {
                String order;
                try (InputStream in = zip.getInputStream(byteorder)) {
                    order = new String(in.readNBytes(16), StandardCharsets.US_ASCII).trim();
                }
                if (!order.equals("little"))
                    throw new CheckpointException(name + ": saved on a " + order + "-endian machine; only little-endian files are read");
            }
            Map<String, Storage> storages = new HashMap<>();
            Unpickler.PersistentLoader loader = (pid, at) -> {
                Tuple t = storagePid(pid, 5, at);
                String key = (String) t.get(2);
                Storage known = storages.get(key);
                if (known != null) return known;
                Storage s = new Storage(key, (StorageType) t.get(1), (Long) t.get(4));
                ZipArchiveEntry entry = zip.getEntry(prefix + "data/" + key);
                if (entry == null) throw at.error("storage " + key + " has no entry " + prefix + "data/" + key + " in the archive");
                if (entry.getMethod() != ZipArchiveEntry.STORED)
                    throw new CheckpointException(name + ": storage entry " + entry.getName() + " is compressed (zip method "
                            + entry.getMethod() + "); torch.save stores storages uncompressed, so they can be read in place");
                s.start = entry.getDataOffset();
                if (s.start < 0) throw new CheckpointException(name + ": cannot locate the data of zip entry " + entry.getName());
                s.available = Math.max(0, Math.min(entry.getSize(), source.size() - s.start));
                storages.put(key, s);
                return s;
            };
            Object root;
            try (InputStream in = new BufferedInputStream(zip.getInputStream(pickle), 1 << 16)) {
                root = Unpickler.load(new Unpickler.Input(in, name, pickle.getName(), 0, pickle.getSize()), loader);
            }
            return tensors(root, source, "data/");
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(name + ": not a readable zip archive (truncated or corrupt?): " + e.getMessage(), e);
        }
    }

    // ---- the legacy format ----------------------------------------------------------------------------------------

    private static Map<String, StoredTensor> readLegacy(ByteSource source) throws CheckpointException {
        String name = source.name();
        if (!(source instanceof ByteSource.OfFile f)) throw new IllegalArgumentException("the legacy format is read from files");
        Map<String, Storage> storages = new LinkedHashMap<>();
        Unpickler.Input in;
        Object root;
        List<?> keys;
        try {
            f.channel().position(0);
            in = new Unpickler.Input(new BufferedInputStream(Channels.newInputStream(f.channel()), 1 << 16), name, "pickle", 0,
                    source.size());
            Object magic = Unpickler.load(in, (pid, at) -> {
                throw at.error("a persistent id before the magic number");
            });
            if (!LEGACY_MAGIC.equals(magic))
                throw new CheckpointException(name + ": a pickle, but not a torch.save file (its first value is not PyTorch's "
                        + "magic number)");
            Object protocol = Unpickler.load(in, (pid, at) -> {
                throw at.error("a persistent id in the protocol version");
            });
            if (!Long.valueOf(LEGACY_PROTOCOL).equals(protocol))
                throw new CheckpointException(name + ": legacy torch.save protocol " + protocol + "; only " + LEGACY_PROTOCOL + " is read");
            Object sysInfo = Unpickler.load(in, (pid, at) -> {
                throw at.error("a persistent id in the system info");
            });
            if (!(sysInfo instanceof Map<?, ?> info) || !Boolean.TRUE.equals(info.get("little_endian")))
                throw new CheckpointException(name + ": saved on a big-endian machine (or without system info); only "
                        + "little-endian files are read");
            root = Unpickler.load(in, (pid, at) -> {
                // ('storage', storage_type, root_key, location, numel, view_metadata)
                Tuple t = storagePid(pid, 6, at);
                String key = (String) t.get(2);
                Storage s = storages.computeIfAbsent(key, k -> new Storage(k, (StorageType) t.get(1), (Long) t.get(4)));
                Object view = t.get(5);
                if (view == null) return s;
                if (!(view instanceof Tuple v) || v.size() != 3 || !(v.get(1) instanceof Long offset) || !(v.get(2) instanceof Long size))
                    throw at.error("corrupt pickle: a storage view is not (key, offset, size)");
                return new StorageView(s, offset, size);
            });
            Object keyList = Unpickler.load(in, (pid, at) -> {
                throw at.error("a persistent id in the storage key list");
            });
            if (!(keyList instanceof List<?> list)) throw in.error("the storage key list is not a list");
            keys = list;
        } catch (IOException e) {
            if (e instanceof CheckpointException c) throw c;
            throw new CheckpointException(name + ": cannot read: " + e.getMessage(), e);
        }
        // the storages follow, in key-list order: an 8-byte element count, then the elements
        long at = in.position();
        for (Object k : keys) {
            Storage s = storages.get(String.valueOf(k));
            if (s == null)
                throw new CheckpointException(name + ": storage " + k + " is listed at byte " + at + " but no tensor uses it, so "
                        + "the storages after it cannot be found");
            if (s.type.dtype() == null)
                throw new CheckpointException(name + ": storage " + k + " has type " + s.type.name() + ", whose element size is "
                        + "unknown, so the storages after it cannot be found; only " + DType.supported() + " are read");
            if (at + 8 > source.size()) {
                at = source.size();
                continue; // truncated: its tensors are reported below
            }
            ByteBuffer count = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            source.read(count, at, "the size of storage " + k);
            long numel = count.getLong(0);
            if (numel != s.numel)
                throw new CheckpointException(name + ": storage " + k + " at byte " + at + " holds " + numel + " elements but the "
                        + "pickle says " + s.numel + " (corrupt?)");
            s.start = at + 8;
            long bytes;
            try {
                bytes = Math.multiplyExact(numel, s.type.dtype().bytes());
            } catch (ArithmeticException e) {
                throw new CheckpointException(name + ": storage " + k + " has an element count " + numel + " that overflows");
            }
            s.available = Math.max(0, Math.min(bytes, source.size() - s.start));
            at = s.start + bytes;
        }
        return tensors(root, source, "storage ");
    }

    /** Checks a persistent id is {@code ('storage', StorageType, key, location, numel, …)} of {@code size} items. */
    private static Tuple storagePid(Object pid, int size, Unpickler.Input at) throws CheckpointException {
        if (!(pid instanceof Tuple t) || t.size() != size || !"storage".equals(t.get(0)))
            throw at.error("corrupt pickle: a persistent id that is not a " + size + "-item ('storage', …) tuple");
        if (!(t.get(1) instanceof StorageType)) throw at.error("corrupt pickle: a storage whose type is not a torch storage class");
        if (!(t.get(2) instanceof String)) throw at.error("corrupt pickle: a storage key that is not a string");
        if (!(t.get(4) instanceof Long n) || n < 0) throw at.error("corrupt pickle: a storage size that is not a count");
        return t;
    }

    // ---- from the pickled object to named tensors -----------------------------------------------------------------

    /** Names every tensor in {@code root} by its path and checks it against its storage. */
    private static Map<String, StoredTensor> tensors(Object root, ByteSource source, String storageLabel) throws CheckpointException {
        String name = source.name();
        if (!(root instanceof Map || root instanceof List || root instanceof Tuple))
            throw new CheckpointException(name + ": holds " + (root instanceof PickledTensor ? "a single tensor" : "a "
                    + (root == null ? "None" : root.getClass().getSimpleName())) + ", not a state dict (a dict of tensors)");
        Map<String, PickledTensor> found = new LinkedHashMap<>();
        walk(root, "", 0, found, name);
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, PickledTensor> e : found.entrySet())
            out.put(e.getKey(), check(e.getKey(), e.getValue(), source, storageLabel));
        return Collections.unmodifiableMap(out);
    }

    private static void walk(Object value, String path, int depth, Map<String, PickledTensor> found, String file)
            throws CheckpointException {
        if (depth > MAX_DEPTH)
            throw new CheckpointException(file + ": dicts nested over " + MAX_DEPTH + " deep at " + path + " (or a dict that holds itself)");
        if (value instanceof PickledTensor t) {
            if (found.put(path, t) != null) throw new CheckpointException(file + ": two tensors are both named " + path);
        } else if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object k = e.getKey();
                // string and integer keys name things (optimizer state is keyed by parameter index); other keys do not
                if (k instanceof String || k instanceof Long || k instanceof BigInteger)
                    walk(e.getValue(), join(path, String.valueOf(k)), depth + 1, found, file);
            }
        } else if (value instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) walk(l.get(i), join(path, String.valueOf(i)), depth + 1, found, file);
        } else if (value instanceof Tuple t) {
            for (int i = 0; i < t.size(); i++) walk(t.get(i), join(path, String.valueOf(i)), depth + 1, found, file);
        }
        // numbers, strings, None, bytes, sets: not tensors
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static StoredTensor check(String tensor, PickledTensor t, ByteSource source, String storageLabel) throws CheckpointException {
        String file = source.name();
        Storage storage;
        long viewOffset = 0;
        long storageNumel;
        if (t.storage() instanceof Storage s) {
            storage = s;
            storageNumel = s.numel;
        } else if (t.storage() instanceof StorageView v) {
            storage = v.root();
            viewOffset = v.offset();
            storageNumel = v.numel();
            if (viewOffset < 0 || storageNumel < 0 || viewOffset + storageNumel > v.root().numel)
                throw new CheckpointException(file + ": tensor " + tensor + " views elements " + viewOffset + ".." + (viewOffset + storageNumel)
                        + " of storage " + v.root().key + ", which holds " + v.root().numel);
        } else {
            throw new CheckpointException(file + ": tensor " + tensor + " is not built on a torch storage (corrupt pickle?)");
        }
        DType dtype = storage.type.dtype();
        if (dtype == null)
            throw new CheckpointException(file + ": tensor " + tensor + " has storage type " + storage.type.name() + "; only "
                    + DType.supported() + " tensors are read");
        long[] shape = t.shape();
        long[] stride = t.stride();
        if (stride.length != shape.length)
            throw new CheckpointException(file + ": tensor " + tensor + " has shape " + Arrays.toString(shape) + " but strides "
                    + Arrays.toString(stride) + " (corrupt?)");
        for (int i = 0; i < shape.length; i++)
            if (shape[i] < 0 || stride[i] < 0)
                throw new CheckpointException(file + ": tensor " + tensor + " has shape " + Arrays.toString(shape) + " and strides "
                        + Arrays.toString(stride) + "; negative sizes and strides are invalid");
        if (t.offset() < 0) throw new CheckpointException(file + ": tensor " + tensor + " has a negative storage offset " + t.offset());
        TensorInfo info;
        long end;
        try {
            info = new TensorInfo(tensor, dtype, shape, file);
            end = StoredTensor.extent(t.offset(), shape, stride);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new CheckpointException(file + ": tensor " + tensor + " with shape " + Arrays.toString(shape) + ", strides "
                    + Arrays.toString(stride) + " and offset " + t.offset() + " overflows 64 bits (corrupt?)");
        }
        if (end > storageNumel)
            throw new CheckpointException(file + ": tensor " + tensor + " needs elements " + t.offset() + ".." + end + " of "
                    + storageLabel + storage.key + " but it holds " + storageNumel + " (corrupt?)");
        long needed = (viewOffset + end) * dtype.bytes();
        if (storage.start < 0 || needed > storage.available)
            throw new CheckpointException(file + ": truncated: tensor " + tensor + " needs " + needed + " bytes of " + storageLabel
                    + storage.key + " but the file holds " + Math.max(0, storage.available) + " of them");
        return new StoredTensor(info, source, storage.start, viewOffset + t.offset(), stride);
    }
}
