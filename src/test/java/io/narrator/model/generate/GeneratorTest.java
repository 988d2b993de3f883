package io.narrator.model.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.nn.Parameter;
import io.narrator.model.FlamingoModel;
import io.narrator.model.TinyModels;
import io.narrator.model.vision.VisionFeatures;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cached, batched generation must be exactly what naive one-by-one recomputation would produce. */
class GeneratorTest {
    @TempDir static Path tmp;
    static FlamingoModel model;

    @BeforeAll
    static void load() throws Exception {
        model = TinyModels.random(tmp, 11);
        // open the gates so that images matter to what is generated
        for (var e : model.block().namedParameters().entrySet())
            if (e.getKey().endsWith("_gate")) {
                Parameter p = e.getValue();
                p.getArray().set(new float[] {0.8f});
            }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static Media clip(int frames, Color colour) {
        List<BufferedImage> images = new ArrayList<>();
        for (int f = 0; f < frames; f++) {
            BufferedImage img = new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(colour);
            g.fillOval(2 + 3 * f, 4, 10, 10);
            g.dispose();
            images.add(img);
        }
        return new Media(model.encode(images));
    }

    static List<GenerationRequest> mixedRequests() {
        return List.of(
                new GenerationRequest(model.prompt(List.of()), List.of(clip(3, Color.RED)), DecodingOptions.greedy(8)),
                new GenerationRequest(model.prompt(List.of("a red circle moves left", "two blue squares")),
                        List.of(clip(1, Color.RED), clip(2, Color.BLUE), clip(4, Color.GREEN)), DecodingOptions.beam(3, 7)),
                new GenerationRequest("a red", List.of(), DecodingOptions.greedy(5)),
                new GenerationRequest(model.prompt(List.of("three stars")), List.of(clip(2, Color.YELLOW), clip(5, Color.RED)),
                        DecodingOptions.topP(0.9, 42, 6)),
                new GenerationRequest(model.prompt(List.of()), List.of(clip(3, Color.BLUE)), DecodingOptions.beam(2, 9)));
    }

    @Test
    void cachedGenerationEqualsRecomputingTheWholeSequence() {
        List<GenerationRequest> requests = mixedRequests();
        List<GenerationResult> cached = model.generate(requests, true, TokenListener.NONE);
        List<GenerationResult> recomputed = model.generate(requests, false, TokenListener.NONE);
        for (int i = 0; i < requests.size(); i++) {
            assertThat(cached.get(i).tokenIds()).as("request %d", i).containsExactly(recomputed.get(i).tokenIds());
            assertThat(cached.get(i).logProbs()).as("request %d", i).containsExactly(recomputed.get(i).logProbs(), within(1e-4f));
            assertThat(cached.get(i).stopReason()).isEqualTo(recomputed.get(i).stopReason());
        }
        assertThat(cached).anySatisfy(r -> assertThat(r.tokenIds()).hasSizeGreaterThan(2));
    }

    @Test
    void aBatchOfMixedRequestsEqualsTheSameRequestsOneByOne() {
        List<GenerationRequest> requests = mixedRequests();
        List<GenerationResult> batched = model.generate(requests);
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult alone = model.generate(List.of(requests.get(i))).get(0);
            assertThat(batched.get(i).tokenIds()).as("request %d", i).containsExactly(alone.tokenIds());
            assertThat(batched.get(i).logProbs()).as("request %d", i).containsExactly(alone.logProbs(), within(1e-4f));
            assertThat(batched.get(i).text()).isEqualTo(alone.text());
        }
    }

