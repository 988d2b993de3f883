package io.narrator.model.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.narrator.model.DjlSetup;
import io.narrator.model.Flamingo;
import io.narrator.model.FlamingoConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Measures the peak resident memory of loading large checkpoints (files of GBs are made for it, never committed).
 * Run from the test classpath, one measurement per JVM, so that the high-water mark is the load's:
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat cp.txt) io.narrator.model.checkpoint.CheckpointMemoryProbe write-model DIR
 * java ... CheckpointMemoryProbe load-model DIR           # a Flamingo of ~0.7 B parameters through ModelWeights
 * java ... CheckpointMemoryProbe load FILE [FLOAT32|FLOAT16]   # every tensor of any checkpoint into engine arrays
 * </pre>
 *
 * It prints the weights' size in the engine, the process's peak RSS (VmHWM) before and after the load, and their
 * ratio; then checks sampled values (after the peak is taken, so the checks do not count).
 */
public final class CheckpointMemoryProbe {
    private CheckpointMemoryProbe() {}

    public static void main(String[] args) throws Exception {
        DjlSetup.configure();
        switch (args[0]) {
            case "write-model" -> writeModel(Path.of(args[1]));
            case "load-model" -> loadModel(Path.of(args[1]));
            case "load" -> load(Path.of(args[1]), args.length > 2 ? DataType.valueOf(args[2]) : DataType.FLOAT32);
            default -> throw new IllegalArgumentException("write-model DIR | load-model DIR | load FILE [TYPE]");
        }
    }

    /** A Flamingo with a ViT-L/14-sized vision tower and a 24-layer, 1024-wide LM: about 2.7 GB of float32. */
    static FlamingoConfig bigConfig() throws IOException {
        String json = """
                {"model_type": "flamingo", "name": "memory-probe", "version": "0.0.1",
                 "vision": {"image_size": 224, "patch_size": 14, "hidden_size": 1024, "num_hidden_layers": 24,
                            "num_attention_heads": 16, "intermediate_size": 4096, "layer_norm_eps": 1e-5,
                            "hidden_act": "quick_gelu", "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25],
                            "resize_mode": "center_crop"},
                 "text": {"vocab_size": 50272, "n_positions": 2048, "n_embd": 1024, "n_layer": 24, "n_head": 16,
                          "layer_norm_epsilon": 1e-5},
                 "perceiver": {"depth": 6, "heads": 8, "dim_head": 64, "num_latents": 64, "max_frames": 8, "ff_mult": 4},
                 "cross_attention": {"every_n_layers": 4, "heads": 8, "dim_head": 64, "ff_mult": 4,
                                     "only_attend_immediate_media": true},
                 "special_tokens": {"image": 3, "end_of_chunk": 4, "eos": 2, "pad": 0},
                 "generation": {"max_new_tokens": 20, "num_beams": 3, "length_penalty": 1.0, "prompt_prefix": "Output:"}}""";
        return ModelDirectory.parseConfig(json.getBytes(java.nio.charset.StandardCharsets.UTF_8), "probe config");
    }

    /** Value {@code j} of tensor number {@code t}: exact in float32 and cheap to recompute. */
    static float value(int t, long j) {
        return (float) (((j * 7 + t * 13L) % 251) - 125) / 64f;
    }

