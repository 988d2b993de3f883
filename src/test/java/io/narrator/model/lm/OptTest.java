package io.narrator.model.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.model.DjlSetup;
import io.narrator.model.FlamingoConfig;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The OPT decoder against an independent float64 reference (src/test/python/model_variants_reference.py, written from
 * Hugging Face's OPTForCausalLM) on tiny random weights: pre-LN (opt-125m's layout) and post-LN with
 * project_in/project_out and no final LayerNorm (opt-350m's). Left-padded batches, and the self-attention cache fed one
 * token at a time, give the same logits as each sequence alone.
 */
class OptTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A reference file: the OPT built from its config with its weights, its sequences and their logits. */
    record Reference(Opt lm, List<long[]> sequences, List<float[][]> logits) {}

    static Reference load(NDManager m, String file) throws IOException {
        DjlSetup.configure();
        JsonNode root;
        try (InputStream in = OptTest.class.getResourceAsStream("/reference/" + file)) {
            root = JSON.readTree(in);
        }
        FlamingoConfig.Text text = JSON.treeToValue(root.get("text"), FlamingoConfig.Text.class);
        Opt lm = new Opt((FlamingoConfig.Opt) text);
        lm.initialize(m);
        var params = lm.namedParameters();
        assertThat(root.get("tensors").size()).as("reference tensors").isEqualTo(params.size());
        root.get("tensors").properties().forEach(e -> {
            var p = params.get(e.getKey());
            assertThat(p).as("parameter %s", e.getKey()).isNotNull();
            long[] shape = JSON.convertValue(e.getValue().get("shape"), long[].class);
            assertThat(p.getArray().getShape()).as(e.getKey()).isEqualTo(new Shape(shape));
            p.getArray().set(JSON.convertValue(e.getValue().get("values"), float[].class));
        });
        List<long[]> sequences = new ArrayList<>();
        for (JsonNode s : root.get("sequences")) sequences.add(JSON.convertValue(s, long[].class));
        List<float[][]> logits = new ArrayList<>();
        for (JsonNode l : root.get("logits")) logits.add(JSON.convertValue(l, float[][].class));
        return new Reference(lm, sequences, logits);
    }

    @ParameterizedTest
    @ValueSource(strings = {"opt-pre-ln.json", "opt-post-ln.json"})
    void aLeftPaddedBatchMatchesTheReferenceWithin1e4(String file) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Reference ref = load(m, file);
            int rows = ref.sequences().size();
            int t = ref.sequences().stream().mapToInt(s -> s.length).max().orElseThrow();
            long[] ids = new long[rows * t];
            int[][] mask = new int[rows][t];
            for (int r = 0; r < rows; r++) {
                long[] s = ref.sequences().get(r);
                int offset = t - s.length;
                Arrays.fill(ids, r * t, r * t + offset, 1L); // padding
                System.arraycopy(s, 0, ids, r * t + offset, s.length);
                Arrays.fill(mask[r], offset, t, 1);
            }
            NDArray logits = ref.lm().forward(m.create(ids, new Shape(rows, t)), mask); // (B, T, W)
            int w = Math.toIntExact(logits.getShape().get(2));
            float[] flat = logits.toFloatArray();
            for (int r = 0; r < rows; r++) {
                float[][] expected = ref.logits().get(r);
                int offset = t - expected.length;
                for (int i = 0; i < expected.length; i++)
                    assertThat(maxAbsDiff(flat, ((r * t) + offset + i) * w, expected[i])).as("%s row %d token %d", file, r, i).isLessThan(1e-4);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"opt-pre-ln.json", "opt-post-ln.json"})
    void theCacheFedOneTokenAtATimeGivesTheUncachedLogits(String file) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Reference ref = load(m, file);
            long[] seq = ref.sequences().get(0);
            float[][] expected = ref.logits().get(0);
            Opt lm = ref.lm();
            KvCache cache = new KvCache(lm.layers().size(), m);
            NDArray table = lm.tokenEmbeddings().getArray();
            int split = 3; // a prompt of three tokens, then one token per step
            for (int start = 0; start < seq.length; ) {
                int n = start == 0 ? split : 1;
                long[] part = Arrays.copyOfRange(seq, start, start + n);
                int[][] mask = {onesOf(n)};
                Positions p = Positions.of(mask, cache);
                NDArray x = lm.embed(m.create(part, new Shape(1, n)), p.positions(m), table); // (1, n, D)
                SelfAttentionInputs in = lm.selfAttention(p, m, DataType.FLOAT32);
                for (int l = 0; l < lm.layers().size(); l++) x = lm.layers().get(l).forward(x, in, cache.layer(l));
                cache.appendMask(mask);
                float[] logits = lm.logits(x, table).toFloatArray(); // (1, n, W)
                int w = expected[0].length;
                for (int i = 0; i < n; i++)
                    assertThat(maxAbsDiff(logits, i * w, expected[start + i])).as("%s token %d", file, start + i).isLessThan(1e-4);
                start += n;
            }
            assertThat(cache.length()).isEqualTo(seq.length);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"opt-pre-ln.json", "opt-post-ln.json"})
    void tensorsCarryHuggingFaceOptNames(String file) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Opt lm = load(m, file).lm();
            Map<String, Shape> shapes = lm.expectedShapes();
            FlamingoConfig.Opt c = lm.config();
            assertThat(shapes).containsEntry("model.decoder.embed_tokens.weight", new Shape(c.vocabSize(), c.embedWidth()))
                    .containsEntry("model.decoder.embed_positions.weight", new Shape(c.positions() + 2, c.width()))
                    .containsEntry("model.decoder.layers.1.self_attn.q_proj.bias", new Shape(c.width()))
                    .containsEntry("model.decoder.layers.0.fc1.weight", new Shape(c.ffnDim(), c.width()))
                    .containsKeys("model.decoder.layers.1.self_attn_layer_norm.weight", "model.decoder.layers.1.final_layer_norm.bias",
                            "model.decoder.layers.0.self_attn.out_proj.weight", "model.decoder.layers.0.fc2.bias");
            assertThat(lm.tokenEmbeddingsName()).isEqualTo("model.decoder.embed_tokens.weight");
            if (c.layerNormBefore()) {
                assertThat(shapes).containsKey("model.decoder.final_layer_norm.weight").doesNotContainKey("model.decoder.project_in.weight");
            } else {
                assertThat(shapes).doesNotContainKey("model.decoder.final_layer_norm.weight")
                        .containsEntry("model.decoder.project_in.weight", new Shape(c.width(), c.embedWidth()))
                        .containsEntry("model.decoder.project_out.weight", new Shape(c.embedWidth(), c.width()));
            }
        }
    }

    private static int[] onesOf(int n) {
        int[] a = new int[n];
        Arrays.fill(a, 1);
        return a;
    }

    private static double maxAbsDiff(float[] flat, int offset, float[] expected) {
        double max = 0;
        for (int j = 0; j < expected.length; j++) max = Math.max(max, Math.abs(flat[offset + j] - expected[j]));
        return max;
    }
}
