package io.narrator.model.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header mapping
 * each tensor name to its dtype, shape and byte range, then the raw little-endian data. Reading accepts
 * F32, F16 and BF16 and converts to float32 in Java (DJL aborts the JVM on BF16 arrays); writing produces
 * F32 or F16. Every structural problem is reported with the tensor name or byte offset; nothing in a file
 * is ever executed.
 */
public final class SafeTensors {
    /** Largest header accepted: 100 MB of JSON is far beyond any real checkpoint's. */
    static final long MAX_HEADER_BYTES = 100L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The dtype written for every tensor. */
    public enum Precision {
        F32(4),
        F16(2);

        final int bytes;

        Precision(int bytes) {
            this.bytes = bytes;
        }
    }

    private SafeTensors() {}

    /** Reads every tensor of a file, converted to float32, in file order. */
    public static Map<String, Tensor> read(Path file) throws CheckpointException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            ByteBuffer buf = size <= Integer.MAX_VALUE
                    ? ch.map(FileChannel.MapMode.READ_ONLY, 0, size)
                    : null;
            if (buf == null) throw new CheckpointException(file + ": files over 2 GB are not supported");
            return read(buf, file.toString());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CheckpointException(file + ": no such file");
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads every tensor of an in-memory safetensors image; {@code source} names it in errors. */
    public static Map<String, Tensor> read(ByteBuffer data, String source) throws CheckpointException {
        ByteBuffer buf = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long size = buf.remaining();
        if (size < 8) throw new CheckpointException(source + ": truncated: " + size + " bytes, the 8-byte header length is missing");
        long headerLen = buf.getLong(0);
        if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES)
            throw new CheckpointException(source + ": unreadable header: header length " + headerLen
                    + " at byte 0 is not in (0, " + MAX_HEADER_BYTES + "]");
        if (8 + headerLen > size)
            throw new CheckpointException(source + ": truncated: header needs bytes 8.." + (8 + headerLen) + " but the file has " + size);
        byte[] headerBytes = new byte[(int) headerLen];
        buf.get(8, headerBytes);
        JsonNode header;
        try {
            header = JSON.readTree(new String(headerBytes, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new CheckpointException(source + ": unreadable header: not JSON (bytes 8.." + (8 + headerLen) + "): "
                    + e.getOriginalMessage());
        }
        if (header == null || !header.isObject())
            throw new CheckpointException(source + ": unreadable header: expected a JSON object");
        long dataStart = 8 + headerLen;
        long dataLen = size - dataStart;
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            JsonNode info = e.getValue();
            String dtype = text(info, "dtype", name, source);
            long[] shape = shape(info, name, source);
            long[] offsets = offsets(info, name, source);
            int width = switch (dtype) {
                case "F32" -> 4;
                case "F16", "BF16" -> 2;
                default -> throw new CheckpointException(source + ": tensor " + name + " has dtype " + dtype
                        + "; only F32, F16 and BF16 are supported");
            };
            long count = 1;
            for (long d : shape) count = Math.multiplyExact(count, d);
            if (count > Integer.MAX_VALUE) throw new CheckpointException(source + ": tensor " + name + " is too large");
            long begin = offsets[0];
            long end = offsets[1];
            if (begin < 0 || end < begin)
                throw new CheckpointException(source + ": tensor " + name + " has invalid data_offsets [" + begin + ", " + end + "]");
            if (end - begin != count * width)
                throw new CheckpointException(source + ": tensor " + name + " has shape " + Arrays.toString(shape) + " of "
                        + dtype + " (" + count * width + " bytes) but data_offsets span " + (end - begin) + " bytes");
            if (end > dataLen)
                throw new CheckpointException(source + ": truncated: tensor " + name + " needs bytes " + (dataStart + begin)
                        + ".." + (dataStart + end) + " but the file ends at byte " + size);
            ranges.add(new long[] {begin, end});
            float[] values = new float[(int) count];
            ByteBuffer slice = buf.slice((int) (dataStart + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            switch (dtype) {
                case "F32" -> slice.asFloatBuffer().get(values);
                case "F16" -> {
                    ShortBuffer sb = slice.asShortBuffer();
                    for (int i = 0; i < values.length; i++) values[i] = Float16.toFloat(sb.get(i));
                }
                default -> {
                    ShortBuffer sb = slice.asShortBuffer();
                    for (int i = 0; i < values.length; i++) values[i] = Float16.bf16ToFloat(sb.get(i));
                }
            }
            out.put(name, new Tensor(name, shape, values));
        }
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 1; i < ranges.size(); i++)
            if (ranges.get(i)[0] < ranges.get(i - 1)[1])
                throw new CheckpointException(source + ": tensors overlap at data byte " + ranges.get(i)[0]);
        return out;
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
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            new java.util.TreeMap<>(metadata).forEach(meta::put);
        }
        long offset = 0;
        for (Tensor t : tensors) {
            ObjectNode info = header.putObject(t.name());
            info.put("dtype", precision.name());
            var shape = info.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            long bytes = (long) t.values().length * precision.bytes;
            info.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces as the spec allows
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
        out.write(len.array());
        out.write(headerBytes);
        for (Tensor t : tensors) {
            ByteBuffer data = ByteBuffer.allocate(t.values().length * precision.bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (precision == Precision.F32) {
                FloatBuffer fb = data.asFloatBuffer();
                fb.put(t.values());
            } else {
                ShortBuffer sb = data.asShortBuffer();
                for (float v : t.values()) sb.put(Float16.fromFloat(v));
            }
            out.write(data.array());
        }
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
}
