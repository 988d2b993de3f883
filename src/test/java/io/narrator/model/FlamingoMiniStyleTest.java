package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.generate.DecodingOptions;
import io.narrator.model.generate.GenerationRequest;
import io.narrator.model.generate.GenerationResult;
import io.narrator.model.generate.Media;
import io.narrator.model.generate.ScoreRequest;
import io.narrator.model.generate.TokenListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole model of flamingo-mini's variants, loaded from a model directory like any other, against an independent
 * float64 reference (src/test/python/model_variants_reference.py, written from flamingo-mini's and Hugging Face's
 * definitions) on tiny random weights with non-zero gates: an OPT post-LN language model with project_in/out, CLIP's
 * last_hidden_state (class token included, no final LayerNorm), a resampler with to_k/to_v and squared ReLU,
 * cross-attention with squared ReLU before layers 0 and 2 of 3, a BPE tokenizer in which {@code <image>} is plain text
 * whose {@code <} tokens ({@code <} and {@code Ġ<}) are the media, {@code </s>} as BOS and {@code <EOC>} as the end of
 * chunk. Logits within 1e-4 of the reference, identical greedy tokens; cached and uncached, batched and single
 * generation (greedy, beams, shared prompt prefixes) agree.
 */
class FlamingoMiniStyleTest {
    static final ObjectMapper JSON = MiniStyleReference.JSON;
    static MiniStyleReference ref;
    static FlamingoModel model;
    static Map<String, Media> media;

    @BeforeAll
    static void load() throws Exception {
        ref = MiniStyleReference.load(ModelDtype.F32);
        model = ref.model;
        media = ref.media;
    }

    @AfterAll
    static void close() {
        if (ref != null) ref.close();
    }

    @Test
    void theConfigDescribesFlamingoMinisVariants() {
        FlamingoConfig c = model.config();
        assertThat(c.text()).isInstanceOf(FlamingoConfig.Opt.class);
        assertThat(c.vision().tokensPerFrame()).isEqualTo(c.vision().patches() + 1);
        assertThat(model.block().namedParameters().keySet())
                .contains("gated_cross_attn_layers.0.attn_gate", "gated_cross_attn_layers.2.ff.3.weight", "perceiver.layers.1.0.to_k.weight",
                        "perceiver.layers.1.0.to_v.weight", "model.decoder.project_in.weight")
                .noneMatch(n -> n.startsWith("gated_cross_attn_layers.1.") || n.equals("special_token_embeddings")
                        || n.endsWith("to_kv.weight") && n.startsWith("perceiver."));
        // the media features: 5 tokens per frame (4 patches and the class token)
        assertThat(media.get("clip").frames()).hasSize(3).allSatisfy(f -> assertThat(f.patches()).isEqualTo(5));
    }

