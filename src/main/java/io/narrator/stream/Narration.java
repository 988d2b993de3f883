package io.narrator.stream;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The model as the streaming application sees it: frames in, per-frame features out; clips of
 * features in, captions out. The real implementation runs the Flamingo model; topology tests use a fake.
 *
 * <p>Encoding a frame has two steps: {@link #visionInput} (resize and normalise, cheap: stream threads do it when
 * they keep a frame) and {@link #encodeVisionInputs} (the vision encoder: the narration engine runs it, see
 * {@link FrameFeatures}); {@link #encodeFrames} does both. Questions of alert rules are answered the way the paper
 * evaluates classification: each answer is scored after the clip ({@link #answer}), the likelier wins. Implementations
 * are thread-safe.
 */
public interface Narration extends AutoCloseable {

    /** Name, version and input geometry of the model behind this narration. */
    ModelInfo modelInfo();

    /**
     * The vision encoder's input for one decoded frame (any size: resizing and normalisation happen here), opaque
     * to callers; always the same for the same pixels.
     */
    float[] visionInput(BufferedImage frame);

    /**
     * Encodes {@link #visionInput}s into opaque per-frame vision features, one entry per input, in order. Each frame is
     * encoded independently, so the result for a frame never depends on the others in the list.
     */
    List<byte[]> encodeVisionInputs(List<float[]> inputs);

    /** {@link #visionInput} of each frame, then {@link #encodeVisionInputs} of them all in one call. */
    default List<byte[]> encodeFrames(List<BufferedImage> frames) {
        List<float[]> inputs = new ArrayList<>(frames.size());
        for (BufferedImage frame : frames) inputs.add(visionInput(frame));
        return encodeVisionInputs(inputs);
    }

    /**
     * Checks that {@code text} can be the text of a few-shot example for this model: nothing in it reads as a media
     * marker once tokenized (a prompt holds one per media item).
     *
     * @throws IllegalArgumentException saying what in the text cannot be used
     */
    void checkExampleText(String text);

    /**
     * How many tokens the prompt of one clip takes with these few-shot example texts (one per example, in order; none
     * for zero-shot), counted with the model's own prompt format and tokenizer, before any generated token: with
     * {@link ModelInfo#contextTokens()} it says whether a prompt fits the model.
     */
    int promptTokens(List<String> exampleTexts);

    /**
     * Narrates a batch of clips (possibly from different streams) in one batched generation.
     * Returns one result per request, in order. A request that fails on its own yields a result with
     * {@link ClipNarration#error()} set; it does not fail the others.
     */
    List<ClipNarration> narrate(List<ClipRequest> clips);

    /**
     * How a question about one clip reads to this model: {@code text} follows the clip's media marker, and each answer is
     * scored after it. With {@link ModelInfo#contextTokens()} it says whether the question fits the model, and the answers'
     * tokens say whether the model can tell them apart.
     *
     * @throws IllegalArgumentException saying what cannot be used: a media marker in the text or an answer, an answer
     *     without tokens
     */
    QuestionTokens questionTokens(String text, List<String> answers);

    /**
     * Scores the answers of questions about clips (possibly of different streams), batched: for each answer its total
     * log-probability after the clip's media and the question's text. Returns one result per request, in order; a
     * request that fails on its own yields {@link QuestionScores#failed}, it does not fail the others.
     */
    List<QuestionScores> answer(List<QuestionRequest> questions);

    @Override
    void close();
}
