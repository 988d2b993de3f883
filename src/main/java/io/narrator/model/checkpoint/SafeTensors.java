package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor name to its
 * dtype, shape and byte range, then the raw little-endian data. An instance is an open file (or in-memory image)
 * whose header has been read and checked — every dtype known, every range inside the file, matching its shape, and
 * no two overlapping — and whose values are read on request; the static methods write files (F32, F16 or BF16) and read
 * small ones whole.
 */
public final class SafeTensors implements Checkpoint, StoredTensors {
    /** Largest header accepted: 100 MB of JSON is far beyond any real checkpoint's. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The dtype written for every float tensor: float32, float16, or bfloat16 (float32's range with 8 bits of mantissa:
     * a bfloat16 tensor is copied bit for bit, wider ones are rounded to nearest even). A model loads from any of them in
     * float32 or float16 ({@link Checkpoint#read}); bfloat16 only ever lives in the file.
     */
    public enum Precision {
        F32(DType.F32),
        F16(DType.F16),
        BF16(DType.BF16);

        final DType dtype;

        Precision(DType dtype) {
            this.dtype = dtype;
        }
    }

    private final ByteSource source;
    private final Map<String, StoredTensor> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(ByteSource source, Map<String, StoredTensor> tensors, Map<String, String> metadata) {
        this.source = source;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens a file: reads and checks its header; values are read on request. */
    public static SafeTensors open(Path file) throws CheckpointException {
        ByteSource source = ByteSource.open(file);
        try {
            return parse(source);
        } catch (CheckpointException | RuntimeException e) {
            closeQuietly(source);
            throw e;
        }
    }

    /** Opens an in-memory safetensors image; {@code source} names it in errors. */
    public static SafeTensors open(ByteBuffer data, String source) throws CheckpointException {
        return parse(ByteSource.of(data, source));
    }

    /** Reads every tensor of a (small) file, converted to float32, in file order. */
    public static Map<String, Tensor> read(Path file) throws CheckpointException {
        try (SafeTensors st = open(file)) {
            return st.readAll();
        }
    }

    /** Reads every tensor of an in-memory safetensors image; {@code source} names it in errors. */
    public static Map<String, Tensor> read(ByteBuffer data, String source) throws CheckpointException {
        try (SafeTensors st = open(data, source)) {
            return st.readAll();
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

    /** The header's {@code __metadata__} (string to string), empty when it has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public void close() throws CheckpointException {
        source.closeChecked();
    }

    @Override
    public StoredTensor stored(String name) throws CheckpointException {
        StoredTensor t = tensors.get(name);
        if (t == null) throw CheckpointException.noSuchTensor(source.name(), name);
        return t;
    }

    private static SafeTensors parse(ByteSource in) throws CheckpointException {
        String source = in.name();
        long size = in.size();
        if (size < 8) throw new CheckpointException(source + ": truncated: " + size + " bytes, the 8-byte header length is missing");
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        in.read(lengthBytes, 0, "the header length");
        long headerLen = lengthBytes.getLong(0);
        if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES)
            throw new CheckpointException(source + ": unreadable header: header length " + headerLen
                    + " at byte 0 is not in (0, " + MAX_HEADER_BYTES + "]");
        if (8 + headerLen > size)
            throw new CheckpointException(source + ": truncated: header needs bytes 8.." + (8 + headerLen) + " but the file has " + size);
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLen);
        in.read(headerBytes, 8, "the header");
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new CheckpointException(source + ": unreadable header: not JSON (bytes 8.." + (8 + headerLen) + "): "
                    + e.getOriginalMessage());
        }
        if (header == null || !header.isObject())
            throw new CheckpointException(source + ": unreadable header: expected a JSON object");
        long dataStart = 8 + headerLen;
        long dataLen = size - dataStart;
        Map<String, StoredTensor> out = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) {
                if (!e.getValue().isObject()) throw new CheckpointException(source + ": __metadata__ is not a JSON object");
                e.getValue().properties().forEach(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            JsonNode info = e.getValue();
            String dtypeName = text(info, "dtype", name, source);
            DType dtype = DType.ofSafetensors(dtypeName);
            if (dtype == null)
                throw new CheckpointException(source + ": tensor " + name + " has dtype " + dtypeName + "; only " + DType.supported()
                        + " are read");
            long[] shape = shape(info, name, source);
            long[] offsets = offsets(info, name, source);
            TensorInfo tensor;
            try {
                tensor = new TensorInfo(name, dtype, shape, source);
            } catch (IllegalArgumentException ex) {
                throw new CheckpointException(source + ": " + ex.getMessage());
            }
            long begin = offsets[0];
            long end = offsets[1];
            if (begin < 0 || end < begin)
                throw new CheckpointException(source + ": tensor " + name + " has invalid data_offsets [" + begin + ", " + end + "]");
            if (end - begin != tensor.byteSize())
                throw new CheckpointException(source + ": tensor " + name + " has shape " + Arrays.toString(shape) + " of "
                        + dtype + " (" + tensor.byteSize() + " bytes) but data_offsets span " + (end - begin) + " bytes");
            if (end > dataLen)
                throw new CheckpointException(source + ": truncated: tensor " + name + " needs bytes " + (dataStart + begin)
                        + ".." + (dataStart + end) + " but the file ends at byte " + size);
            ranges.add(new long[] {begin, end});
            out.put(name, StoredTensor.dense(tensor, in, dataStart + begin));
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < ranges.size(); i++)
            if (ranges.get(i)[0] < ranges.get(i - 1)[1])
                throw new CheckpointException(source + ": tensors overlap at data byte " + ranges.get(i)[0]);
        return new SafeTensors(in, Collections.unmodifiableMap(out), Collections.unmodifiableMap(metadata));
    }

    /**
     * Writes tensors in the given order with the given precision; {@code metadata} goes in {@code __metadata__}, in key
     * order, so equal inputs give equal files whatever the map's iteration order.
     */
    public static void write(Path file, Collection<Tensor> tensors, Precision precision, Map<String, String> metadata)
            throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            write(out, tensors, precision, metadata);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Writes a safetensors image to a stream; the metadata in key order, so equal inputs give equal bytes. */
    public static void write(OutputStream out, Collection<Tensor> tensors, Precision precision, Map<String, String> metadata)
            throws IOException {
        List<TensorInfo> infos = new ArrayList<>();
        for (Tensor t : tensors) infos.add(new TensorInfo(t.name(), precision.dtype, t.shape(), "memory"));
        out.write(header(infos, precision, metadata, false));
        for (Tensor t : tensors) {
            ByteBuffer data = ByteBuffer.allocate(t.values().length * precision.dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            switch (precision) {
                case F32 -> data.asFloatBuffer().put(t.values());
                case F16 -> {
                    ShortBuffer sb = data.asShortBuffer();
                    for (float v : t.values()) sb.put(Float16.fromFloat(v));
                }
                case BF16 -> {
                    ShortBuffer sb = data.asShortBuffer();
                    for (float v : t.values()) sb.put(Float16.bf16FromFloat(v));
                }
            }
            out.write(data.array());
        }
    }

    /** Told how far a {@link #write(Path, Checkpoint, Precision, Map, Progress)} has got. */
    @FunctionalInterface
    public interface Progress {
        /** {@code written} of the file's {@code total} bytes are written; called often (every buffered write). */
        void written(long written, long total);

        Progress NONE = (written, total) -> {};
    }

    /**
     * Writes every tensor of {@code checkpoint}, in its order, streaming one chunk at a time (a file of any size is
     * written with a few MB of memory): float tensors as {@code precision}, integer and bool tensors as they are.
     */
    public static void write(Path file, Checkpoint checkpoint, Precision precision, Map<String, String> metadata)
            throws IOException {
        write(file, checkpoint, precision, metadata, Progress.NONE);
    }

    /**
     * {@link #write(Path, Checkpoint, Precision, Map)}, telling {@code progress} how many bytes are written. The file
     * appears only when complete (written beside it, then moved); a failed write leaves nothing behind.
     */
    public static void write(Path file, Checkpoint checkpoint, Precision precision, Map<String, String> metadata, Progress progress)
            throws IOException {
        List<TensorInfo> infos = new ArrayList<>();
        for (String name : checkpoint.names()) infos.add(checkpoint.info(name));
        boolean stored = StoredTensors.of(checkpoint) != null;
        byte[] header = header(infos, precision, metadata, stored);
        long total = header.length;
        for (TensorInfo info : infos) total += info.numel() * writtenAs(info, precision, stored).bytes();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new BufferedOutputStream(new CountingStream(Files.newOutputStream(tmp), progress, total), 1 << 20)) {
            out.write(header);
            for (TensorInfo info : infos) stored(checkpoint, info.name()).writeTo(out, writtenAs(info, precision, stored));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Counts the bytes that pass and reports them. */
    private static final class CountingStream extends java.io.FilterOutputStream {
        private final Progress progress;
        private final long total;
        private long written;

        CountingStream(OutputStream out, Progress progress, long total) {
            super(out);
            this.progress = progress;
            this.total = total;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            progress.written(++written, total);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            written += len;
            progress.written(written, total);
        }
    }

    /** The tensor's bytes, for a checkpoint of this package, or else its float32 values as a dense in-memory tensor. */
    private static StoredTensor stored(Checkpoint checkpoint, String name) throws CheckpointException {
        StoredTensors s = StoredTensors.of(checkpoint);
        if (s != null) return s.stored(name);
        float[] values = checkpoint.readFloats(name);
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        TensorInfo info = new TensorInfo(name, DType.F32, checkpoint.info(name).shape(), checkpoint.source());
        return StoredTensor.dense(info, ByteSource.of(bytes, checkpoint.source()), 0);
    }

    /** Float tensors as {@code precision}; integer and bool ones as they are where their bytes are at hand, else as floats. */
    private static DType writtenAs(TensorInfo info, Precision precision, boolean stored) {
        return info.dtype().isFloatingPoint() || !stored ? precision.dtype : info.dtype();
    }

    /** The length prefix and JSON header (padded to 8 bytes with spaces) for tensors written in this order. */
    private static byte[] header(List<TensorInfo> infos, Precision precision, Map<String, String> metadata, boolean stored)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new java.util.TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (TensorInfo t : infos) {
            DType dtype = writtenAs(t, precision, stored);
            ObjectNode info = header.putObject(t.name());
            info.put("dtype", dtype.name());
            var shape = info.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            long bytes = t.numel() * dtype.bytes();
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces as the spec allows
        ByteBuffer out = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.hasRemaining()) out.put((byte) ' ');
        return out.array();
    }

    private static String text(JsonNode info, String field, String name, String source) throws CheckpointException {
        JsonNode n = info.get(field);
        if (n == null || !n.isTextual()) throw new CheckpointException(source + ": tensor " + name + " has no \"" + field + "\"");
        return n.asText();
    }

    private static long[] shape(JsonNode info, String name, String source) throws CheckpointException {
        JsonNode n = info.get("shape");
        if (n == null || !n.isArray()) throw new CheckpointException(source + ": tensor " + name + " has no \"shape\"");
        long[] s = new long[n.size()];
        for (int i = 0; i < s.length; i++) {
            if (!n.get(i).canConvertToLong() || n.get(i).asLong() < 0)
                throw new CheckpointException(source + ": tensor " + name + " has an invalid shape " + n);
            s[i] = n.get(i).asLong();
        }
        return s;
    }

    private static long[] offsets(JsonNode info, String name, String source) throws CheckpointException {
        JsonNode n = info.get("data_offsets");
        if (n == null || !n.isArray() || n.size() != 2 || !n.get(0).canConvertToLong() || !n.get(1).canConvertToLong())
            throw new CheckpointException(source + ": tensor " + name + " has no valid \"data_offsets\"");
        return new long[] {n.get(0).asLong(), n.get(1).asLong()};
    }

    private static void closeQuietly(ByteSource source) {
        try {
            source.close();
        } catch (IOException ignored) {
            // the open failed already; that error is the one to report
        }
    }
}
