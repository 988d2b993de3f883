package io.narrator.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.ModelDirectory;
import io.narrator.model.checkpoint.ModelWeights;
import io.narrator.model.checkpoint.SafeTensors;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Generator;
import io.narrator.model.generate.ScoreRequest;
import io.narrator.model.generate.ScoreResult;
import io.narrator.model.generate.Scorer;
import io.narrator.model.generate.TokenListener;
import io.narrator.model.nn.Attention;
import io.narrator.model.tokenizer.NarratorTokenizer;
import io.narrator.model.vision.ImagePreprocessor;
import io.narrator.model.vision.VisionFeatures;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A loaded Flamingo model ready to use: the {@link Flamingo} block with its weights, the tokenizer, the
 * image preprocessing, generation and scoring. Every parameter is frozen on load (a trainer unfreezes
 * what it trains). Safe to share between threads; {@link #close()} frees its native memory.
 */
public final class FlamingoModel implements AutoCloseable {
    private final FlamingoConfig config;
    private final Flamingo block;
    private final NarratorTokenizer tokenizer;
    private final NDManager manager;
    private final ImagePreprocessor preprocessor;
    private final Generator generator;
    private final Scorer scorer;

    private FlamingoModel(FlamingoConfig config, Flamingo block, NarratorTokenizer tokenizer, NDManager manager) {
        this.config = config;
        this.block = block;
        this.tokenizer = tokenizer;
        this.manager = manager;
        this.preprocessor = new ImagePreprocessor(config.vision());
        this.generator = new Generator(block, tokenizer, manager);
        this.scorer = new Scorer(block, tokenizer, manager);
    }

    /** Loads a model directory, or the bundled model for {@code "bundled"}, on the CPU. */
    public static FlamingoModel load(String location) throws IOException {
        return load(ModelDirectory.of(location), Device.cpu());
    }

    public static FlamingoModel load(Path dir) throws IOException {
        return load(ModelDirectory.of(dir), Device.cpu());
    }

    /**
     * Loads config, tokenizer and weights in float32; every problem with them is an {@link IOException} naming the file
     * and what is wrong, a native library that cannot be loaded an {@link IllegalStateException} saying what to do.
     */
    public static FlamingoModel load(ModelDirectory dir, Device device) throws IOException {
        return load(dir, device, ModelDtype.F32);
    }

    /** Loads config, tokenizer and weights, the weights converted to {@code dtype} and the model computing in it. */
    public static FlamingoModel load(ModelDirectory dir, Device device, ModelDtype dtype) throws IOException {
        FlamingoConfig config = dir.config();
        NativeLibraries.requirePyTorch();
        NarratorTokenizer tokenizer;
        try (InputStream in = dir.open(ModelDirectory.TOKENIZER)) {
            tokenizer = NarratorTokenizer.load(in, dir.describe() + "/" + ModelDirectory.TOKENIZER, config.specialTokens());
        }
        NDManager manager = NDManager.newBaseManager(device);
        try {
            Flamingo block = new Flamingo(config, dtype.dataType());
            try (Checkpoint weights = dir.weights()) {
                ModelWeights.load(block, weights, manager);
            }
            block.freezeParameters(true);
            return new FlamingoModel(config, block, tokenizer, manager);
        } catch (IOException | RuntimeException e) {
            manager.close();
            tokenizer.close();
            throw e;
        }
    }

    /** A randomly initialised model (gates at 0) with the given tokenizer file: the start of training, and tests. */
    public static FlamingoModel random(FlamingoConfig config, Path tokenizerJson, long seed) throws IOException {
        NativeLibraries.requirePyTorch();
        NarratorTokenizer tokenizer = NarratorTokenizer.load(tokenizerJson, config.specialTokens());
        NDManager manager = NDManager.newBaseManager(Device.cpu());
        ai.djl.engine.Engine.getInstance().setRandomSeed((int) seed);
        Flamingo block = new Flamingo(config);
        // PyTorch's grad mode is per thread and DJL turns it off only on the thread that started the engine: on any other
        // thread, initialisation would be recorded and leave parameters that are not leaves, which cannot be frozen
        boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
        ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        try {
            block.initialize(manager);
            block.resetSpecialTokenEmbeddings();
        } finally {
            ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
        }
        block.freezeParameters(true);
        return new FlamingoModel(config, block, tokenizer, manager);
    }

    /** Writes {@code config.json}, {@code tokenizer.json} (copied from {@code tokenizerJson}) and {@code model.safetensors}. */
    public void save(Path dir, Path tokenizerJson, SafeTensors.Precision precision) throws IOException {
        Files.createDirectories(dir);
        ModelDirectory.writeConfig(config, dir);
        if (!tokenizerJson.toAbsolutePath().equals(dir.resolve(ModelDirectory.TOKENIZER).toAbsolutePath()))
            Files.copy(tokenizerJson, dir.resolve(ModelDirectory.TOKENIZER), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SafeTensors.write(dir.resolve(ModelDirectory.WEIGHTS), ModelWeights.tensors(block), precision, metadata(config));
    }

    /** What a model's {@code model.safetensors} says of itself in {@code __metadata__}. */
    private static Map<String, String> metadata(FlamingoConfig config) {
        return Map.of("format", "pt", "name", config.name(), "version", config.version());
    }

    /**
     * Copies a model directory to {@code target} under a new name and version (e.g. a release's): its config with that
     * identity, the tokenizer as it is, the weights' values bit for bit, written as F32 with the new name and version
     * in their metadata. Nothing is loaded into the engine.
     */
    public static void copyAs(Path source, Path target, String name, String version) throws IOException {
        Path configFile = source.resolve(ModelDirectory.CONFIG);
        FlamingoConfig config = ModelDirectory.parseConfig(Files.readAllBytes(configFile), configFile.toString())
                .withIdentity(name, version);
        Files.createDirectories(target);
        ModelDirectory.writeConfig(config, target);
        Files.copy(source.resolve(ModelDirectory.TOKENIZER), target.resolve(ModelDirectory.TOKENIZER),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SafeTensors.write(target.resolve(ModelDirectory.WEIGHTS), SafeTensors.read(source.resolve(ModelDirectory.WEIGHTS)).values(),
                SafeTensors.Precision.F32, metadata(config));
    }

    public FlamingoConfig config() {
        return config;
    }

    /** The underlying block, for trainers and tests. */
    public Flamingo block() {
        return block;
    }

    public NarratorTokenizer tokenizer() {
        return tokenizer;
    }

    /** The device the weights and every array of the model's work are on. */
    public Device device() {
        return manager.getDevice();
    }

    /** The number format of the weights and the computation. */
    public ModelDtype dtype() {
        return ModelDtype.of(block.dataType());
    }

    /** The manager that owns the weights; sub-managers of it hold per-call arrays. */
    public NDManager manager() {
        return manager;
    }

    public ImagePreprocessor preprocessor() {
        return preprocessor;
    }

    /** Encodes frames (any size) into patch tokens, each frame independently, in one batched pass. */
    public List<VisionFeatures> encode(List<BufferedImage> frames) {
        if (frames.isEmpty()) return List.of();
        int s = config.vision().imageSize();
        float[] pixels = new float[frames.size() * 3 * s * s];
        for (int i = 0; i < frames.size(); i++) System.arraycopy(preprocessor.apply(frames.get(i)), 0, pixels, i * 3 * s * s, 3 * s * s);
        return encodePixels(pixels, frames.size());
    }

    /** Encodes already preprocessed pixels, (N, 3, S, S) flattened. */
    public List<VisionFeatures> encodePixels(float[] pixels, int n) {
        int s = config.vision().imageSize();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(pixels, new Shape(n, 3, s, s));
            NDArray tokens = Attention.inType(block.encodeFrames(x), DataType.FLOAT32); // (N, P, Dv)
            int p = config.vision().tokensPerFrame();
            int d = config.visualDim();
            float[] flat = tokens.toFloatArray();
            List<VisionFeatures> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                float[] one = new float[p * d];
                System.arraycopy(flat, i * p * d, one, 0, p * d);
                out.add(new VisionFeatures(p, d, one));
            }
            return out;
        }
    }

    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        return generator.generate(requests);
    }

    public List<GenerationResult> generate(List<GenerationRequest> requests, boolean cached, TokenListener listener) {
        return generator.generate(requests, cached, listener);
    }

    public List<ScoreResult> score(List<ScoreRequest> requests) {
        return scorer.score(requests);
    }

    /**
     * The few-shot prompt of the model's family: {@code <image>Output: {text}<|endofchunk|>} per example, then
     * {@code <image>Output:} for the media to describe (the paper's, Narrator's). The media text, {@code Output:}
     * ({@code generation.prompt_prefix}), what separates it from the text ({@code generation.text_separator}), the end of
     * chunk and what follows an example ({@code generation.example_separator}) come from the config: OpenFlamingo's
     * evaluation writes {@code <image>Output:{text}<|endofchunk|>\n}; with an empty prefix an example is
     * {@code <image>{text}<EOC>} and the query {@code <image>} (flamingo-mini's captions). An example text that holds a
     * media marker is refused: it would be read as one more media item.
     */
    public String prompt(List<String> exampleTexts) {
        return prompt(null, exampleTexts);
    }

    /**
     * {@link #prompt(List)} after {@code context}, plain text about what came before (a stream's previous caption), or
     * nothing when it is null or blank. The context, like an example text, must hold no media marker.
     *
     * @throws IllegalArgumentException naming the example or the context that holds a media marker, or when the
     *     prompt does not tokenize to one media marker per example plus one
     */
    public String prompt(String context, List<String> exampleTexts) {
        FlamingoConfig.SpecialTokens special = config.specialTokens();
        FlamingoConfig.Generation format = config.generation();
        String prefix = format.promptPrefix();
        StringBuilder sb = new StringBuilder();
        if (context != null && !context.isBlank()) {
            String text = context.strip();
            checkText("the context \"" + text + "\"", text);
            sb.append(text).append(' ');
        }
        for (int i = 0; i < exampleTexts.size(); i++) {
            String text = exampleTexts.get(i).strip();
            checkText("example " + (i + 1) + " \"" + text + "\"", text);
            sb.append(special.mediaText());
            if (!prefix.isEmpty()) sb.append(prefix).append(format.textSeparator());
            sb.append(text).append(special.endOfChunkText()).append(format.exampleSeparator());
        }
        String prompt = sb.append(special.mediaText()).append(prefix).toString();
        requireMarkers(prompt, exampleTexts.size() + 1);
        return prompt;
    }

    /**
     * The zero-shot prompt about {@code media} media items in a row: their media texts, then the prompt prefix
     * ({@code <image><image>Output:}). Where the tokenizer would merge two adjacent media texts (OPT's BPE reads the
     * {@code ><} of {@code <image><image>} as one token, losing a marker) they are written with a space between, so
     * that every item keeps its marker ({@code <image> <image>}).
     *
     * @throws IllegalArgumentException when this tokenizer cannot write {@code media} markers in a row
     */
    public String queryPrompt(int media) {
        if (media < 1) throw new IllegalArgumentException("a prompt needs at least one media item, got " + media);
        FlamingoConfig.SpecialTokens special = config.specialTokens();
        String prefix = config.generation().promptPrefix();
        for (String separator : new String[] {"", " "}) {
            String prompt = String.join(separator, java.util.Collections.nCopies(media, special.mediaText())) + prefix;
            if (mediaMarkers(prompt) == media) return prompt;
        }
        throw new IllegalArgumentException("this model's tokenizer does not read " + media + " media texts (" + special.mediaText()
                + ") in a row as " + media + " media markers, with or without spaces between them; write a prompt with text between them");
    }

    /** The media items a prompt stands for: its media markers as this model's tokenizer reads them. */
    public int mediaMarkers(String prompt) {
        return config.specialTokens().countMediaMarkers(tokenizer.encodePrompt(prompt));
    }

    /**
     * Checks that {@code text} can stand in a prompt as plain text: it holds no media marker, at the start of a text or
     * after a space alike (for flamingo-mini any {@code <}).
     *
     * @param what names the text in the error, e.g. {@code example 2 "a <b>"}
     * @throws IllegalArgumentException naming {@code what} when it holds a media marker
     */
    public void checkText(String what, String text) {
        FlamingoConfig.SpecialTokens special = config.specialTokens();
        if (special.countMediaMarkers(tokenizer.encode(text)) > 0 || special.countMediaMarkers(tokenizer.encode(" " + text)) > 0)
            throw new IllegalArgumentException(what + " holds a token that marks media in this model (" + special.mediaText()
                    + "): it would be read as an image; leave it out of the text");
    }

    /**
     * How {@code text} continues {@code prompt} in this model's format: straight after a prompt that ends with the
     * media text (flamingo-mini's {@code <image>a red cat}), after {@code generation.text_separator} when it ends with
     * the prompt prefix ({@code Output: a red cat}; OpenFlamingo's {@code Output:a red cat}), after a space otherwise.
     */
    public String continuation(String prompt, String text) {
        String t = text.strip();
        String prefix = config.generation().promptPrefix();
        if (prompt.endsWith(config.specialTokens().mediaText())) return t;
        return (!prefix.isEmpty() && prompt.endsWith(prefix) ? config.generation().textSeparator() : " ") + t;
    }

    private void requireMarkers(String prompt, int expected) {
        int found = mediaMarkers(prompt);
        if (found != expected)
            throw new IllegalArgumentException("the prompt \"" + prompt + "\" tokenizes to " + found + " media marker(s), not " + expected
                    + ": this model's tokenizer merges its media text (" + config.specialTokens().mediaText() + ") with the text around it");
    }

    @Override
    public void close() {
        tokenizer.close();
        manager.close();
    }
}
