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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The MPT and GPT-NeoX decoders against an independent float64 reference (src/test/python/decoder_variants_reference.py,
 * written from MPT's modeling code and Hugging Face's GPTNeoXForCausalLM) on tiny random weights: MPT with and without
 * the query/key LayerNorm and with a head count that is not a power of two (ALiBi's slopes), GPT-NeoX with parallel and
 * sequential residuals and partial and whole-head rotary embeddings. Each reference sequence runs alone from position 0;
 * here they run left-padded in one batch, through the cache one token at a time, and in a batch whose rows have padding
 * between their cached tokens and their new ones (as rows seeded from a shared prefix have): ALiBi and the rotary angles
 * must follow real-token positions for all three to give the reference's logits.
 */
class DecoderVariantsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double TOLERANCE = 1e-4;

    /** A reference file: the LM built from its config with its weights, its sequences and their logits. */
    record Reference(LanguageModel lm, List<long[]> sequences, List<float[][]> logits) {}

    static Reference load(NDManager m, String file) throws IOException {
        DjlSetup.configure();
        JsonNode root;
        try (InputStream in = DecoderVariantsTest.class.getResourceAsStream("/reference/" + file)) {
            root = JSON.readTree(in);
        }
        FlamingoConfig.Text text = JSON.treeToValue(root.get("text"), FlamingoConfig.Text.class);
        LanguageModel lm = LanguageModel.of(text);
        lm.initialize(m);
        var params = lm.namedParameters();
        assertThat(params.keySet()).as("%s: the model's tensors are the reference's", file)
                .containsExactlyInAnyOrderElementsOf(iterable(root.get("tensors").fieldNames()));
        root.get("tensors").properties().forEach(e -> {
            var p = params.get(e.getKey());
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

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"mpt-qk-ln.json", "mpt-6-heads.json", "gpt-neox-parallel.json", "gpt-neox-sequential.json"})
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
            float[] flat = ref.lm().forward(m.create(ids, new Shape(rows, t)), mask).toFloatArray(); // (B, T, W)
            int w = ref.logits().get(0)[0].length;
            for (int r = 0; r < rows; r++) {
                float[][] expected = ref.logits().get(r);
                int offset = t - expected.length;
                for (int i = 0; i < expected.length; i++)
                    assertThat(maxAbsDiff(flat, (r * t + offset + i) * w, expected[i])).as("%s row %d token %d", file, r, i)
                            .isLessThan(TOLERANCE);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mpt-qk-ln.json", "mpt-6-heads.json", "gpt-neox-parallel.json", "gpt-neox-sequential.json"})
    void theCacheFedOneTokenAtATimeGivesTheUncachedLogits(String file) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Reference ref = load(m, file);
            long[] seq = ref.sequences().get(2);
            float[][] expected = ref.logits().get(2);
            KvCache cache = new KvCache(ref.lm().layers().size(), m);
            for (int start = 0; start < seq.length; ) {
                int n = start == 0 ? 3 : 1; // a prompt of three tokens, then one token per step
                float[] logits = step(m, ref.lm(), cache, new long[][] {Arrays.copyOfRange(seq, start, start + n)}, new int[][] {onesOf(n)});
                for (int i = 0; i < n; i++)
                    assertThat(maxAbsDiff(logits, i * expected[0].length, expected[start + i])).as("%s token %d", file, start + i)
                            .isLessThan(TOLERANCE);
                start += n;
            }
            assertThat(cache.length()).isEqualTo(seq.length);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mpt-qk-ln.json", "mpt-6-heads.json", "gpt-neox-parallel.json", "gpt-neox-sequential.json"})
    void paddingBetweenCachedAndNewTokensChangesNothing(String file) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Reference ref = load(m, file);
            long[] a = ref.sequences().get(0); // 8 tokens: 3 then 5
            long[] b = ref.sequences().get(2); // 14 tokens: 5 then 2 (after 3 padding) then 7 (one at a time)
            int w = ref.logits().get(0)[0].length;
            KvCache cache = new KvCache(ref.lm().layers().size(), m);
            float[] first = step(m, ref.lm(), cache, new long[][] {{0, 0, a[0], a[1], a[2]}, Arrays.copyOfRange(b, 0, 5)},
                    new int[][] {{0, 0, 1, 1, 1}, {1, 1, 1, 1, 1}});
            for (int i = 0; i < 3; i++) assertThat(maxAbsDiff(first, (2 + i) * w, ref.logits().get(0)[i])).as("%s a %d", file, i).isLessThan(TOLERANCE);
            for (int i = 0; i < 5; i++) assertThat(maxAbsDiff(first, (5 + i) * w, ref.logits().get(2)[i])).as("%s b %d", file, i).isLessThan(TOLERANCE);
            float[] second = step(m, ref.lm(), cache, new long[][] {Arrays.copyOfRange(a, 3, 8), {0, 0, 0, b[5], b[6]}},
                    new int[][] {{1, 1, 1, 1, 1}, {0, 0, 0, 1, 1}});
            for (int i = 0; i < 5; i++) assertThat(maxAbsDiff(second, i * w, ref.logits().get(0)[3 + i])).as("%s a %d", file, 3 + i).isLessThan(TOLERANCE);
            for (int i = 0; i < 2; i++) assertThat(maxAbsDiff(second, (5 + 3 + i) * w, ref.logits().get(2)[5 + i])).as("%s b %d", file, 5 + i)
                    .isLessThan(TOLERANCE);
            // row b goes on alone for its last seven tokens, one at a time, after the padding in its cache
            cache.select(m.create(new long[] {1}), new int[] {1});
            for (int i = 7; i < b.length; i++) {
                float[] next = step(m, ref.lm(), cache, new long[][] {{b[i]}}, new int[][] {{1}});
                assertThat(maxAbsDiff(next, 0, ref.logits().get(2)[i])).as("%s b %d", file, i).isLessThan(TOLERANCE);
            }
        }
    }

    @Test
    void alibiSlopesAreMptsForEveryHeadCount() {
        float[] sixteen = new Alibi(16, 8).slopes();
        for (int h = 0; h < 16; h++) assertThat(sixteen[h]).as("head %d of 16", h).isEqualTo((float) Math.pow(2, -0.5 * (h + 1)));
        // 6 heads: the slopes of 8 (2^-1 … 2^-8), the even-numbered ones first, then the odd ones, cut to 6
        assertThat(new Alibi(6, 8).slopes()).containsExactly(1 / 4f, 1 / 16f, 1 / 64f, 1 / 256f, 1 / 2f, 1 / 8f);
        assertThat(new Alibi(32, 8).slopes()[31]).isEqualTo(1 / 256f);
    }

    @Test
    void tensorsCarryHuggingFaceNames() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, Shape> mpt = load(m, "mpt-qk-ln.json").lm().expectedShapes();
            assertThat(mpt).containsEntry("transformer.wte.weight", new Shape(24, 16))
                    .containsEntry("transformer.blocks.1.attn.Wqkv.weight", new Shape(48, 16))
                    .containsEntry("transformer.blocks.0.attn.q_ln.weight", new Shape(16))
                    .containsEntry("transformer.blocks.0.ffn.up_proj.weight", new Shape(64, 16))
                    .containsKeys("transformer.blocks.0.norm_1.weight", "transformer.blocks.0.norm_2.weight", "transformer.norm_f.weight")
                    .doesNotContainKeys("transformer.blocks.0.norm_1.bias", "transformer.blocks.0.attn.Wqkv.bias", "transformer.norm_f.bias");
            LanguageModel neox = load(m, "gpt-neox-parallel.json").lm();
            assertThat(neox.expectedShapes()).containsEntry("gpt_neox.embed_in.weight", new Shape(24, 32))
                    .containsEntry("embed_out.weight", new Shape(24, 32))
                    .containsEntry("gpt_neox.layers.0.attention.query_key_value.weight", new Shape(96, 32))
                    .containsEntry("gpt_neox.layers.0.attention.query_key_value.bias", new Shape(96))
                    .containsKeys("gpt_neox.layers.1.input_layernorm.bias", "gpt_neox.layers.1.post_attention_layernorm.weight",
                            "gpt_neox.layers.0.attention.dense.bias", "gpt_neox.layers.0.mlp.dense_h_to_4h.weight",
                            "gpt_neox.layers.0.mlp.dense_4h_to_h.bias", "gpt_neox.final_layer_norm.weight");
            assertThat(neox.tokenEmbeddingsName()).isEqualTo("gpt_neox.embed_in.weight");
        }
    }

    /** One pass of new tokens (B, T) with their mask through the cache: (B, T, W) logits, flattened. */
    private static float[] step(NDManager m, LanguageModel lm, KvCache cache, long[][] ids, int[][] mask) {
        int b = ids.length;
        int t = ids[0].length;
        long[] flat = new long[b * t];
        for (int r = 0; r < b; r++) System.arraycopy(ids[r], 0, flat, r * t, t);
        Positions p = Positions.of(mask, cache);
        NDArray table = lm.tokenEmbeddings().getArray();
        NDArray x = lm.embed(m.create(flat, new Shape(b, t)), p.positions(m), table); // (B, T, D)
        SelfAttentionInputs in = lm.selfAttention(p, m, DataType.FLOAT32);
        for (int l = 0; l < lm.layers().size(); l++) x = lm.layers().get(l).forward(x, in, cache.layer(l));
        cache.appendMask(mask);
        return lm.logits(x, table).toFloatArray();
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
