package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * A Hugging Face OPT repository's {@code config.json} ({@code OPTConfig}), read with transformers' defaults for the keys
 * it leaves out, as the language-model part of a Narrator config. Only what Narrator's OPT decoder runs is accepted:
 * biases and affine LayerNorms (every released OPT has them), a final LayerNorm exactly when pre-LN.
 */
record OptRepo(Path config, int vocabSize, int maxPositions, int hiddenSize, int embedDim, int layers, int heads, int ffnDim,
        boolean layerNormBefore, String activation, int bos, int eos) {
    static final String CONFIG = "config.json";
    private static final Set<String> ACTIVATIONS = Set.of("relu", "gelu", "gelu_new");

    /** Reads {@code dir/config.json}. */
    static OptRepo read(Path dir) throws IOException {
        Path file = dir.resolve(CONFIG);
        HubJson c = HubJson.read(file, "the OPT repository's configuration, e.g. facebook/opt-350m's");
        String type = c.text("model_type", "opt");
        if (!type.equals("opt"))
            throw new IOException(file + ": \"model_type\" is \"" + type + "\", not \"opt\": this family's language model is an OPT "
                    + "(give --lm the folder of the OPT repository the release names, e.g. facebook/opt-350m)");
        int hidden = c.positive("hidden_size", 768);
        int heads = c.positive("num_attention_heads", 12);
        if (hidden % heads != 0)
            throw new IOException(file + ": \"num_attention_heads\" (" + heads + ") must divide \"hidden_size\" (" + hidden + ")");
        boolean before = c.bool("do_layer_norm_before", true);
        if (!c.bool("enable_bias", true))
            throw new IOException(file + ": \"enable_bias\" is false; Narrator's OPT has biases in every projection (as every released OPT)");
        if (!c.bool("layer_norm_elementwise_affine", true))
            throw new IOException(file + ": \"layer_norm_elementwise_affine\" is false; Narrator's OPT LayerNorms have weights and biases");
        if (before && c.bool("_remove_final_layer_norm", false))
            throw new IOException(file + ": \"_remove_final_layer_norm\" is true with \"do_layer_norm_before\"; Narrator's pre-LN OPT ends with its final LayerNorm");
        String activation = c.text("activation_function", "relu");
        if (!ACTIVATIONS.contains(activation))
            throw new IOException(file + ": \"activation_function\" must be relu, gelu or gelu_new, got \"" + activation + "\"");
        return new OptRepo(file, c.positive("vocab_size", 50272), c.positive("max_position_embeddings", 2048), hidden,
                c.positive("word_embed_proj_dim", hidden), c.positive("num_hidden_layers", 12), heads, c.positive("ffn_dim", 3072), before,
                activation, c.integer("bos_token_id", 2), c.integer("eos_token_id", 2));
    }

    /** The language-model section of a Narrator config, with {@code rows} token embeddings (the vocabulary plus added tokens). */
    FlamingoConfig.Opt text(int rows) {
        return new FlamingoConfig.Opt(rows, maxPositions, hiddenSize, embedDim, layers, heads, ffnDim, layerNormBefore, activation, 1e-5);
    }
}
