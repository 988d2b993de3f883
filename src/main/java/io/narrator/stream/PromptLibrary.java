package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.MALFORMED_PROMPT;

import io.narrator.avro.NarrationPrompt;
import io.narrator.avro.PromptExample;
import io.narrator.ingest.FpsSampler;
import io.narrator.ingest.SegmentDecoder;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Validates prompts and turns them into {@link CompiledPrompt}s: example media (JPEG/PNG images,
 * MPEG-TS/fMP4 clips sampled like a live stream) decoded and encoded into features once per prompt
 * version and cached in memory, shared by every stream thread.
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

    public PromptLibrary(Narration narration, NarratorConfig config) {
        if (narration == null || config == null) throw new IllegalArgumentException("narration and config must not be null");
        this.narration = narration;
        this.config = config;
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
     * Validates and compiles a prompt, and caches it.
     *
     * @throws RejectedRecordException with {@link DeadLetterReason#MALFORMED_PROMPT} naming what is wrong
     */
    public CompiledPrompt compile(String version, NarrationPrompt prompt) {
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
        int maxFrames = narration.modelInfo().maxFrames();
        if (framesPerWindow(effectiveWindow, config.sampleFps()) > maxFrames)
            throw malformed("a " + effectiveWindow + " s window at " + config.sampleFps() + " fps holds "
                    + framesPerWindow(effectiveWindow, config.sampleFps()) + " frames; the model takes at most " + maxFrames);
        List<ClipRequest.PromptExample> examples = new ArrayList<>();
        for (int i = 0; i < prompt.getExamples().size(); i++) {
            PromptExample example = prompt.getExamples().get(i);
            List<BufferedImage> frames = decodeMedia(i, example, maxFrames);
            examples.add(new ClipRequest.PromptExample(narration.encodeFrames(frames), example.getText()));
        }
        CompiledPrompt compiled = new CompiledPrompt(version, examples, settings, window, hop);
        cache.put(version, compiled);
        return compiled;
    }

    private List<BufferedImage> decodeMedia(int index, PromptExample example, int maxFrames) {
        String type = example.getMediaType();
        byte[] media = Buffers.toArray(example.getMedia());
        String where = "example " + index + " (" + type + ", " + media.length + " bytes): ";
        if (example.getText() == null || example.getText().isBlank()) throw malformed("example " + index + " has no text");
        try {
            narration.checkExampleText(example.getText());
        } catch (IllegalArgumentException e) {
            throw malformed("example " + index + ": " + e.getMessage());
        }
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
}
