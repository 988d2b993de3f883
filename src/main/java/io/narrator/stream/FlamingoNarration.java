package io.narrator.stream;

import io.narrator.model.FlamingoModel;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.generate.ScoreRequest;
import io.narrator.model.generate.ScoreResult;
import io.narrator.model.vision.VisionFeatures;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Narration} by a Flamingo model: frames become the vision encoder's patch tokens (stored as
 * {@link VisionFeatures} bytes), clips become one batched generation with each stream's few-shot examples
 * in the model's prompt format ({@link FlamingoModel#prompt}). A previous caption, when the stream asks for context, is put
 * before the examples as plain text, unless it holds one of the model's media markers (a caption of flamingo-mini may
 * hold a {@code <}, which would be read as one more image): then the clip is narrated without it. A clip whose request
 * cannot be built (foreign feature bytes) fails alone. Questions are scored with {@link FlamingoModel#score}, the path of
 * {@code narrator score}: each answer after {@code <image>} and the question's text, one batched forward pass for a batch.
 */
public final class FlamingoNarration implements Narration {
    private static final Logger LOG = LoggerFactory.getLogger(FlamingoNarration.class);
    private final FlamingoModel model;
    private final ModelInfo info;

    public FlamingoNarration(FlamingoModel model) {
        this.model = model;
        this.info = new ModelInfo(model.config().name(), model.config().version(), model.config().vision().imageSize(),
                model.config().perceiver().clipFrameLimit(), model.config().text().positions());
    }

    public FlamingoModel model() {
        return model;
    }

    @Override
    public ModelInfo modelInfo() {
        return info;
    }

    /** The model's preprocessed pixels, (3, S, S) flattened: what {@link FlamingoModel#encode} computes first. */
    @Override
    public float[] visionInput(BufferedImage frame) {
        return model.preprocessor().apply(frame);
    }

    /** One batched pass of the vision encoder, as {@link FlamingoModel#encode} makes it, so features are the same bits. */
    @Override
    public List<byte[]> encodeVisionInputs(List<float[]> inputs) {
        if (inputs.isEmpty()) return List.of();
        int size = 3 * info.imageSize() * info.imageSize();
        float[] pixels = new float[inputs.size() * size];
        for (int i = 0; i < inputs.size(); i++) {
            float[] input = inputs.get(i);
            if (input.length != size)
                throw new IllegalArgumentException("a vision input of " + input.length + " values is not from this model (" + size + " expected)");
            System.arraycopy(input, 0, pixels, i * size, size);
        }
        List<byte[]> out = new ArrayList<>(inputs.size());
        for (VisionFeatures f : model.encodePixels(pixels, inputs.size())) out.add(f.toBytes());
        return out;
    }

    /** The tokens of {@link FlamingoModel#prompt} for these texts, as the generator encodes it (with the model's BOS token, if any). */
    @Override
    public int promptTokens(List<String> exampleTexts) {
        return model.tokenizer().encodePrompt(model.prompt(exampleTexts)).length;
    }

    @Override
    public void checkExampleText(String text) {
        model.checkText("the text \"" + text.strip() + "\"", text.strip());
    }

    @Override
    public List<ClipNarration> narrate(List<ClipRequest> clips) {
        List<ClipNarration> out = new ArrayList<>(clips.size());
        List<GenerationRequest> requests = new ArrayList<>();
        List<Integer> slots = new ArrayList<>();
        for (ClipRequest clip : clips) {
            try {
                requests.add(request(clip));
                slots.add(out.size());
                out.add(null);
            } catch (IllegalArgumentException e) {
                out.add(ClipNarration.failed("cannot narrate clip of stream " + clip.streamId() + ": " + e.getMessage(), 0));
            }
        }
        if (requests.isEmpty()) return out;
        long t0 = System.nanoTime();
        List<GenerationResult> results;
        try {
            results = model.generate(requests);
        } catch (IllegalArgumentException e) {
            // one request is at fault (e.g. too long a prompt): narrate one by one so the others still get captions
            LOG.debug("batch rejected ({}); narrating clips one by one", e.getMessage());
            results = new ArrayList<>();
            for (GenerationRequest r : requests) {
                try {
                    results.add(model.generate(List.of(r)).get(0));
                } catch (IllegalArgumentException single) {
                    results.add(null);
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult r = results.get(i);
            out.set(slots.get(i), r == null
                    ? ClipNarration.failed("the model rejected this clip's prompt (too long for its context?)", ms)
                    : new ClipNarration(r.text(), r.totalLogProb(), ms, null));
        }
        return out;
    }

    @Override
    public QuestionTokens questionTokens(String text, List<String> answers) {
        String prompt = questionPrompt(text);
        List<long[]> tokens = new ArrayList<>(answers.size());
        for (String answer : answers) {
            String a = answer.strip();
            model.checkText("the answer \"" + a + "\"", a);
            long[] ids = model.tokenizer().encode(model.continuation(prompt, a));
            if (ids.length == 0) throw new IllegalArgumentException("the answer \"" + a + "\" has no tokens for model " + info.name());
            tokens.add(ids);
        }
        return new QuestionTokens(model.tokenizer().encodePrompt(prompt).length, tokens);
    }

    @Override
    public List<QuestionScores> answer(List<QuestionRequest> questions) {
        QuestionScores[] out = new QuestionScores[questions.size()];
        List<List<ScoreRequest>> rows = new ArrayList<>(questions.size());
        for (int i = 0; i < questions.size(); i++) {
            QuestionRequest q = questions.get(i);
            List<ScoreRequest> own = new ArrayList<>();
            try {
                String prompt = questionPrompt(q.prompt());
                Media media = media(q.frameFeatures());
                for (String answer : q.answers()) own.add(new ScoreRequest(prompt, List.of(media), model.continuation(prompt, answer)));
            } catch (IllegalArgumentException e) {
                out[i] = QuestionScores.failed("cannot ask about a clip of stream " + q.streamId() + ": " + e.getMessage());
                own = List.of();
            }
            rows.add(own);
        }
        List<ScoreRequest> all = rows.stream().flatMap(List::stream).toList();
        if (all.isEmpty()) return List.of(out);
        List<ScoreResult> scored;
        try {
            scored = model.score(all);
        } catch (IllegalArgumentException e) {
            // one question is at fault (validated rules should never be): score each alone so the others are answered
            LOG.debug("question batch rejected ({}); scoring questions one by one", e.getMessage());
            scored = null;
        }
        int row = 0;
        for (int i = 0; i < out.length; i++) {
            List<ScoreRequest> own = rows.get(i);
            if (own.isEmpty()) continue;
            List<ScoreResult> results;
            if (scored != null) {
                results = scored.subList(row, row + own.size());
                row += own.size();
            } else {
                try {
                    results = model.score(own);
                } catch (IllegalArgumentException e) {
                    out[i] = QuestionScores.failed("the model cannot score the answers about a clip of stream " + questions.get(i).streamId() + ": " + e.getMessage());
                    continue;
                }
            }
            out[i] = new QuestionScores(results.stream().map(ScoreResult::totalLogProb).toList(), null);
        }
        return List.of(out);
    }

    /** The prompt of a question about one clip: the media marker, then the text; refused when the text would read as more media. */
    private String questionPrompt(String text) {
        String t = text.strip();
        model.checkText("the question's prompt \"" + t + "\"", t);
        String prompt = model.config().specialTokens().mediaText() + t;
        int markers = model.mediaMarkers(prompt);
        if (markers != 1)
            throw new IllegalArgumentException("the question's prompt \"" + prompt + "\" tokenizes to " + markers + " media markers, not 1: model " + info.name()
                    + "'s tokenizer merges its media text with the text after it; start the text with a space");
        return prompt;
    }

    private GenerationRequest request(ClipRequest clip) {
        List<String> texts = new ArrayList<>();
        List<Media> media = new ArrayList<>();
        for (ClipRequest.PromptExample e : clip.examples()) {
            texts.add(e.text());
            media.add(media(e.frameFeatures()));
        }
        media.add(media(clip.frameFeatures()));
        String prompt = model.prompt(context(clip), texts);
        GenerationSettings s = clip.settings();
        DecodingOptions options = s.sampling()
                ? DecodingOptions.topP(s.topP(), clip.streamId().hashCode() * 31L + clip.frameFeatures().size(), s.maxTokens())
                : s.beams() == 1 ? DecodingOptions.greedy(s.maxTokens()) : DecodingOptions.beam(s.beams(), s.maxTokens());
        return new GenerationRequest(prompt, media, options);
    }

    /** The clip's previous caption as context, or null when there is none or it would be read as media. */
    private String context(ClipRequest clip) {
        String caption = clip.previousCaption();
        if (caption == null || caption.isBlank()) return null;
        try {
            model.checkText("the previous caption", caption.strip());
            return caption;
        } catch (IllegalArgumentException e) {
            LOG.debug("stream {}: narrating without the previous caption: {}", clip.streamId(), e.getMessage());
            return null;
        }
    }

    private static Media media(List<byte[]> frames) {
        List<VisionFeatures> features = new ArrayList<>(frames.size());
        for (byte[] f : frames) features.add(VisionFeatures.fromBytes(f));
        return new Media(features);
    }

    @Override
    public void close() {
        model.close();
    }
}
