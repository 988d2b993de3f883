package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpoint split over several files by a Hugging Face index ({@code model.safetensors.index.json},
 * {@code pytorch_model.bin.index.json}): a JSON object whose {@code weight_map} names the shard file of each tensor.
 * Every shard is opened (safetensors or {@code torch.save}, whichever it is) and checked against the index: each
 * listed tensor must be in its shard, and no tensor may be in two shards. Names come in index order, then any a
 * shard holds that the index does not list.
 */
public final class ShardedCheckpoint implements Checkpoint, StoredTensors {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;
    private final List<Checkpoint> shards;
    private final Map<String, Checkpoint> shardOf;

    private ShardedCheckpoint(String source, List<Checkpoint> shards, Map<String, Checkpoint> shardOf) {
        this.source = source;
        this.shards = shards;
        this.shardOf = shardOf;
    }

    /** Opens an index file and every shard it names (relative to the index's folder). */
    public static ShardedCheckpoint open(Path index) throws CheckpointException {
        String source = index.toString();
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(index));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CheckpointException(source + ": no such file");
        } catch (JsonProcessingException e) {
            throw new CheckpointException(source + ": not a valid index: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new CheckpointException(source + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty())
            throw new CheckpointException(source + ": not a sharded checkpoint index: it has no \"weight_map\" of tensor names to files");
        Path dir = index.toAbsolutePath().getParent();
        Map<String, Checkpoint> opened = new LinkedHashMap<>();
        Map<String, Checkpoint> shardOf = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = map.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String tensor = e.getKey();
                if (!e.getValue().isTextual())
                    throw new CheckpointException(source + ": weight_map gives tensor " + tensor + " the file " + e.getValue() + ", not a file name");
                String file = e.getValue().asText();
                Path shardPath = dir.resolve(file).normalize();
                if (!shardPath.startsWith(dir) || file.isEmpty())
                    throw new CheckpointException(source + ": tensor " + tensor + " is in " + file + ", outside the index's folder");
                Checkpoint shard = opened.get(file);
                if (shard == null) {
                    if (!Files.isRegularFile(shardPath))
                        throw new CheckpointException(source + ": shard " + file + " (of tensor " + tensor + ") does not exist in " + dir);
                    if (file.endsWith(".index.json")) throw new CheckpointException(source + ": shard " + file + " is itself an index");
                    shard = Checkpoint.open(shardPath);
                    opened.put(file, shard);
                }
                if (!shard.contains(tensor))
                    throw new CheckpointException(source + ": the index puts tensor " + tensor + " in " + file + ", which does not hold it");
                shardOf.put(tensor, shard);
            }
            Map<Checkpoint, String> fileOf = new java.util.IdentityHashMap<>();
            opened.forEach((file, shard) -> fileOf.put(shard, file));
            for (Map.Entry<String, Checkpoint> s : opened.entrySet())
                for (String tensor : s.getValue().names()) {
                    Checkpoint owner = shardOf.putIfAbsent(tensor, s.getValue());
                    if (owner != null && owner != s.getValue())
                        throw new CheckpointException(source + ": tensor " + tensor + " is in two shards, " + fileOf.get(owner) + " and "
                                + s.getKey());
                }
        } catch (CheckpointException | RuntimeException e) {
            for (Checkpoint c : opened.values()) closeQuietly(c);
            throw e;
        }
        return new ShardedCheckpoint(source, List.copyOf(opened.values()), Collections.unmodifiableMap(shardOf));
    }

    @Override
    public String source() {
        return source;
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(shardOf.keySet());
    }

    @Override
    public boolean contains(String name) {
        return shardOf.containsKey(name);
    }

    /** The shard files, in the order the index first names them. */
    public List<String> shardFiles() {
        List<String> out = new ArrayList<>();
        for (Checkpoint c : shards) out.add(c.source());
        return out;
    }

    @Override
    public TensorInfo info(String name) throws CheckpointException {
        return shard(name).info(name);
    }

    @Override
    public NDArray read(String name, NDManager manager, DataType type) throws CheckpointException {
        return shard(name).read(name, manager, type);
    }

    @Override
    public float[] readFloats(String name) throws CheckpointException {
        return shard(name).readFloats(name);
    }

    @Override
    public StoredTensor stored(String name) throws CheckpointException {
        StoredTensors s = StoredTensors.of(shard(name));
        if (s == null) throw new IllegalStateException("shard " + shard(name).source() + " does not hand out stored tensors");
        return s.stored(name);
    }

    @Override
    public void close() throws CheckpointException {
        CheckpointException first = null;
        for (Checkpoint c : shards) {
            try {
                c.close();
            } catch (CheckpointException e) {
                if (first == null) first = e;
            }
        }
        if (first != null) throw first;
    }

    private Checkpoint shard(String name) throws CheckpointException {
        Checkpoint c = shardOf.get(name);
        if (c == null) throw CheckpointException.noSuchTensor(source, name);
        return c;
    }

    private static void closeQuietly(Checkpoint c) {
        try {
            c.close();
        } catch (CheckpointException ignored) {
            // already failing: that error is the one to report
        }
    }
}
