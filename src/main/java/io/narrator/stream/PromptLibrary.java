package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.MALFORMED_PROMPT;
import static io.narrator.stream.DeadLetterReason.PROMPT_TOO_LONG;

import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import io.narrator.ingest.FpsSampler;
import io.narrator.ingest.FrameEncoding;
import io.narrator.ingest.SegmentDecoder;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Validates prompts and turns them into {@link CompiledPrompt}s: example media (JPEG/PNG images,
 * MPEG-TS/fMP4 clips sampled like a live stream) decoded and encoded into features once per prompt
 * version and cached in memory, shared by every stream thread.
 *
 * <p>Validation first checks what decodes nothing — the number of examples and their bytes against
 * {@code prompt.max.examples} and {@code prompt.max.bytes}, texts, media types, generation settings, window and hop,
 * and the prompt's tokens plus the tokens to generate against the model's context — and only then decodes and encodes
 * the example media. {@link #compileLater} does all of it on the library's own validation thread, so that no stream
 * thread waits for a prompt.
 */
public final class PromptLibrary {
    private static final int CACHE_SIZE = 256;

    private final Narration narration;
    private final NarratorConfig config;
    private final Map<String, CompiledPrompt> cache = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CompiledPrompt> eldest) {
            return size() > CACHE_SIZE;
        }
    });

    private final Map<String, CompiledPrompt> inForce = new java.util.concurrent.ConcurrentHashMap<>();
    /** One daemon thread, started when a prompt needs it and gone after a minute without one. */
    private final ExecutorService validation;

    public PromptLibrary(Narration narration, NarratorConfig config) {
        if (narration == null || config == null) throw new IllegalArgumentException("narration and config must not be null");
        this.narration = narration;
        this.config = config;
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>(), work -> {
            Thread thread = new Thread(work, "narrator-prompt-validation");
            thread.setDaemon(true);
            return thread;
        });
        executor.allowCoreThreadTimeOut(true);
        this.validation = executor;
    }

    /** The number of frames a window of {@code windowSeconds} holds at most at {@code fps}. */
    public static int framesPerWindow(int windowSeconds, double fps) {
        return (int) Math.ceil(windowSeconds * fps - 1e-9);
    }

    /** The settings used when no prompt is in force: configured generation defaults, no examples, no overrides. */
    public GenerationSettings defaultSettings() {
        return config.generation();
    }

    /** The compiled prompt of a version, from the cache or compiled now. */
    public CompiledPrompt get(String version, NarrationPrompt prompt) {
        CompiledPrompt cached = cache.get(version);
        if (cached != null) return cached;
        CompiledPrompt compiled = compile(version, prompt);
        cache.put(version, compiled);
        return compiled;
    }

    /** Puts a prompt in force for a prompt key (a stream id or the default key). */
    public void install(String promptKey, CompiledPrompt prompt) {
        inForce.put(promptKey, prompt);
    }

    /** Removes the prompt of a prompt key (a tombstone in the prompts topic). */
    public void remove(String promptKey) {
        inForce.remove(promptKey);
    }

    /** The prompt in force for a stream: its own, else the default one, else none. */
    public Optional<CompiledPrompt> forStream(String streamId) {
        CompiledPrompt own = inForce.get(streamId);
        return own != null ? Optional.of(own) : Optional.ofNullable(inForce.get(config.defaultPromptKey()));
    }

    /** The compiled prompt of a version if it is cached. */
    public Optional<CompiledPrompt> cached(String version) {
        return Optional.ofNullable(cache.get(version));
    }

    /**
     * {@link #compile} on the library's validation thread (one per library, shared by every caller; work is done in the
     * order it is given). The future fails with a {@link RejectedRecordException}: the prompt's own, or
     * {@link DeadLetterReason#MALFORMED_PROMPT} when validating it failed in any other way (an {@link Error} included:
     * one prompt must not stop the narrator).
     */
    public CompletableFuture<CompiledPrompt> compileLater(String version, NarrationPrompt prompt) {
        CompletableFuture<CompiledPrompt> result = new CompletableFuture<>();
        validation.execute(() -> {
            try {
                result.complete(compile(version, prompt));
            } catch (RejectedRecordException e) {
                result.completeExceptionally(e);
            } catch (Throwable e) { // a decoder's or the vision encoder's failure is this prompt's
                result.completeExceptionally(malformed("validating the prompt failed: " + NarrationEngine.describe(e)));
            }
        });
        return result;
    }

    /**
     * Validates and compiles a prompt, and caches it: first the checks that decode nothing ({@link #check}), then the
     * example media.
     *
     * @throws RejectedRecordException with {@link DeadLetterReason#PROMPT_TOO_LONG} or {@link DeadLetterReason#MALFORMED_PROMPT}
     *     naming what is wrong
     */
    public CompiledPrompt compile(String version, NarrationPrompt prompt) {
        Checked checked = check(prompt);
        int maxFrames = narration.modelInfo().maxFrames();
        List<ClipRequest.PromptExample> examples = new ArrayList<>();
        for (int i = 0; i < prompt.getExamples().size(); i++) {
            PromptExample example = prompt.getExamples().get(i);
            List<BufferedImage> frames = decodeMedia(i, example, maxFrames);
            examples.add(new ClipRequest.PromptExample(narration.encodeFrames(frames), example.getText()));
        }
        CompiledPrompt compiled = new CompiledPrompt(version, examples, checked.settings(), checked.windowSeconds(), checked.hopSeconds());
        cache.put(version, compiled);
        return compiled;
    }

    /** What the checks that decode nothing make of a prompt: its generation settings and window/hop overrides (0 = none). */
    record Checked(GenerationSettings settings, int windowSeconds, int hopSeconds) {}

    /**
     * The checks that decode no media, cheapest first: examples and bytes against the limits, each example's text and
     * media type, the generation settings, window and hop, then the prompt's tokens (the model's prompt format and
     * tokenizer) and the tokens to generate against the model's context.
     *
     * @throws RejectedRecordException with {@link DeadLetterReason#PROMPT_TOO_LONG} or {@link DeadLetterReason#MALFORMED_PROMPT}
     */
    Checked check(NarrationPrompt prompt) {
        List<PromptExample> list = prompt.getExamples();
        if (list.size() > config.promptMaxExamples())
            throw tooLong("the prompt has " + list.size() + " examples, more than prompt.max.examples=" + config.promptMaxExamples());
        long bytes = 0;
        for (PromptExample example : list)
            bytes += example.getMedia().remaining() + (example.getText() == null ? 0 : example.getText().getBytes(StandardCharsets.UTF_8).length);
        if (bytes > config.promptMaxBytes())
            throw tooLong("the prompt's examples have " + bytes + " bytes of media and text, more than prompt.max.bytes=" + config.promptMaxBytes());
        for (int i = 0; i < list.size(); i++) {
            PromptExample example = list.get(i);
            if (example.getText() == null || example.getText().isBlank()) throw malformed("example " + i + " has no text");
            try {
                narration.checkExampleText(example.getText());
            } catch (IllegalArgumentException e) {
                throw malformed("example " + i + ": " + e.getMessage());
            }
            String type = example.getMediaType();
            if (FrameEncoding.parse(type).filter(e -> e != FrameEncoding.RAW_RGB24).isEmpty() && SegmentDecoder.Container.parse(type).isEmpty())
                throw malformed("example " + i + " (" + type + ", " + example.getMedia().remaining() + " bytes): mediaType must be JPEG, PNG, MPEGTS or FMP4");
        }
        GenerationSettings d = config.generation();
        GenerationSettings settings;
        try {
            settings = new GenerationSettings(
                    prompt.getMaxTokens() != null ? prompt.getMaxTokens() : d.maxTokens(),
                    prompt.getBeams() != null ? prompt.getBeams() : (prompt.getTopP() != null && prompt.getTopP() > 0 && prompt.getTopP() < 1 ? 1 : d.beams()),
                    prompt.getTopP() != null ? prompt.getTopP() : d.topP());
        } catch (IllegalArgumentException e) {
            throw malformed("generation settings: " + e.getMessage());
        }
        int window = prompt.getWindowSeconds() == null ? 0 : prompt.getWindowSeconds();
        int hop = prompt.getHopSeconds() == null ? 0 : prompt.getHopSeconds();
        if (prompt.getWindowSeconds() != null && window <= 0) throw malformed("windowSeconds must be positive, got " + window);
        if (prompt.getHopSeconds() != null && hop <= 0) throw malformed("hopSeconds must be positive, got " + hop);
        int effectiveWindow = window > 0 ? window : config.windowSeconds();
        int effectiveHop = hop > 0 ? hop : config.hopSeconds();
        if (effectiveHop > effectiveWindow)
            throw malformed("hop " + effectiveHop + " s is longer than window " + effectiveWindow + " s: frames between windows would never be narrated");
        ModelInfo model = narration.modelInfo();
        int maxFrames = model.maxFrames();
        if (framesPerWindow(effectiveWindow, config.sampleFps()) > maxFrames)
            throw malformed("a " + effectiveWindow + " s window at " + config.sampleFps() + " fps holds "
                    + framesPerWindow(effectiveWindow, config.sampleFps()) + " frames; the model takes at most " + maxFrames);
        int tokens = narration.promptTokens(list.stream().map(PromptExample::getText).toList());
        int generated = generatedTokens(settings);
        if (tokens + generated > model.contextTokens())
            throw tooLong("the prompt takes " + tokens + " tokens and " + generated + " more are generated" + (config.contextPreviousCaption()
                    ? " (the previous caption given as context counts too)" : "") + ": " + (tokens + generated) + " is more than model "
                    + model.name() + "'s context of " + model.contextTokens() + " tokens");
        return new Checked(settings, window, hop);
    }

    /** Tokens a clip needs besides its prompt: those generated, and with {@code context.previous.caption} the previous caption's as many again. */
    int generatedTokens(GenerationSettings settings) {
        return settings.maxTokens() * (config.contextPreviousCaption() ? 2 : 1);
    }

    private List<BufferedImage> decodeMedia(int index, PromptExample example, int maxFrames) {
        String type = example.getMediaType();
        byte[] media = Buffers.toArray(example.getMedia());
        String where = "example " + index + " (" + type + ", " + media.length + " bytes): ";
        Optional<FrameEncoding> image = FrameEncoding.parse(type).filter(e -> e != FrameEncoding.RAW_RGB24);
        if (image.isPresent()) {
            try {
                return List.of(ImageDecoder.decode(image.get(), media, 0, 0, config.maxPixels()));
            } catch (RejectedRecordException e) {
                throw malformed(where + e.getMessage());
            }
        }
        Optional<SegmentDecoder.Container> clip = SegmentDecoder.Container.parse(type);
        if (clip.isEmpty()) throw malformed(where + "mediaType must be JPEG, PNG, MPEGTS or FMP4");
        SegmentDecoder.Result result;
        try {
            result = SegmentDecoder.decode(clip.get(), null, media, 0, config.sampler(), FpsSampler.NONE, config.maxPixels());
        } catch (SegmentDecoder.InvalidSegmentException e) {
            throw malformed(where + e.getMessage());
        }
        if (result.kept().size() > maxFrames)
            throw malformed(where + "the clip has " + result.kept().size() + " frames at " + config.sampleFps() + " fps; the model takes at most " + maxFrames);
        return result.kept().stream().map(SegmentDecoder.SampledImage::image).toList();
    }

    private static RejectedRecordException malformed(String message) {
        return new RejectedRecordException(MALFORMED_PROMPT, message);
    }

    private static RejectedRecordException tooLong(String message) {
        return new RejectedRecordException(PROMPT_TOO_LONG, message);
    }
}
