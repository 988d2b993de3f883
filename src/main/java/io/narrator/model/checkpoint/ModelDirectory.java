package io.narrator.model.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.FlamingoConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a model's three files come from: a directory ({@code config.json}, {@code tokenizer.json},
 * {@code model.safetensors} — or its shards, listed by {@code model.safetensors.index.json}) or, for
 * {@value #BUNDLED}, the jar's {@code models/narrator-tiny/}. Files are read directly (nothing is extracted); only
 * JSON and tensor files are parsed ({@link Checkpoint}), nothing is executed.
 */
public abstract sealed class ModelDirectory permits ModelDirectory.OnDisk, ModelDirectory.OnClasspath {
    public static final String CONFIG = "config.json";
    public static final String TOKENIZER = "tokenizer.json";
    public static final String WEIGHTS = "model.safetensors";
    /** The index of a model whose weights are split over several safetensors files. */
    public static final String WEIGHTS_INDEX = "model.safetensors.index.json";
    /** The name that selects the model shipped in the jar. */
    public static final String BUNDLED = "bundled";
    /** The classpath folder of the bundled model. */
    public static final String BUNDLED_RESOURCE = "models/narrator-tiny/";

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    /** Optional config field {@code vision.conv_stem_channels}: empty when absent. */
    private static final String CONV_STEM = "conv_stem_channels";
    /** Optional config field {@code vision.resample}: {@code area} when absent. */
    private static final String RESAMPLE = "resample";

    /** A directory path, or {@value #BUNDLED}. */
    public static ModelDirectory of(String location) throws IOException {
        if (BUNDLED.equals(location)) return bundled();
        return of(Path.of(location));
    }

    public static ModelDirectory of(Path dir) throws IOException {
        if (!Files.exists(dir)) throw new IOException("model directory " + dir + " does not exist");
        if (!Files.isDirectory(dir)) throw new IOException(dir + " is not a model directory (it is a file)");
        for (String f : new String[] {CONFIG, TOKENIZER, WEIGHTS}) {
            boolean present = Files.isRegularFile(dir.resolve(f)) || f.equals(WEIGHTS) && Files.isRegularFile(dir.resolve(WEIGHTS_INDEX));
            if (!present)
                throw new IOException("model directory " + dir + " has no " + f + " (a model needs " + CONFIG + ", " + TOKENIZER
                        + " and " + WEIGHTS + " or its shards' " + WEIGHTS_INDEX + ")");
        }
        return new OnDisk(dir);
    }

    /** The model shipped in the jar. */
    public static ModelDirectory bundled() throws IOException {
        if (ModelDirectory.class.getClassLoader().getResource(BUNDLED_RESOURCE + CONFIG) == null)
            throw new IOException("this build has no bundled model (" + BUNDLED_RESOURCE + " is not on the classpath); "
                    + "train one with `narrator train all --out DIR` and pass --model DIR");
        return new OnClasspath(BUNDLED_RESOURCE);
    }

    /** A human-readable name of the location, for messages. */
    public abstract String describe();

    /** Opens one of the model's files. */
    public abstract InputStream open(String file) throws IOException;

    /** Reads and validates {@code config.json}. */
    public FlamingoConfig config() throws IOException {
        try (InputStream in = open(CONFIG)) {
            return parseConfig(in.readAllBytes(), describe() + "/" + CONFIG);
        }
    }

    /**
     * Opens the weights ({@code model.safetensors}, or the shards {@code model.safetensors.index.json} lists): headers
     * are checked now, values read on request. The caller closes it. The bundled model's file is read into memory
     * (it is small and inside the jar); files on disk are read in place.
     */
    public Checkpoint weights() throws IOException {
        if (this instanceof OnDisk d)
            return Files.isRegularFile(d.dir.resolve(WEIGHTS)) ? SafeTensors.open(d.dir.resolve(WEIGHTS))
                    : ShardedCheckpoint.open(d.dir.resolve(WEIGHTS_INDEX));
        try (InputStream in = open(WEIGHTS)) {
            byte[] bytes = in.readAllBytes();
            return SafeTensors.open(ByteBuffer.wrap(bytes), describe() + "/" + WEIGHTS);
        }
    }

    /** Bytes of the weight files (all shards). */
    public long weightBytes() throws IOException {
        if (this instanceof OnDisk d) {
            if (Files.isRegularFile(d.dir.resolve(WEIGHTS))) return Files.size(d.dir.resolve(WEIGHTS));
            long total = 0;
            try (ShardedCheckpoint sharded = ShardedCheckpoint.open(d.dir.resolve(WEIGHTS_INDEX))) {
                for (String shard : sharded.shardFiles()) total += Files.size(Path.of(shard));
            }
            return total;
        }
        try (InputStream in = open(WEIGHTS)) {
            return in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }

    /** Parses a config, turning Jackson's and the record's complaints into one clear message. */
    public static FlamingoConfig parseConfig(byte[] json, String source) throws IOException {
        try {
            JsonNode tree = JSON.readTree(json);
            if (tree != null && tree.get("vision") instanceof ObjectNode vision) {
                if (!vision.has(CONV_STEM)) vision.putArray(CONV_STEM); // a CLIP ViT (and every config before it existed) has no stem
                if (!vision.has(RESAMPLE)) vision.put(RESAMPLE, FlamingoConfig.Vision.AREA); // every config before it existed
            }
            return JSON.treeToValue(tree, FlamingoConfig.class);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException(source + ": " + cause.getMessage(), e);
        } catch (JsonProcessingException e) {
            throw new IOException(source + ": not a valid model config: " + e.getOriginalMessage(), e);
        }
    }

    /** Writes {@code config.json}. */
    public static void writeConfig(FlamingoConfig config, Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve(CONFIG).toFile(), config);
    }

    /** A model directory on disk. */
    static final class OnDisk extends ModelDirectory {
        final Path dir;

        OnDisk(Path dir) {
            this.dir = dir;
        }

        @Override
        public String describe() {
            return dir.toString();
        }

        @Override
        public InputStream open(String file) throws IOException {
            return Files.newInputStream(dir.resolve(file));
        }
    }

    /** A model folder inside the jar. */
    static final class OnClasspath extends ModelDirectory {
        private final String prefix;

        OnClasspath(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public String describe() {
            return "bundled model (classpath:" + prefix.substring(0, prefix.length() - 1) + ")";
        }

        @Override
        public InputStream open(String file) throws IOException {
            InputStream in = ModelDirectory.class.getClassLoader().getResourceAsStream(prefix + file);
            if (in == null) throw new IOException(describe() + " has no " + file);
            return in;
        }
    }
}
