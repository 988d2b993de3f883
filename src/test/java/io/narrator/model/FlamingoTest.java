package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.narrator.model.xattn.GatedCrossAttentionBlock;
import io.narrator.model.xattn.MediaMask;
import io.narrator.model.xattn.PreparedMedia;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The paper's invariants of the assembled model: zero gates leave the LM unchanged; media masking. */
class FlamingoTest {
    @TempDir static Path tmp;
    static FlamingoModel model;

    @BeforeAll
    static void load() throws Exception {
        model = TinyModels.random(tmp, 7);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static long[] ids(String text) {
        return model.tokenizer().encode(text);
    }

    /** (1, M, V, Dv) random visual tokens. */
    private static NDArray visual(NDManager m, int media, long seed) {
        m.getEngine().setRandomSeed((int) seed);
        FlamingoConfig c = model.config();
        return m.randomNormal(new Shape(1, media, c.perceiver().latents(), c.visualDim()));
    }

    private static NDArray idsArray(NDManager m, long[] ids) {
        return m.create(ids, new Shape(1, ids.length)).toType(DataType.INT64, false);
    }

    private static int[][] ones(int n) {
        int[][] mask = new int[1][n];
        java.util.Arrays.fill(mask[0], 1);
        return mask;
    }

    private static float[] flamingoLogits(NDManager m, long[] ids, NDArray visual) {
        FlamingoState state = model.block().start(m, visual, false);
        return model.block().forward(idsArray(m, ids), ones(ids.length), state).toFloatArray();
    }

    @Test
    void withAllGatesAtZeroFlamingoIsExactlyTheLanguageModel() {
        long[] ids = ids("a red circle <image>Output: two blue squares<|endofchunk|><image>Output: a star");
        try (NDManager m = model.manager().newSubManager()) {
            float[] lm = model.block().lm().forward(idsArray(m, ids), ones(ids.length)).toFloatArray();
            float[] withImages = flamingoLogits(m, ids, visual(m, 2, 1));
            float[] otherImages = flamingoLogits(m, ids, visual(m, 2, 2).mul(10));
            assertThat(withImages).containsExactly(lm);
            assertThat(otherImages).containsExactly(lm);
        }
    }

    @Test
    void tokensAttendOnlyToTheImmediatelyPrecedingMediaAndNoneBeforeTheFirst() {
        long[] ids = ids("a red circle <image>Output: two blue<|endofchunk|><image>Output: a star moves");
        int firstImage = indexOf(ids, model.config().specialTokens().image(), 0);
        int secondImage = indexOf(ids, model.config().specialTokens().image(), firstImage + 1);
        withGates(0.7f, () -> {
            try (NDManager m = model.manager().newSubManager()) {
                NDArray a = visual(m, 2, 3);
                NDArray b = a.duplicate();
                b.set(new ai.djl.ndarray.index.NDIndex("0, 0"), 5f); // only the first image differs

                float[] firstA = firstCrossAttentionOutput(m, ids, a);
                float[] firstB = firstCrossAttentionOutput(m, ids, b);
                int d = model.config().text().width();
                for (int t = 0; t < ids.length; t++) {
                    float[] rowA = java.util.Arrays.copyOfRange(firstA, t * d, (t + 1) * d);
                    float[] rowB = java.util.Arrays.copyOfRange(firstB, t * d, (t + 1) * d);
                    if (t >= secondImage) assertThat(rowB).as("token %d after the second image", t).containsExactly(rowA);
                    else if (t >= firstImage) assertThat(rowB).as("token %d sees the first image", t).isNotEqualTo(rowA);
                }

                // logits of tokens before the first image do not depend on any image at all
                float[] logitsA = flamingoLogits(m, ids, a);
                float[] logitsC = flamingoLogits(m, ids, visual(m, 2, 4).mul(3));
                int w = model.config().text().vocabSize();
                assertThat(java.util.Arrays.copyOfRange(logitsC, 0, firstImage * w))
                        .containsExactly(java.util.Arrays.copyOfRange(logitsA, 0, firstImage * w));
                assertThat(logitsC).isNotEqualTo(logitsA);
            }
        });
    }

    @Test
    void checkpointNamesFollowHuggingFaceAndOpenFlamingo() {
        var names = model.block().namedParameters().keySet();
        assertThat(names).contains(
                "transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.attn.c_attn.weight",
                "transformer.h.1.mlp.c_proj.bias", "transformer.ln_f.weight",
                "vision_model.embeddings.class_embedding", "vision_model.embeddings.patch_embedding.weight",
                "vision_model.embeddings.position_embedding.weight", "vision_model.pre_layrnorm.weight",
                "vision_model.encoder.layers.0.self_attn.q_proj.weight", "vision_model.encoder.layers.1.mlp.fc2.bias",
                "vision_model.post_layernorm.bias",
                "perceiver.latents", "perceiver.frame_embs", "perceiver.layers.0.0.to_q.weight",
                "perceiver.layers.0.0.norm_media.weight", "perceiver.layers.1.1.1.weight", "perceiver.layers.1.1.3.weight",
                "perceiver.norm.weight",
                "gated_cross_attn_layers.0.attn_gate", "gated_cross_attn_layers.1.ff_gate",
                "gated_cross_attn_layers.0.attn.norm.weight", "gated_cross_attn_layers.0.attn.to_kv.weight",
                "gated_cross_attn_layers.0.ff.0.weight", "gated_cross_attn_layers.0.ff.3.weight",
                "special_token_embeddings");
        FlamingoConfig c = model.config();
        // GPT-2's Conv1D layout (in, out)
        assertThat(model.block().expectedShapes().get("transformer.h.0.attn.c_attn.weight").getShape())
                .containsExactly(c.text().width(), 3L * c.text().width());
        assertThat(model.block().expectedShapes().get("perceiver.layers.0.0.to_kv.weight").getShape())
                .containsExactly(2L * c.perceiver().heads() * c.perceiver().dimHead(), c.visualDim());
        assertThat(names).noneMatch(n -> n.contains("to_q.bias") || n.contains("to_kv.bias") || n.contains("to_out.bias"));
    }

    @Test
    void crossAttentionSitsBeforeEveryNthLayer() {
        FlamingoConfig every2 = new FlamingoConfig(FlamingoConfig.MODEL_TYPE, "x", "1", model.config().vision(),
                new FlamingoConfig.Gpt2(model.config().text().vocabSize(), 64, 32, 4, 4, 1e-5),
                model.config().perceiver(), new FlamingoConfig.CrossAttention(2, 2, 8, 4, true),
                model.config().specialTokens(), null);
        Flamingo block = new Flamingo(every2);
        assertThat(block.namedParameters().keySet()).filteredOn(n -> n.endsWith("attn_gate"))
                .containsExactly("gated_cross_attn_layers.1.attn_gate", "gated_cross_attn_layers.3.attn_gate");
    }

    private static float[] firstCrossAttentionOutput(NDManager m, long[] ids, NDArray visual) {
        Flamingo f = model.block();
        FlamingoConfig c = model.config();
        NDArray idArr = idsArray(m, ids);
        long[] pos = new long[ids.length];
        for (int i = 0; i < pos.length; i++) pos[i] = i;
        NDArray x = f.lm().embed(idArr, m.create(pos, new Shape(1, ids.length)), f.embeddingTable(m));
        GatedCrossAttentionBlock first = f.crossAttentionLayers().get(0);
        int slots = (int) visual.getShape().get(1);
        PreparedMedia kv = first.prepare(VisualTokens.of(visual));
        int[][] times = f.textTimes(ids, ones(ids.length), new int[1]);
        MediaMask mask = MediaMask.of(m, times, slots, c.perceiver().latents(), true, ai.djl.ndarray.types.DataType.FLOAT32);
        return first.forward(x, kv, mask).toFloatArray();
    }

    private static void withGates(float value, Runnable body) {
        List<Parameter> gates = model.block().namedParameters().entrySet().stream()
                .filter(e -> e.getKey().endsWith("_gate")).map(java.util.Map.Entry::getValue).toList();
        try {
            for (Parameter g : gates) g.getArray().set(new float[] {value});
            body.run();
        } finally {
            for (Parameter g : gates) g.getArray().set(new float[] {0f});
        }
    }

    private static int indexOf(long[] ids, int token, int from) {
        for (int i = from; i < ids.length; i++) if (ids[i] == token) return i;
        throw new AssertionError("token " + token + " not found");
    }
}
