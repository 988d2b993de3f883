package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.narrator.model.checkpoint.ModelDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config's family variants: optional keys that default to Narrator's family, and every bad value refused by name. */
class FlamingoConfigTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path tmp;

    static byte[] bundledConfig() throws IOException {
        try (InputStream in = FlamingoConfigTest.class.getClassLoader().getResourceAsStream(ModelDirectory.BUNDLED_RESOURCE + ModelDirectory.CONFIG)) {
            return in.readAllBytes();
        }
    }

    static byte[] miniStyleConfig() throws IOException {
        try (InputStream in = FlamingoConfigTest.class.getResourceAsStream("/reference/flamingo-mini-style/config.json")) {
            return in.readAllBytes();
        }
    }

    @Test
    void theBundledConfigReadsAsNarratorsFamilyAndIsWrittenBackWithTheSameKeys() throws Exception {
        FlamingoConfig c = ModelDirectory.parseConfig(bundledConfig(), "bundled");
        assertThat(c.text()).isInstanceOf(FlamingoConfig.Gpt2.class);
        assertThat(c.vision().features()).isEqualTo(FlamingoConfig.Vision.PATCHES);
        assertThat(c.vision().tokensPerFrame()).isEqualTo(c.vision().patches());
        assertThat(c.perceiver().kvProjection()).isEqualTo(FlamingoConfig.Perceiver.FUSED);
        assertThat(c.perceiver().activation()).isEqualTo("gelu");
        assertThat(c.perceiver().framesPolicy()).isEqualTo(FlamingoConfig.Perceiver.INTERPOLATE);
        assertThat(c.perceiver().framesPerMedia()).isZero();
        assertThat(c.crossAttention().placement()).isEqualTo(FlamingoConfig.CrossAttention.LAST_OF_EVERY_N);
        assertThat(c.crossAttention().activation()).isEqualTo("gelu");
        FlamingoConfig.SpecialTokens s = c.specialTokens();
        assertThat(s.mediaText()).isEqualTo("<image>");
        assertThat(s.endOfChunkText()).isEqualTo("<|endofchunk|>");
        assertThat(s.mediaMarkers()).containsExactly(s.image());
        assertThat(s.trainable()).containsExactly(s.image(), s.endOfChunk());
        assertThat(s.banned()).containsExactly(s.image());
        assertThat(s.hasBos()).isFalse();

        ModelDirectory.writeConfig(c, tmp);
        JsonNode written = JSON.readTree(Files.readString(tmp.resolve(ModelDirectory.CONFIG)));
        assertThat(written).isEqualTo(JSON.readTree(bundledConfig()));
    }

    @Test
    void aFlamingoMiniConfigKeepsItsVariantsThroughWritingAndReading() throws Exception {
        FlamingoConfig c = ModelDirectory.parseConfig(miniStyleConfig(), "mini");
        assertThat(c.text()).isInstanceOf(FlamingoConfig.Opt.class);
        FlamingoConfig.Opt opt = (FlamingoConfig.Opt) c.text();
        assertThat(opt.layerNormBefore()).isFalse();
        assertThat(opt.embedWidth()).isEqualTo(8);
        assertThat(opt.projects()).isTrue();
        assertThat(c.specialTokens().trainable()).isEmpty();
        assertThat(c.specialTokens().bos()).isEqualTo(2);
        ModelDirectory.writeConfig(c, tmp);
        JsonNode written = JSON.readTree(Files.readString(tmp.resolve(ModelDirectory.CONFIG)));
        ObjectNode expected = (ObjectNode) JSON.readTree(miniStyleConfig());
        // media_text was given as its default ("<image>"): that one alone is left out
        ((ObjectNode) expected.get("special_tokens")).remove("media_text");
        assertThat(written).isEqualTo(expected);
        assertThat(written.get("text").fieldNames().next()).isEqualTo("model_type");
        assertThat(ModelDirectory.parseConfig(Files.readAllBytes(tmp.resolve(ModelDirectory.CONFIG)), "again").text()).isEqualTo(opt);
    }

    @Test
    void mptAndGptNeoxSectionsReadTheirHuggingFaceKeysAndRefuseBadValues() throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(bundledConfig());
        int vocab = root.get("text").get("vocab_size").asInt();
        root.set("text", JSON.readTree("{\"model_type\": \"mpt\", \"vocab_size\": " + vocab + ", \"max_seq_len\": 64, \"d_model\": 32, "
                + "\"n_layers\": 2, \"n_heads\": 4, \"expansion_ratio\": 4, \"alibi_bias_max\": 8, \"qk_ln\": true, \"no_bias\": true, "
                + "\"layer_norm_epsilon\": 1e-5}"));
        ((ObjectNode) root.get("perceiver")).put("max_frames", 0);
        FlamingoConfig c = ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "mpt");
        assertThat(c.text()).isEqualTo(new FlamingoConfig.Mpt(vocab, 64, 32, 2, 4, 4, 8, true, true, 1e-5));
        assertThat(c.perceiver().temporalEmbeddings()).isFalse();
        assertThat(c.perceiver().clipFrameLimit()).as("no temporal embeddings: a clip of any length").isEqualTo(Integer.MAX_VALUE);
        assertThat(new Flamingo(c).expectedShapes()).doesNotContainKey("perceiver.frame_embs").containsKey("transformer.blocks.1.attn.q_ln.weight");
        ModelDirectory.writeConfig(c, tmp);
        FlamingoConfig again = ModelDirectory.parseConfig(Files.readAllBytes(tmp.resolve(ModelDirectory.CONFIG)), "again");
        assertThat(again.text()).isEqualTo(c.text());
        assertThat(again.perceiver()).isEqualTo(c.perceiver());

        ((ObjectNode) root.get("perceiver")).put("frames_policy", "sample");
        assertThatThrownBy(() -> ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "config.json"))
                .hasMessageContaining("perceiver.frames_policy sample keeps max_frames frames, but max_frames is 0");
        ((ObjectNode) root.get("perceiver")).put("frames_policy", "interpolate");

        root.set("text", JSON.readTree("{\"model_type\": \"gpt_neox\", \"vocab_size\": " + vocab + ", \"max_position_embeddings\": 64, "
                + "\"hidden_size\": 32, \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"intermediate_size\": 64, \"rotary_pct\": 0.25, "
                + "\"rotary_emb_base\": 10000, \"use_parallel_residual\": true, \"hidden_act\": \"gelu\", \"layer_norm_eps\": 1e-5}"));
        FlamingoConfig.GptNeox neox = (FlamingoConfig.GptNeox) ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "neox").text();
        assertThat(neox.rotaryDims()).as("a quarter of the head width 8").isEqualTo(2);
        ((ObjectNode) root.get("text")).put("rotary_pct", 0.125);
        assertThatThrownBy(() -> ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "config.json"))
                .hasMessageContaining("text.rotary_pct (0.125) of the head width 8 gives 1 rotary dimensions; it must give a positive even number");
        ((ObjectNode) root.get("text")).put("rotary_pct", 0.25).put("hidden_act", "silu");
        assertThatThrownBy(() -> ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "config.json"))
                .hasMessageContaining("text.hidden_act must be gelu, gelu_new or relu, got \"silu\"");
    }

    @Test
    void crossAttentionSitsBeforeTheLastOrTheFirstLayerOfEveryN() {
        assertThat(layersWithCrossAttention(FlamingoConfig.CrossAttention.LAST_OF_EVERY_N, 2, 5)).containsExactly(1, 3);
        assertThat(layersWithCrossAttention(FlamingoConfig.CrossAttention.FIRST_OF_EVERY_N, 2, 5)).containsExactly(0, 2, 4);
        assertThat(layersWithCrossAttention(FlamingoConfig.CrossAttention.FIRST_OF_EVERY_N, 1, 3)).containsExactly(0, 1, 2);
        assertThat(layersWithCrossAttention(FlamingoConfig.CrossAttention.LAST_OF_EVERY_N, 1, 3)).containsExactly(0, 1, 2);
        // flamingo-tiny: OPT-125m's 12 layers, xattn_every 1; flamingo-mini: OPT-350m's 24 layers, every 1 too
        assertThat(layersWithCrossAttention(FlamingoConfig.CrossAttention.FIRST_OF_EVERY_N, 4, 12)).containsExactly(0, 4, 8);
    }

    static List<Integer> layersWithCrossAttention(String placement, int n, int layers) {
        FlamingoConfig.CrossAttention c = new FlamingoConfig.CrossAttention(n, 2, 8, 2, true, placement, "gelu");
        return IntStream.range(0, layers).filter(c::isBefore).boxed().toList();
    }

    @Test
    void badVariantsAreRefusedNamingTheKey() throws Exception {
        assertRefused("perceiver", "kv_projection", "\"split\"", "perceiver.kv_projection must be fused or separate, got \"split\"");
        assertRefused("perceiver", "activation", "\"swish\"", "perceiver.activation must be gelu, sqrelu or relu, got \"swish\"");
        assertRefused("perceiver", "frames_policy", "\"first\"", "perceiver.frames_policy must be interpolate or sample, got \"first\"");
        assertRefused("perceiver", "frames_per_media", "-1", "perceiver.frames_per_media must be 0 (every frame) or positive, got -1");
        assertRefused("cross_attention", "placement", "\"middle\"",
                "cross_attention.placement must be last_of_every_n or first_of_every_n, got \"middle\"");
        assertRefused("cross_attention", "activation", "\"tanh\"", "cross_attention.activation must be gelu, sqrelu or relu, got \"tanh\"");
        assertRefused("vision", "features", "\"pooled\"",
                "vision.features must be patches, last_hidden_state or patches_before_post_layernorm, got \"pooled\"");
        assertRefused("vision", "crop_rounding", "\"ceil\"", "vision.crop_rounding must be floor or half_even, got \"ceil\"");
        assertRefused("vision", "crop_rounding", "\"half_even\"",
                "vision.crop_rounding half_even rounds the offset of the bicubic centre crop; it needs resample bicubic and resize_mode center_crop");
        assertRefused("perceiver", "max_frames", "-1", "perceiver.max_frames must be 0 (no temporal embeddings) or positive, got -1");
        assertRefused("text", "model_type", "\"llama\"", "not a valid model config");
        assertRefused("special_tokens", "media_markers", "[3, 7]",
                "special_tokens.media_markers must be [image] when special_tokens.image is a token, got [3, 7]");
        assertRefused("special_tokens", "bos", "500", "special_tokens.bos (500) is outside the vocabulary [0, 100)");
        assertRefused("special_tokens", "trainable", "[4, 4]", "special_tokens.trainable names token 4 twice");
        assertRefused("special_tokens", "image", "-1", "special_tokens.media_markers must be given when special_tokens.image is -1");
        assertRefused("special_tokens", "media_text", "\"\"", "special_tokens.media_text must not be empty");
        assertRefused("generation", "text_separator", "\"-\"", "generation.text_separator must be empty or white space, got \"-\"");
        assertRefused("generation", "example_separator", "\"\\nQ:\"", "generation.example_separator must be empty or white space, got \"\nQ:\"");
    }

    @Test
    void openFlamingosPromptFormatIsWrittenAndReadBackNarratorsLeftOut() throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(bundledConfig());
        FlamingoConfig narrator = ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "bundled");
        assertThat(narrator.generation().textSeparator()).isEqualTo(" ");
        assertThat(narrator.generation().exampleSeparator()).isEmpty();
        ((ObjectNode) root.get("generation")).put("text_separator", "").put("example_separator", "\n");
        FlamingoConfig c = ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "openflamingo");
        assertThat(c.generation()).isEqualTo(new FlamingoConfig.Generation(c.generation().maxNewTokens(), c.generation().numBeams(),
                c.generation().lengthPenalty(), "Output:", "", "\n"));
        ModelDirectory.writeConfig(c, tmp);
        JsonNode written = JSON.readTree(Files.readString(tmp.resolve(ModelDirectory.CONFIG))).get("generation");
        assertThat(written.get("text_separator").asText()).isEmpty();
        assertThat(written.get("example_separator").asText()).isEqualTo("\n");
        ModelDirectory.writeConfig(narrator, tmp.resolve("narrator"));
        assertThat(JSON.readTree(Files.readString(tmp.resolve("narrator").resolve(ModelDirectory.CONFIG))).get("generation").has("text_separator"))
                .as("Narrator's own format is the default: left out").isFalse();
    }

    @Test
    void anOptSectionIsCheckedLikeAnyOther() throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(miniStyleConfig());
        ((ObjectNode) root.get("text")).put("activation_function", "silu");
        assertThatThrownBy(() -> ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "config.json"))
                .hasMessageContaining("text.activation_function must be relu, gelu or gelu_new, got \"silu\"");
        ((ObjectNode) root.get("text")).put("activation_function", "relu").remove("ffn_dim");
        assertThatThrownBy(() -> ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "config.json"))
                .hasMessageContaining("ffn_dim");
    }

    @Test
    void bfloat16IsRefusedWithTheReasonAndFloat16Offered() {
        assertThat(ModelDtype.named("f16")).isEqualTo(ModelDtype.F16);
        assertThat(ModelDtype.named("float32").dataType()).isEqualTo(DataType.FLOAT32);
        assertThatThrownBy(() -> ModelDtype.named("bf16")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bf16 is not available: DJL 0.36's PyTorch engine has no bfloat16 dtype");
        assertThatThrownBy(() -> ModelDtype.of(DataType.BFLOAT16)).hasMessageContaining("use f16 for half the memory");
        assertThatThrownBy(() -> ModelDtype.named("int8")).hasMessage("model dtype must be f32 or f16, got \"int8\"");
    }

    private void assertRefused(String section, String key, String value, String message) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(bundledConfig());
        ((ObjectNode) root.get(section)).set(key, JSON.readTree(value));
        assertThatThrownBy(() -> ModelDirectory.parseConfig(JSON.writeValueAsBytes(root), "config.json"))
                .as("%s.%s = %s", section, key, value).isInstanceOf(IOException.class).hasMessageContaining(message);
    }
}
