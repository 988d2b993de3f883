package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A Hugging Face causal language model repository that OpenFlamingo builds on, read from its {@code config.json} with the
 * defaults of its modeling code for the keys it leaves out: MosaicGPT ({@code model_type} {@code mosaic_gpt},
 * {@code anas-awadalla/mpt-1b-redpajama-200b}), MPT ({@code mpt}, {@code anas-awadalla/mpt-7b}) or GPT-NeoX
 * ({@code gpt_neox}, {@code togethercomputer/RedPajama-INCITE-Base-3B-v1}). Only what Narrator's {@link
 * io.narrator.model.lm.Mpt} and {@link io.narrator.model.lm.GptNeox} run is accepted (ALiBi, no clipping or rescaling of
 * queries, keys or logits; rotary embeddings without scaling, biases, an untied head); anything else is refused naming
 * the key. Its weights (one file or shards, {@code .bin} or safetensors) are read through {@link #table()}, which maps
 * MosaicGPT's names ({@code ln_1}, {@code mlp.mlp_up}, {@code ln_f}) onto MPT's.
 *
 * @param sizes the language model's config section, with the repository's own {@code vocab_size}
 * @param embeddings Narrator's names of the token embeddings and, when the head is not tied to them, of the head
 */
record CausalLmRepo(Path dir, Path config, String modelType, FlamingoConfig.Text sizes, TensorTable table, List<String> embeddings) {
    static final String CONFIG = "config.json";

    /** MosaicGPT's names → MPT's (Narrator's). */
    static final TensorTable MOSAIC_GPT = TensorTable.builder("MosaicGPT")
            .rename("transformer.wte.weight", "transformer.wte.weight")
            .rename("transformer.blocks.{i}.ln_1.{rest}", "transformer.blocks.{i}.norm_1.{rest}")
            .rename("transformer.blocks.{i}.ln_2.{rest}", "transformer.blocks.{i}.norm_2.{rest}")
            .rename("transformer.blocks.{i}.attn.{rest}", "transformer.blocks.{i}.attn.{rest}")
            .rename("transformer.blocks.{i}.mlp.mlp_up.{rest}", "transformer.blocks.{i}.ffn.up_proj.{rest}")
            .rename("transformer.blocks.{i}.mlp.mlp_down.{rest}", "transformer.blocks.{i}.ffn.down_proj.{rest}")
            .rename("transformer.ln_f.{rest}", "transformer.norm_f.{rest}")
            .build();

    /** MPT's names, Narrator's own. */
    static final TensorTable MPT = TensorTable.builder("MPT").rename("transformer.{rest}", "transformer.{rest}").build();

    /** GPT-NeoX's names, Narrator's own, without its attention buffers. */
    static final TensorTable GPT_NEOX = TensorTable.builder("GPT-NeoX")
            .ignore("gpt_neox.layers.{i}.attention.bias", "the causal mask, a buffer: Narrator masks by position")
            .ignore("gpt_neox.layers.{i}.attention.masked_bias", "the masked score, a buffer")
            .ignore("gpt_neox.layers.{i}.attention.rotary_emb.inv_freq", "the rotary frequencies, a buffer: recomputed from rotary_emb_base")
            .rename("gpt_neox.{rest}", "gpt_neox.{rest}")
            .rename("embed_out.weight", "embed_out.weight")
            .build();

    /** Reads {@code dir/config.json}. */
    static CausalLmRepo read(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        HubJson c = HubJson.read(file, "the language model repository's configuration, e.g. anas-awadalla/mpt-1b-redpajama-200b's");
        String type = c.text("model_type");
        return switch (type) {
            case "mosaic_gpt" -> new CausalLmRepo(dir, file, type, mosaicGpt(c), MOSAIC_GPT, List.of("transformer.wte.weight"));
            case "mpt" -> new CausalLmRepo(dir, file, type, mpt(c), MPT, List.of("transformer.wte.weight"));
            case "gpt_neox" -> new CausalLmRepo(dir, file, type, gptNeox(c), GPT_NEOX, List.of("gpt_neox.embed_in.weight", "embed_out.weight"));
            default -> throw new IOException(file + ": \"model_type\" is \"" + type + "\"; OpenFlamingo's language models are mosaic_gpt "
                    + "(OpenFlamingo-3B), gpt_neox (4B) and mpt (9B)");
        };
    }

    /** The repository's weights: {@code model.safetensors}, {@code pytorch_model.bin} or their shard indexes. */
    Checkpoint weights() throws CheckpointException {
        return Checkpoint.inDirectory(dir);
    }

    /** The repository's {@code vocab_size}: the embedding rows of its weights. */
    int vocabSize() {
        return sizes.vocabSize();
    }

    /** The language model's config section with {@code rows} token embeddings (the tokenizer's length after OpenFlamingo's tokens). */
    FlamingoConfig.Text withRows(int rows) {
        if (sizes instanceof FlamingoConfig.Mpt m)
            return new FlamingoConfig.Mpt(rows, m.positions(), m.width(), m.layers(), m.heads(), m.expansionRatio(), m.alibiBiasMax(),
                    m.qkLayerNorm(), m.noBias(), m.layerNormEps());
        FlamingoConfig.GptNeox n = (FlamingoConfig.GptNeox) sizes;
        return new FlamingoConfig.GptNeox(rows, n.positions(), n.width(), n.layers(), n.heads(), n.intermediateSize(), n.rotaryPct(),
                n.rotaryBase(), n.parallelResidual(), n.activation(), n.layerNormEps());
    }

    /** MosaicGPT's flat config (mosaicml/examples' {@code MosaicGPTConfig}). */
    private static FlamingoConfig.Mpt mosaicGpt(HubJson c) throws IOException {
        if (!c.bool("alibi", false)) throw c.error("alibi", "must be true: Narrator's MPT has no learned position embeddings", c.get("alibi"));
        requireNull(c, "attn_clip_qkv", "Narrator's MPT does not clip queries, keys and values");
        requireNull(c, "softmax_scale", "Narrator's MPT scales scores by head width^-0.5");
        requireNull(c, "logit_scale", "Narrator's MPT does not rescale its logits");
        requireFalse(c, "prefix_lm", "Narrator's MPT is causal");
        requireFalse(c, "attn_uses_sequence_id", "Narrator's MPT attends across the whole sequence");
        return mptSizes(c, c.positive("mlp_ratio", 4), c.number("alibi_bias_max", 8), c.bool("attn_qk_ln", false), c.bool("no_bias", false));
    }

    /** MPT's config: {@code attn_config} holds the attention's settings. */
    private static FlamingoConfig.Mpt mpt(HubJson c) throws IOException {
        HubJson a = c.objectOrNull("attn_config");
        if (a == null) throw c.missing("attn_config");
        if (!a.bool("alibi", false)) throw a.error("alibi", "must be true: Narrator's MPT has no learned position embeddings", a.get("alibi"));
        String attnType = a.text("attn_type", "multihead_attention");
        if (!attnType.equals("multihead_attention"))
            throw a.error("attn_type", "must be multihead_attention (Narrator's MPT has one key and value head per query head)", a.get("attn_type"));
        requireNull(a, "clip_qkv", "Narrator's MPT does not clip queries, keys and values");
        requireNull(a, "softmax_scale", "Narrator's MPT scales scores by head width^-0.5");
        requireFalse(a, "prefix_lm", "Narrator's MPT is causal");
        requireFalse(a, "attn_uses_sequence_id", "Narrator's MPT attends across the whole sequence");
        requireFalse(a, "rope", "Narrator's MPT uses ALiBi");
        requireNull(c, "logit_scale", "Narrator's MPT does not rescale its logits");
        String norm = c.text("norm_type", "low_precision_layernorm");
        if (!norm.equals("low_precision_layernorm") && !norm.equals("layernorm"))
            throw c.error("norm_type", "must be layernorm or low_precision_layernorm", c.get("norm_type"));
        if (!c.bool("tie_word_embeddings", true))
            throw c.error("tie_word_embeddings", "must be true: Narrator's MPT ties its head to the token embeddings", c.get("tie_word_embeddings"));
        HubJson ffn = c.objectOrNull("ffn_config");
        if (ffn != null && !ffn.text("ffn_type", "mptmlp").equals("mptmlp"))
            throw ffn.error("ffn_type", "must be mptmlp (Narrator's MPT feed-forward is up_proj, GELU, down_proj)", ffn.get("ffn_type"));
        return mptSizes(c, c.positive("expansion_ratio", 4), a.number("alibi_bias_max", 8), a.bool("qk_ln", false), c.bool("no_bias", false));
    }

    private static FlamingoConfig.Mpt mptSizes(HubJson c, int expansion, double biasMax, boolean qkLn, boolean noBias) throws IOException {
        int d = c.positive("d_model");
        int heads = c.positive("n_heads");
        if (d % heads != 0) throw new IOException(c.file() + ": \"n_heads\" (" + heads + ") must divide \"d_model\" (" + d + ")");
        try {
            return new FlamingoConfig.Mpt(c.positive("vocab_size"), c.positive("max_seq_len", 2048), d, c.positive("n_layers"), heads,
                    expansion, biasMax, qkLn, noBias, c.number("layer_norm_epsilon", 1e-5));
        } catch (IllegalArgumentException e) {
            throw new IOException(c.file() + ": " + e.getMessage(), e);
        }
    }

    /** Hugging Face's {@code GPTNeoXConfig}, with its defaults. */
    private static FlamingoConfig.GptNeox gptNeox(HubJson c) throws IOException {
        if (c.bool("tie_word_embeddings", false))
            throw c.error("tie_word_embeddings", "must be false: Narrator's GPT-NeoX has its own output head embed_out", c.get("tie_word_embeddings"));
        requireNull(c, "rope_scaling", "Narrator's GPT-NeoX does not scale its rotary embeddings");
        if (!c.bool("attention_bias", true)) throw c.error("attention_bias", "must be true: Narrator's GPT-NeoX attention has biases", c.get("attention_bias"));
        int hidden = c.positive("hidden_size", 6144);
        int heads = c.positive("num_attention_heads", 64);
        if (hidden % heads != 0)
            throw new IOException(c.file() + ": \"num_attention_heads\" (" + heads + ") must divide \"hidden_size\" (" + hidden + ")");
        String act = c.text("hidden_act", "gelu");
        if (!act.equals("gelu") && !act.equals("gelu_new") && !act.equals("relu")) throw c.error("hidden_act", "must be gelu, gelu_new or relu", c.get("hidden_act"));
        try {
            return new FlamingoConfig.GptNeox(c.positive("vocab_size", 50432), c.positive("max_position_embeddings", 2048), hidden,
                    c.positive("num_hidden_layers", 44), heads, c.positive("intermediate_size", 24576), c.number("rotary_pct", 0.25),
                    c.number("rotary_emb_base", 10000), c.bool("use_parallel_residual", true), act, c.number("layer_norm_eps", 1e-5));
        } catch (IllegalArgumentException e) {
            throw new IOException(c.file() + ": " + e.getMessage(), e);
        }
    }

    private static void requireNull(HubJson c, String key, String why) throws IOException {
        if (c.has(key)) throw c.error(key, "must be null (" + why + ")", c.get(key));
    }

    private static void requireFalse(HubJson c, String key, String why) throws IOException {
        if (c.bool(key, false)) throw c.error(key, "must be false (" + why + ")", c.get(key));
    }
}