    @Test
    void promptsTokenizeWithBosAndTheirLessThanSignsAsMedia() {
        for (JsonNode c : ref.cases()) {
            long[] ids = model.tokenizer().encodePrompt(c.get("prompt").asText());
            assertThat(ids).as(c.get("prompt").asText()).containsExactly(JSON.convertValue(c.get("ids"), long[].class));
            assertThat(model.config().specialTokens().countMediaMarkers(ids)).isEqualTo(c.get("media").size());
        }
        assertThat(model.prompt(List.of("a red cat"))).isEqualTo("<image>a red cat<EOC><image>");
        assertThat(model.prompt(List.of())).isEqualTo("<image>");
        assertThatThrownBy(() -> model.prompt(List.of("a cat <image>")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("example 1 \"a cat <image>\" holds a token that marks media in this model (<image>): it would be read as an image; leave it out of the text");
    }

    @Test
    void logitsMatchTheReferenceAloneAndLeftPaddedInOneBatch() {
        List<JsonNode> cases = ref.cases();
        try (NDManager m = model.manager().newSubManager()) {
            for (JsonNode c : cases) {
                float[][] logits = ref.logits(m, List.of(c)).get(0);
                assertClose(logits, JSON.convertValue(c.get("logits"), float[][].class), c.get("prompt").asText());
            }
            List<float[][]> batched = ref.logits(m, cases);
            for (int i = 0; i < cases.size(); i++)
                assertClose(batched.get(i), JSON.convertValue(cases.get(i).get("logits"), float[][].class), "batched " + i);
        }
    }

    @Test
    void aLessThanSignAfterThePromptIsTextNotMedia() {
        JsonNode forced = ref.reference.get("forced");
        long[] prompt = JSON.convertValue(forced.get("ids"), long[].class);
        long[] continuation = JSON.convertValue(forced.get("continuation"), long[].class);
        long[] ids = new long[prompt.length + continuation.length];
        System.arraycopy(prompt, 0, ids, 0, prompt.length);
        System.arraycopy(continuation, 0, ids, prompt.length, continuation.length);
        try (NDManager m = model.manager().newSubManager()) {
            Flamingo f = model.block();
            VisualTokens visual = f.visualTokens(m, List.of(List.of(MiniStyleReference.array(m, ref.mediaOf(forced).get(0)))));
            int[][] mask = {ones(ids.length)};
            FlamingoState asMedia = f.start(m, visual, false);
            assertThatThrownBy(() -> f.forward(m.create(ids, new Shape(1, ids.length)), mask, asMedia))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more media markers (<image>) than media (1)");
            FlamingoState state = f.start(m, visual, false);
            state.limitMediaTo(new int[] {prompt.length});
            float[] logits = MiniStyleReference.float32(f.forward(m.create(ids, new Shape(1, ids.length)), mask, state));
            assertClose(MiniStyleReference.rows(logits, ids.length), JSON.convertValue(forced.get("logits"), float[][].class), "forced");
        }
    }

    @Test
    void aGeneratedLessThanSignIsTextCachedOrNot() throws Exception {
        try (MiniStyleReference other = MiniStyleReference.load(ModelDtype.F32)) {
            // make " <" (67) likely: its row of the tied embeddings, a longer copy of a row greedy decoding picks (66)
            NDArray table = other.model.block().lm().tokenEmbeddings().getArray();
            table.set(new ai.djl.ndarray.index.NDIndex(67), table.get(66).mul(1.5f));
            GenerationRequest r = new GenerationRequest("a photo of <image>", List.of(other.media.get("clip")), DecodingOptions.greedy(8).exactly(8));
            GenerationResult cached = other.model.generate(List.of(r), true, TokenListener.NONE).get(0);
            GenerationResult recomputed = other.model.generate(List.of(r), false, TokenListener.NONE).get(0);
            assertThat(cached.tokenIds()).contains(67L).containsExactly(recomputed.tokenIds());
            assertThat(cached.logProbs()).containsExactly(recomputed.logProbs(), within(1e-4f));
        }
    }

    @Test
    void theEndOfChunkRowMayBeATrainableSpecialTokenTakenFromTheEmbeddings(@TempDir Path tmp) throws Exception {
        // the same files with special_tokens.trainable [<EOC>]: the checkpoint has no special_token_embeddings, so its
        // row is copied from the LM's embeddings, and the model computes what the model without it computes
        Path dir = MiniStyleReference.dir();
        for (String f : List.of("tokenizer.json", "model.safetensors")) Files.copy(dir.resolve(f), tmp.resolve(f));
        ObjectNode config = (ObjectNode) JSON.readTree(Files.readString(dir.resolve("config.json")));
        int eoc = model.config().specialTokens().endOfChunk();
        ((ObjectNode) config.get("special_tokens")).putArray("trainable").add(eoc);
        Files.writeString(tmp.resolve("config.json"), JSON.writeValueAsString(config));
        try (FlamingoModel trainable = FlamingoModel.load(tmp)) {
            assertThat(trainable.block().specialTokenEmbeddings().getArray().toFloatArray())
                    .containsExactly(trainable.block().lm().tokenEmbeddings().getArray().get(eoc).toFloatArray());
            GenerationRequest r = new GenerationRequest(model.prompt(List.of("a red cat")), List.of(media.get("two"), media.get("one")),
                    DecodingOptions.greedy(5).exactly(5));
            GenerationResult withRow = trainable.generate(List.of(r)).get(0);
            GenerationResult without = model.generate(List.of(r)).get(0);
            assertThat(withRow.tokenIds()).containsExactly(without.tokenIds());
            assertThat(withRow.logProbs()).containsExactly(without.logProbs(), within(1e-5f));
        }
    }

    @Test
    void greedyGenerationGivesTheReferenceTokensCachedOrNot() {
        List<GenerationRequest> requests = new ArrayList<>();
        for (JsonNode c : ref.cases()) requests.add(new GenerationRequest(c.get("prompt").asText(), ref.mediaOf(c), DecodingOptions.greedy(6)));
        List<GenerationResult> cached = model.generate(requests, true, TokenListener.NONE);
        List<GenerationResult> recomputed = model.generate(requests, false, TokenListener.NONE);
        for (int i = 0; i < requests.size(); i++) {
            long[] expected = JSON.convertValue(ref.cases().get(i).get("greedy"), long[].class);
            assertThat(cached.get(i).tokenIds()).as("case %d cached", i).containsExactly(expected);
            assertThat(recomputed.get(i).tokenIds()).as("case %d recomputed", i).containsExactly(expected);
            assertThat(model.generate(List.of(requests.get(i))).get(0).tokenIds()).as("case %d alone", i).containsExactly(expected);
        }
    }

    @Test
    void beamSearchAndSharedPrefixesAgreeCachedUncachedBatchedAndAlone() {
        String fewShot = model.prompt(List.of("a red cat"));
        List<GenerationRequest> requests = List.of(
                new GenerationRequest(fewShot, List.of(media.get("two"), media.get("one")), DecodingOptions.beam(3, 6).exactly(6)),
                new GenerationRequest(fewShot, List.of(media.get("two"), media.get("clip")), DecodingOptions.greedy(6)),
                new GenerationRequest(fewShot, List.of(media.get("two"), media.get("two")), DecodingOptions.beam(2, 5).exactly(5)),
                new GenerationRequest("a photo of <image>", List.of(media.get("clip")), DecodingOptions.beam(3, 6)),
                new GenerationRequest(model.prompt(List.of()), List.of(media.get("one")), DecodingOptions.greedy(4)));
        List<GenerationResult> batched = model.generate(requests);
        List<GenerationResult> recomputed = model.generate(requests, false, TokenListener.NONE);
        for (int i = 0; i < requests.size(); i++) {
            GenerationResult alone = model.generate(List.of(requests.get(i))).get(0);
            assertThat(batched.get(i).tokenIds()).as("request %d batched", i).containsExactly(alone.tokenIds());
            assertThat(batched.get(i).logProbs()).as("request %d batched", i).containsExactly(alone.logProbs(), within(1e-4f));
            assertThat(recomputed.get(i).tokenIds()).as("request %d without caches", i).containsExactly(alone.tokenIds());
            assertThat(recomputed.get(i).logProbs()).as("request %d without caches", i).containsExactly(alone.logProbs(), within(1e-4f));
        }
        assertThat(batched.get(0).tokenIds()).hasSize(6);
        // the examples' media show in the answers: the same query after another example's media scores otherwise
        double after = model.score(List.of(new ScoreRequest(fewShot, List.of(media.get("two"), media.get("one")), "a red cat"))).get(0).totalLogProb();
        double afterOther = model.score(List.of(new ScoreRequest(fewShot, List.of(media.get("clip"), media.get("one")), "a red cat"))).get(0).totalLogProb();
        assertThat(after).isNotCloseTo(afterOther, within(1e-4));
    }

    static void assertClose(float[][] actual, float[][] expected, String what) {
        assertThat(actual.length).as(what).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++)
            for (int j = 0; j < expected[i].length; j++)
                assertThat(actual[i][j]).as("%s token %d logit %d", what, i, j).isCloseTo(expected[i][j], within(1e-4f));
    }

    static int[] ones(int n) {
        int[] a = new int[n];
        Arrays.fill(a, 1);
        return a;
    }
}