    private static void writeModel(Path dir) throws IOException {
        FlamingoConfig config = bigConfig();
        Map<String, Shape> shapes = new Flamingo(config).expectedShapes();
        List<String> names = new ArrayList<>(new Flamingo(config).namedParameters().keySet());
        Checkpoint generated = new Checkpoint() {
            @Override
            public String source() {
                return "generated";
            }

            @Override
            public List<String> names() {
                return names;
            }

            @Override
            public TensorInfo info(String name) {
                return new TensorInfo(name, DType.F32, shapes.get(name).getShape(), "generated");
            }

            @Override
            public NDArray read(String name, NDManager manager, DataType type) {
                return manager.create(readFloats(name), shapes.get(name)).toType(type, false);
            }

            @Override
            public float[] readFloats(String name) {
                int t = names.indexOf(name);
                float[] v = new float[Math.toIntExact(shapes.get(name).size())];
                for (int j = 0; j < v.length; j++) v[j] = value(t, j);
                return v;
            }

            @Override
            public void close() {}
        };
        Files.createDirectories(dir);
        ModelDirectory.writeConfig(config, dir);
        try (var tokenizer = ModelDirectory.bundled().open(ModelDirectory.TOKENIZER)) { // present, as a model directory needs
            Files.copy(tokenizer, dir.resolve(ModelDirectory.TOKENIZER), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        long start = System.nanoTime();
        SafeTensors.write(dir.resolve(ModelDirectory.WEIGHTS), generated, SafeTensors.Precision.F32, Map.of());
        System.out.printf("wrote %s: %d tensors, %.3f GB in %.1f s%n", dir.resolve(ModelDirectory.WEIGHTS), names.size(),
                Files.size(dir.resolve(ModelDirectory.WEIGHTS)) / 1e9, (System.nanoTime() - start) / 1e9);
    }

    private static void loadModel(Path dir) throws IOException {
        FlamingoConfig config = ModelDirectory.of(dir.toString()).config();
        Flamingo block = new Flamingo(config);
        List<String> names;
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.zeros(new Shape(1)).close(); // the engine's libraries are loaded before the baseline is taken
            long before = peakRss();
            long start = System.nanoTime();
            try (Checkpoint weights = ModelDirectory.of(dir).weights()) {
                names = weights.names(); // the order the values were generated in
                ModelWeights.load(block, weights, manager);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long peak = peakRss();
            long bytes = 0;
            for (Parameter p : block.namedParameters().values()) bytes += p.getArray().size() * 4;
            report("model " + dir, bytes, before, peak, seconds);
            int checked = 0;
            for (Map.Entry<String, Parameter> e : block.namedParameters().entrySet()) {
                int t = names.indexOf(e.getKey());
                NDArray flat = e.getValue().getArray().reshape(-1);
                long n = flat.size();
                for (long j : new long[] {0, n / 2, n - 1}) {
                    float got = flat.getFloat(j);
                    if (got != value(t, j)) throw new AssertionError(e.getKey() + "[" + j + "] = " + got + ", expected " + value(t, j));
                    checked++;
                }
            }
            System.out.println("values checked: " + checked + " samples, all exact");
        }
    }

    private static void load(Path file, DataType type) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.zeros(new Shape(1)).close();
            long before = peakRss();
            long start = System.nanoTime();
            List<NDArray> arrays = new ArrayList<>();
            long bytes = 0;
            try (Checkpoint c = Checkpoint.open(file)) {
                for (String name : c.names()) {
                    NDArray a = c.read(name, manager, c.info(name).dtype().isFloatingPoint() ? type : DataType.FLOAT32);
                    bytes += a.size() * a.getDataType().getNumOfBytes();
                    arrays.add(a);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                report(c.source() + " as " + type, bytes, before, peakRss(), seconds);
                System.out.println(c.names().size() + " tensors; file " + Files.size(file) + " bytes");
                if (type == DataType.FLOAT32) { // the engine copy against the float[] path, every value
                    for (int i = 0; i < arrays.size(); i++) {
                        String name = c.names().get(i);
                        if (!java.util.Arrays.equals(arrays.get(i).toFloatArray(), c.readFloats(name)))
                            throw new AssertionError(name + " differs between the engine array and readFloats");
                    }
                    System.out.println("every value of every tensor equal in the engine array and through readFloats");
                }
            }
        }
    }

    private static void report(String what, long weightBytes, long peakBefore, long peakAfter, double seconds) {
        System.out.printf("%s: weights %.3f GB loaded in %.1f s; peak RSS %.3f GB before the load, %.3f GB after: "
                        + "%.2fx the weights (%.2fx counting only what the load added)%n",
                what, weightBytes / 1e9, seconds, peakBefore / 1e9, peakAfter / 1e9, (double) peakAfter / weightBytes,
                (double) (peakAfter - peakBefore) / weightBytes);
    }

    /** The process's peak resident set size (VmHWM), in bytes. */
    static long peakRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        throw new IOException("no VmHWM in /proc/self/status");
    }
}
