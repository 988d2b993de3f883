package io.narrator.stream;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * A deterministic stand-in for the model. A frame's features are its mean colour (3 bytes) and its
 * size; a clip's caption names, in order, the colour of each frame, after the texts of the prompt's
 * examples and the previous caption when given:
 * {@code "examples=<t1>|<t2> previous=<caption> frames=red,green,blue"}. An answer to a question scores minus the share
 * of the clip's frames whose colour it does not name (0 when it names every frame's colour). Records every batch it is given.
 */
public final class FakeNarration implements Narration {
    private static final String[] NAMES = {"black", "white", "red", "green", "blue", "yellow", "cyan", "magenta"};
    private static final int[][] COLOURS = {
        {0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {0, 255, 255}, {255, 0, 255}
    };

    final List<List<ClipRequest>> batches = new CopyOnWriteArrayList<>();
    /** Frames whose vision input was prepared (decoded frames kept by sampling, prompt example frames). */
    final AtomicInteger preparedFrames = new AtomicInteger();
    /** Frames run through the (fake) vision encoder. */
    final AtomicInteger encodedFrames = new AtomicInteger();
    /** The size of every {@link #encodeVisionInputs} call, in order. */
    final List<Integer> encodeBatches = new CopyOnWriteArrayList<>();
    /** When set, the vision encoder throws it. */
    volatile RuntimeException failVision;
    /** When set, narration throws it (an {@link Error}, to fail the narration engine). */
    volatile Error failNarration;
    /** When set, preparing a frame on the prompt library's validation thread waits until it counts down (a slow prompt). */
    volatile java.util.concurrent.CountDownLatch promptValidationGate;
    private final int maxFrames;

    public FakeNarration() {
        this(16);
    }

    public FakeNarration(int maxFrames) {
        this.maxFrames = maxFrames;
    }

    @Override
    public ModelInfo modelInfo() {
        return new ModelInfo("fake-narrator", "1.0", 32, maxFrames, CONTEXT_TOKENS);
    }

    /** The fake's context, in tokens. */
    static final int CONTEXT_TOKENS = 256;

    /**
     * Counts like a word-level tokenizer on the paper's prompt format: per example {@code <image>}, {@code Output:}, the
     * text's words and {@code <|endofchunk|>}; then {@code <image>} and {@code Output:} for the clip.
     */
    @Override
    public int promptTokens(List<String> exampleTexts) {
        int tokens = 2;
        for (String text : exampleTexts) tokens += 3 + (text.isBlank() ? 0 : text.strip().split("\\s+").length);
        return tokens;
    }

    /** The vision input is the frame's mean colour and its size: {r, g, b, width, height}. */
    @Override
    public float[] visionInput(BufferedImage image) {
        java.util.concurrent.CountDownLatch gate = promptValidationGate;
        if (gate != null && Thread.currentThread().getName().equals("narrator-prompt-validation")) {
            try {
                if (!gate.await(60, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("prompt validation gate never opened");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        preparedFrames.incrementAndGet();
        long r = 0, g = 0, b = 0;
        int n = image.getWidth() * image.getHeight();
        for (int y = 0; y < image.getHeight(); y++)
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y);
                r += rgb >> 16 & 0xFF;
                g += rgb >> 8 & 0xFF;
                b += rgb & 0xFF;
            }
        return new float[] {r / n, g / n, b / n, image.getWidth(), image.getHeight()};
    }

    @Override
    public List<byte[]> encodeVisionInputs(List<float[]> inputs) {
        RuntimeException failure = failVision;
        if (failure != null) throw failure;
        encodeBatches.add(inputs.size());
        List<byte[]> out = new ArrayList<>();
        for (float[] in : inputs) {
            out.add(ByteBuffer.allocate(11).put((byte) in[0]).put((byte) in[1]).put((byte) in[2]).putInt((int) in[3]).putInt((int) in[4]).array());
            encodedFrames.incrementAndGet();
        }
        return out;
    }

    /** A batch this matches waits, once inside {@link #narrate}, until {@link #release} counts down (to finish batches out of order). */
    volatile java.util.function.Predicate<List<ClipRequest>> hold = batch -> false;
    final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    /** Example texts holding Narrator's media text are refused, as the bundled model refuses them. */
    @Override
    public void checkExampleText(String text) {
        if (text.contains(io.narrator.model.tokenizer.NarratorTokenizer.IMAGE))
            throw new IllegalArgumentException("the text \"" + text + "\" holds " + io.narrator.model.tokenizer.NarratorTokenizer.IMAGE);
    }

    /** Batches narrated to the end, in the order they finished. */
    final List<List<ClipRequest>> finished = new CopyOnWriteArrayList<>();

    @Override
    public List<ClipNarration> narrate(List<ClipRequest> clips) {
        batches.add(List.copyOf(clips));
        Error error = failNarration;
        if (error != null) throw error;
        if (hold.test(clips)) {
            held.countDown();
            try {
                if (!release.await(60, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("held batch never released");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<ClipNarration> out = clips.stream().map(c -> new ClipNarration(caption(c), -c.frameFeatures().size(), 1, null)).toList();
        finished.add(List.copyOf(clips));
        return out;
    }

    static String caption(ClipRequest clip) {
        StringBuilder text = new StringBuilder();
        if (!clip.examples().isEmpty())
            text.append("examples=").append(clip.examples().stream().map(e -> e.text() + "/" + e.frameFeatures().size())
                    .collect(Collectors.joining("|"))).append(' ');
        if (clip.previousCaption() != null) text.append("previous=[").append(clip.previousCaption()).append("] ");
        text.append("frames=").append(clip.frameFeatures().stream().map(FakeNarration::colourName).collect(Collectors.joining(",")));
        return text.toString();
    }

    /** The name of the palette colour nearest to a frame's mean colour. */
    public static String colourName(byte[] features) {
        int r = features[0] & 0xFF, g = features[1] & 0xFF, b = features[2] & 0xFF;
        int best = 0;
        long bestDistance = Long.MAX_VALUE;
        for (int i = 0; i < COLOURS.length; i++) {
            long d = sq(r - COLOURS[i][0]) + sq(g - COLOURS[i][1]) + sq(b - COLOURS[i][2]);
            if (d < bestDistance) {
                bestDistance = d;
                best = i;
            }
        }
        return NAMES[best];
    }

    /** The RGB value of a palette colour by name. */
    public static int rgb(String name) {
        for (int i = 0; i < NAMES.length; i++)
            if (NAMES[i].equals(name)) return COLOURS[i][0] << 16 | COLOURS[i][1] << 8 | COLOURS[i][2];
        throw new IllegalArgumentException("no colour " + name);
    }

    private static long sq(long v) {
        return v * v;
    }

    /** Every batch of questions asked, and the name of the thread that asked each batch. */
    final List<List<QuestionRequest>> questions = new CopyOnWriteArrayList<>();
    final List<String> questionThreads = new CopyOnWriteArrayList<>();

    /** Word-level, like {@link #promptTokens}: the media marker and the text's words; an answer's words, one id per distinct word. */
    @Override
    public QuestionTokens questionTokens(String text, List<String> answers) {
        checkExampleText(text);
        List<long[]> tokens = new ArrayList<>();
        for (String answer : answers) {
            checkExampleText(answer);
            String[] words = answer.isBlank() ? new String[0] : answer.strip().split("\\s+");
            if (words.length == 0) throw new IllegalArgumentException("the answer \"" + answer + "\" has no tokens");
            tokens.add(java.util.Arrays.stream(words).mapToLong(String::hashCode).toArray());
        }
        return new QuestionTokens(1 + (text.isBlank() ? 0 : text.strip().split("\\s+").length), tokens);
    }

    @Override
    public List<QuestionScores> answer(List<QuestionRequest> asked) {
        questions.add(List.copyOf(asked));
        questionThreads.add(Thread.currentThread().getName());
        List<QuestionScores> out = new ArrayList<>();
        for (QuestionRequest q : asked) {
            List<String> colours = q.frameFeatures().stream().map(FakeNarration::colourName).toList();
            List<Double> scores = new ArrayList<>();
            for (String answer : q.answers()) {
                java.util.Set<String> words = java.util.Set.of(answer.strip().split("\\s+"));
                scores.add(-colours.stream().filter(c -> !words.contains(c)).count() / (double) colours.size());
            }
            out.add(new QuestionScores(scores, null));
        }
        return out;
    }

    @Override
    public void close() {}
}