    @Test
    void requestsSharingTheirExamplesOrPromptsEqualTheSameRequestsOneByOne() {
        // a prompt's examples, as every stream using the prompt sends them: the same clips, encoded anew each time
        String prompt = model.prompt(List.of("a red circle moves left", "two blue squares"));
        List<GenerationRequest> requests = new ArrayList<>();
        Color[] own = {Color.GREEN, Color.YELLOW, Color.RED};
        for (int i = 0; i < own.length; i++)
            requests.add(new GenerationRequest(prompt, List.of(clip(3, Color.RED), clip(2, Color.BLUE), clip(4, own[i])),
                    i == 1 ? DecodingOptions.beam(3, 6) : DecodingOptions.greedy(6)));
        // the same item twice in one prompt, and as another request's example
        Media shared = clip(2, Color.BLUE);
        requests.add(new GenerationRequest(prompt, List.of(shared, shared, clip(3, Color.MAGENTA)), DecodingOptions.greedy(6)));
        // the same examples with a longer suffix of its own; a prompt without examples; two text-only prompts alike up to their last token
        requests.add(new GenerationRequest(prompt + " two", List.of(clip(3, Color.RED), clip(2, Color.BLUE), clip(1, Color.CYAN)),
                DecodingOptions.greedy(5)));
        requests.add(new GenerationRequest(model.prompt(List.of()), List.of(clip(3, Color.ORANGE)), DecodingOptions.greedy(6)));
        requests.add(new GenerationRequest("a red circle", List.of(), DecodingOptions.greedy(4)));
        requests.add(new GenerationRequest("a red square", List.of(), DecodingOptions.greedy(4)));
        List<GenerationResult> batched = model.generate(requests);
        List<GenerationResult> recomputed = model.generate(requests, false, TokenListener.NONE);
        List<ScoreResult> scored = model.score(requests.stream().map(r -> new ScoreRequest(r.prompt(), r.media(), "a red circle")).toList());
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult alone = model.generate(List.of(requests.get(i))).get(0);
            assertThat(batched.get(i).tokenIds()).as("request %d", i).containsExactly(alone.tokenIds());
            assertThat(batched.get(i).logProbs()).as("request %d", i).containsExactly(alone.logProbs(), within(1e-4f));
            assertThat(recomputed.get(i).tokenIds()).as("request %d without caches", i).containsExactly(alone.tokenIds());
            ScoreResult scoredAlone = model.score(List.of(new ScoreRequest(requests.get(i).prompt(), requests.get(i).media(), "a red circle"))).get(0);
            assertThat(scored.get(i).logProbs()).as("request %d scored", i).containsExactly(scoredAlone.logProbs(), within(1e-4f));
        }
        // the requests with examples differ only in their own clip, and that shows
        assertThat(scored.subList(0, 4).stream().map(ScoreResult::totalLogProb).distinct()).hasSize(4);
    }

    @Test
    void requestsThatFitTheContextAloneFitItTogether() {
        // 64 positions: a long prompt with few new tokens beside a short prompt with many; left-padded together the
        // batch is longer than the context, but no row is
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < 30; i++) words.append(i % 2 == 0 ? "a red " : "circle ");
        GenerationRequest longPrompt = new GenerationRequest(words.toString().strip(), List.of(), DecodingOptions.greedy(4).exactly(4));
        GenerationRequest longAnswer = new GenerationRequest(model.prompt(List.of()), List.of(clip(2, Color.RED)), DecodingOptions.greedy(40).exactly(40));
        assertThat(model.tokenizer().encode(longPrompt.prompt()).length + 40).isGreaterThan(model.config().text().positions());
        List<GenerationResult> together = model.generate(List.of(longPrompt, longAnswer));
        assertThat(together.get(0).tokenIds()).containsExactly(model.generate(List.of(longPrompt)).get(0).tokenIds());
        assertThat(together.get(1).tokenIds()).hasSize(40).containsExactly(model.generate(List.of(longAnswer)).get(0).tokenIds());
    }

    @Test
    void beamSearchWithOneBeamIsGreedy() {
        for (Color c : new Color[] {Color.RED, Color.BLUE, Color.GREEN}) {
            Media m = clip(3, c);
            String prompt = model.prompt(List.of("a small red circle"));
            Media example = clip(1, Color.MAGENTA);
            GenerationResult greedy = model.generate(List.of(new GenerationRequest(prompt, List.of(example, m), DecodingOptions.greedy(10)))).get(0);
            GenerationResult beam1 = model.generate(List.of(new GenerationRequest(prompt, List.of(example, m), DecodingOptions.beam(1, 10)))).get(0);
            assertThat(beam1.tokenIds()).containsExactly(greedy.tokenIds());
            assertThat(beam1.totalLogProb()).isCloseTo(greedy.totalLogProb(), within(1e-5));
        }
    }

    @Test
    void beamSearchFindsAtLeastAsLikelyACaptionAsGreedy() {
        Media m = clip(4, Color.RED);
        String prompt = model.prompt(List.of());
        GenerationResult greedy = model.generate(List.of(new GenerationRequest(prompt, List.of(m), DecodingOptions.greedy(6)))).get(0);
        DecodingOptions beam = new DecodingOptions(DecodingOptions.Strategy.BEAM, 4, 0, 0, 0, 6, 0.0);
        GenerationResult best = model.generate(List.of(new GenerationRequest(prompt, List.of(m), beam))).get(0);
        if (best.tokenIds().length == greedy.tokenIds().length)
            assertThat(best.totalLogProb()).isGreaterThanOrEqualTo(greedy.totalLogProb() - 1e-5);
        for (float lp : best.logProbs()) assertThat(lp).isLessThanOrEqualTo(0f);
    }

    @Test
    void tokensAreReportedAsTheyAreChosen() {
        List<Long> seen = new ArrayList<>();
        GenerationRequest greedy = new GenerationRequest(model.prompt(List.of()), List.of(clip(2, Color.RED)), DecodingOptions.greedy(6));
        GenerationResult r = model.generate(List.of(greedy), true, (request, token) -> seen.add(token)).get(0);
        assertThat(seen).containsExactly(java.util.Arrays.stream(r.tokenIds()).boxed().toArray(Long[]::new));
    }

    @Test
    void minimumLengthHoldsBackTheStopTokens() {
        GenerationRequest r = new GenerationRequest(model.prompt(List.of()), List.of(clip(2, Color.RED)), DecodingOptions.greedy(9).exactly(9));
        GenerationResult out = model.generate(List.of(r)).get(0);
        assertThat(out.tokenIds()).hasSize(9);
        assertThat(out.stopReason()).isEqualTo(GenerationResult.StopReason.MAX_TOKENS);
    }

    @Test
    void topPIsReproducibleForASeed() {
        GenerationRequest a = new GenerationRequest(model.prompt(List.of()), List.of(clip(2, Color.RED)), DecodingOptions.topP(0.95, 5, 8));
        assertThat(model.generate(List.of(a)).get(0).tokenIds()).containsExactly(model.generate(List.of(a)).get(0).tokenIds());
    }

    @Test
    void mediaCountMustMatchTheImageMarkers() {
        GenerationRequest bad = new GenerationRequest(model.prompt(List.of("a red circle")), List.of(clip(1, Color.RED)), DecodingOptions.greedy(3));
        assertThatThrownBy(() -> model.generate(List.of(bad)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 <image> marker(s) but 1 media item(s)");
        VisionFeatures wrong = new VisionFeatures(3, 5, new float[15]);
        GenerationRequest badShape = new GenerationRequest(model.prompt(List.of()), List.of(Media.of(wrong)), DecodingOptions.greedy(3));
        assertThatThrownBy(() -> model.generate(List.of(badShape))).hasMessageContaining("frame features are 3×5");
    }

    @Test
    void scoringGivesTheLogLikelihoodOfEachToken() {
        Media m = clip(3, Color.RED);
        String prompt = model.prompt(List.of());
        GenerationResult greedy = model.generate(List.of(new GenerationRequest(prompt, List.of(m), DecodingOptions.greedy(4)))).get(0);
        ScoreResult s = model.score(List.of(new ScoreRequest(prompt, List.of(m), greedy.text()))).get(0);
        assertThat(s.tokenIds()).containsExactly(greedy.tokenIds());
        assertThat(s.logProbs()).containsExactly(greedy.logProbs(), within(1e-4f));
        assertThat(s.totalLogProb()).isCloseTo(greedy.totalLogProb(), within(1e-3));
        // batched scoring of different texts equals scoring each alone
        List<ScoreRequest> many = List.of(new ScoreRequest(prompt, List.of(m), "a red circle"),
                new ScoreRequest(model.prompt(List.of("two blue squares")), List.of(clip(1, Color.BLUE), m), "a blue star moves left"));
        List<ScoreResult> batch = model.score(many);
        for (int i = 0; i < many.size(); i++)
            assertThat(batch.get(i).logProbs()).containsExactly(model.score(List.of(many.get(i))).get(0).logProbs(), within(1e-4f));
        assertThat(batch.get(1).tokens()).containsExactly("a", "blue", "star", "moves", "left");
    }
}
