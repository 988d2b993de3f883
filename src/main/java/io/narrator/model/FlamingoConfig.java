package io.narrator.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Every hyperparameter of a Flamingo model, saved as {@code config.json} beside the weights and
 * passed whole to every block (like nanoGPT's {@code GPTConfig}). JSON names follow Hugging Face's
 * conventions (snake_case) so a config reads like the upstream ones. The variants of the released checkpoint
 * families (GPT-2 or OPT language model, where the cross-attention sits, separate or fused resampler keys and values,
 * feed-forward activations, which vision tokens, which tokens mark media) are small settings of the sections below;
 * the keys {@link ConfigDefaults} lists may be left out and then take the values of Narrator's own family.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record FlamingoConfig(
        @JsonProperty("model_type") String modelType,
        @JsonProperty("name") String name,
        @JsonProperty("version") String version,
        @JsonProperty("vision") Vision vision,
        @JsonProperty("text") Text text,
        @JsonProperty("perceiver") Perceiver perceiver,
        @JsonProperty("cross_attention") CrossAttention crossAttention,
        @JsonProperty("special_tokens") SpecialTokens specialTokens,
        @JsonProperty("generation") Generation generation,
        @JsonProperty("source") @JsonInclude(JsonInclude.Include.NON_NULL) Source source) {

    /** The only value {@code model_type} may take. */
    public static final String MODEL_TYPE = "flamingo";

    public FlamingoConfig {
        if (!MODEL_TYPE.equals(modelType))
            throw new IllegalArgumentException("model_type must be \"" + MODEL_TYPE + "\", got " + quote(modelType));
        requireText(name, "name");
        requireText(version, "version");
        require(vision != null, "config needs a \"vision\" section");
        require(text != null, "config needs a \"text\" section");
        require(perceiver != null, "config needs a \"perceiver\" section");
        require(crossAttention != null, "config needs a \"cross_attention\" section");
        require(specialTokens != null, "config needs a \"special_tokens\" section");
        if (generation == null) generation = Generation.DEFAULT;
        specialTokens.requireWithin(text.vocabSize());
        require(crossAttention.placement().equals(CrossAttention.FIRST_OF_EVERY_N) || crossAttention.everyNLayers() <= text.layers(),
                "cross_attention.every_n_layers (" + crossAttention.everyNLayers() + ") exceeds the language model's "
                        + text.layers() + " layers: the model would have no cross-attention");
    }

    /** A model of Narrator's own family (no {@code source}). */
    public FlamingoConfig(String modelType, String name, String version, Vision vision, Text text, Perceiver perceiver,
            CrossAttention crossAttention, SpecialTokens specialTokens, Generation generation) {
        this(modelType, name, version, vision, text, perceiver, crossAttention, specialTokens, generation, null);
    }

    /** The width of the visual tokens the resampler produces (the vision width, as in OpenFlamingo). */
    public int visualDim() {
        return vision.hiddenSize();
    }

    /** True if a gated cross-attention block sits before LM layer {@code layer} (see {@link CrossAttention#placement()}). */
    public boolean hasCrossAttentionBefore(int layer) {
        return crossAttention.isBefore(layer);
    }

    /** The same model under another name and version (used when a trained model is published). */
    public FlamingoConfig withIdentity(String newName, String newVersion) {
        return new FlamingoConfig(modelType, newName, newVersion, vision, text, perceiver, crossAttention, specialTokens, generation, source);
    }

    /**
     * Where an imported model came from: the checkpoint {@code family} its weights were released in (e.g.
     * {@code flamingo-mini}) and, where the release names them, the language and vision models it was built on (hub ids
     * such as {@code facebook/opt-350m}, {@code openai/clip-vit-large-patch14}). Absent for Narrator's own models.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Source(
            @JsonProperty("family") String family,
            @JsonProperty("lm") String lm,
            @JsonProperty("vision") String vision) {
        public Source {
            requireText(family, "source.family");
        }
    }

    /**
     * CLIP-style ViT: sizes, preprocessing (image size, mean, std, how the frame is fitted and resampled, how the centre
     * crop's offset is rounded), activation, and which tokens of a frame are its features.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Vision(
            @JsonProperty("image_size") int imageSize,
            @JsonProperty("patch_size") int patchSize,
            @JsonProperty("hidden_size") int hiddenSize,
            @JsonProperty("num_hidden_layers") int layers,
            @JsonProperty("num_attention_heads") int heads,
            @JsonProperty("intermediate_size") int intermediateSize,
            @JsonProperty("layer_norm_eps") double layerNormEps,
            @JsonProperty("hidden_act") String hiddenAct,
            @JsonProperty("image_mean") float[] imageMean,
            @JsonProperty("image_std") float[] imageStd,
            @JsonProperty("resize_mode") String resizeMode,
            @JsonProperty("conv_stem_channels") @JsonInclude(JsonInclude.Include.NON_EMPTY) int[] convStemChannels,
            @JsonProperty("features") String features,
            @JsonProperty("resample") String resample,
            @JsonProperty("crop_rounding") String cropRounding) {
        /** Scale the short side to image_size and crop the centre (CLIP's geometry). */
        public static final String CENTER_CROP = "center_crop";
        /** Scale the long side to image_size and pad the rest with the mean colour: nothing of the frame is lost. */
        public static final String LETTERBOX = "letterbox";
        /** Resample with an exact area-averaging filter in float (the default; narrator-tiny's preprocessing). */
        public static final String AREA = "area";
        /**
         * Resample with Pillow's bicubic filter on the 8-bit image, then rescale and normalise as Hugging Face's
         * CLIPImageProcessor does: with {@code center_crop} this is CLIP's own preprocessing, bit for bit.
         */
        public static final String BICUBIC = "bicubic";
        /** Features of a frame: its patch tokens after the final LayerNorm, the class token dropped (Narrator, OpenFlamingo's layout). */
        public static final String PATCHES = "patches";
        /**
         * Features of a frame: every token of the last encoder layer, class token first, before the final LayerNorm
         * (Hugging Face's {@code last_hidden_state}, which flamingo-mini resamples).
         */
        public static final String LAST_HIDDEN_STATE = "last_hidden_state";
        /**
         * Features of a frame: its patch tokens of the last encoder layer, the class token dropped, before the final
         * LayerNorm ({@code post_layernorm}): the tokens open_clip 2.16–2.22 returns, on which OpenFlamingo's released
         * models were trained (from 2.23 open_clip applies the LayerNorm first: {@link #PATCHES}).
         */
        public static final String PATCHES_BEFORE_POST_LAYERNORM = "patches_before_post_layernorm";
        /** The centre crop's offset {@code (size − S) / 2} rounded down (Hugging Face's CLIPImageProcessor). */
        public static final String FLOOR = "floor";
        /** The centre crop's offset {@code round((size − S) / 2)}, halves to even (torchvision's CenterCrop: open_clip). */
        public static final String HALF_EVEN = "half_even";

        /** A CLIP ViT: the patch embedding is one convolution of kernel and stride {@code patch_size}. */
        public Vision(int imageSize, int patchSize, int hiddenSize, int layers, int heads, int intermediateSize,
                double layerNormEps, String hiddenAct, float[] imageMean, float[] imageStd, String resizeMode) {
            this(imageSize, patchSize, hiddenSize, layers, heads, intermediateSize, layerNormEps, hiddenAct, imageMean,
                    imageStd, resizeMode, new int[0]);
        }

        /** A ViT with a convolutional stem of {@code convStemChannels}, its patch tokens its features, its frames resampled by area averaging. */
        public Vision(int imageSize, int patchSize, int hiddenSize, int layers, int heads, int intermediateSize,
                double layerNormEps, String hiddenAct, float[] imageMean, float[] imageStd, String resizeMode, int[] convStemChannels) {
            this(imageSize, patchSize, hiddenSize, layers, heads, intermediateSize, layerNormEps, hiddenAct, imageMean,
                    imageStd, resizeMode, convStemChannels, PATCHES, AREA);
        }

        /** A ViT whose centre crop rounds its offset down (Hugging Face's CLIPImageProcessor, and every area-resampled model). */
        public Vision(int imageSize, int patchSize, int hiddenSize, int layers, int heads, int intermediateSize, double layerNormEps,
                String hiddenAct, float[] imageMean, float[] imageStd, String resizeMode, int[] convStemChannels, String features,
                String resample) {
            this(imageSize, patchSize, hiddenSize, layers, heads, intermediateSize, layerNormEps, hiddenAct, imageMean, imageStd,
                    resizeMode, convStemChannels, features, resample, FLOOR);
        }

        public Vision {
            if (resizeMode == null) resizeMode = CENTER_CROP;
            if (convStemChannels == null) convStemChannels = new int[0];
            if (features == null) features = PATCHES;
            if (resample == null) resample = AREA;
            if (cropRounding == null) cropRounding = FLOOR;
            require(PATCHES.equals(features) || LAST_HIDDEN_STATE.equals(features) || PATCHES_BEFORE_POST_LAYERNORM.equals(features),
                    "vision.features must be " + PATCHES + ", " + LAST_HIDDEN_STATE + " or " + PATCHES_BEFORE_POST_LAYERNORM + ", got "
                            + quote(features));
            require(FLOOR.equals(cropRounding) || HALF_EVEN.equals(cropRounding),
                    "vision.crop_rounding must be " + FLOOR + " or " + HALF_EVEN + ", got " + quote(cropRounding));
            require(FLOOR.equals(cropRounding) || BICUBIC.equals(resample) && CENTER_CROP.equals(resizeMode),
                    "vision.crop_rounding " + HALF_EVEN + " rounds the offset of the bicubic centre crop; it needs resample bicubic and "
                            + "resize_mode center_crop");
            require(CENTER_CROP.equals(resizeMode) || LETTERBOX.equals(resizeMode),
                    "vision.resize_mode must be center_crop or letterbox, got " + quote(resizeMode));
            require(AREA.equals(resample) || BICUBIC.equals(resample),
                    "vision.resample must be area or bicubic, got " + quote(resample));
            require(imageSize > 0 && patchSize > 0 && imageSize % patchSize == 0,
                    "vision.image_size (" + imageSize + ") must be a positive multiple of vision.patch_size (" + patchSize + ")");
            requireHeads("vision", hiddenSize, heads);
            require(layers > 0, "vision.num_hidden_layers must be positive");
            require(intermediateSize > 0, "vision.intermediate_size must be positive");
            require(layerNormEps > 0, "vision.layer_norm_eps must be positive");
            require("quick_gelu".equals(hiddenAct) || "gelu".equals(hiddenAct),
                    "vision.hidden_act must be quick_gelu or gelu, got " + quote(hiddenAct));
            require(imageMean != null && imageMean.length == 3, "vision.image_mean needs 3 values (R, G, B)");
            require(imageStd != null && imageStd.length == 3, "vision.image_std needs 3 values (R, G, B)");
            for (float s : imageStd) require(s > 0, "vision.image_std values must be positive");
            for (int ch : convStemChannels) require(ch > 0, "vision.conv_stem_channels must be positive, got " + Arrays.toString(convStemChannels));
            require(convStemChannels.length < 31 && patchSize % (1 << convStemChannels.length) == 0,
                    "vision.patch_size (" + patchSize + ") must be divisible by 2^" + convStemChannels.length
                            + ": each of the " + convStemChannels.length + " conv_stem_channels layers halves the resolution");
        }

        /**
         * Side of the patch embedding's kernel and stride: {@code patch_size} for a CLIP ViT; with a convolutional
         * stem (n stride-2 layers) {@code patch_size / 2ⁿ}, applied to the stem's output.
         */
        public int patchKernel() {
            return patchSize >> convStemChannels.length;
        }

        /** Input channels of the patch embedding: 3 (RGB), or the last stem layer's channels. */
        public int patchInChannels() {
            return convStemChannels.length == 0 ? 3 : convStemChannels[convStemChannels.length - 1];
        }

        /** Patches per frame: (image_size / patch_size)². */
        public int patches() {
            int side = imageSize / patchSize;
            return side * side;
        }

        /** True when a frame's features include the class token (and skip the final LayerNorm): {@link #LAST_HIDDEN_STATE}. */
        public boolean lastHiddenState() {
            return LAST_HIDDEN_STATE.equals(features);
        }

        /** True when a frame's features skip the final LayerNorm: {@link #LAST_HIDDEN_STATE} and {@link #PATCHES_BEFORE_POST_LAYERNORM}. */
        public boolean beforePostLayerNorm() {
            return LAST_HIDDEN_STATE.equals(features) || PATCHES_BEFORE_POST_LAYERNORM.equals(features);
        }

        /** Feature tokens per frame, what the resampler reads: the patches, plus the class token with {@link #LAST_HIDDEN_STATE}. */
        public int tokensPerFrame() {
            return patches() + (lastHiddenState() ? 1 : 0);
        }
    }

    /**
     * The language model's section ({@code text}): its family, named by {@code model_type} ({@code gpt2} when left out,
     * {@code opt}, {@code mpt}, {@code gpt_neox}), and its sizes under the family's own Hugging Face names.
     * {@code vocab_size} includes the added tokens.
     */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "model_type")
    @JsonSubTypes({@JsonSubTypes.Type(value = Gpt2.class, name = Gpt2.MODEL_TYPE), @JsonSubTypes.Type(value = Opt.class, name = Opt.MODEL_TYPE),
            @JsonSubTypes.Type(value = Mpt.class, name = Mpt.MODEL_TYPE), @JsonSubTypes.Type(value = GptNeox.class, name = GptNeox.MODEL_TYPE)})
    public sealed interface Text permits Gpt2, Opt, Mpt, GptNeox {
        /** Vocabulary size W, added tokens included. */
        int vocabSize();

        /** The most tokens a sequence may have. */
        int positions();

        /** Width D of the hidden states (what the cross-attention reads and writes). */
        int width();

        /** Width of the token embeddings and of the tied output head's input (D, or OPT's {@code word_embed_proj_dim}). */
        int embedWidth();

        int layers();

        int heads();
    }

    /** GPT-2 language model sizes (learned positions, pre-LN, tanh-GELU, head tied to the token embeddings). */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Gpt2(
            @JsonProperty("vocab_size") int vocabSize,
            @JsonProperty("n_positions") int positions,
            @JsonProperty("n_embd") int width,
            @JsonProperty("n_layer") int layers,
            @JsonProperty("n_head") int heads,
            @JsonProperty("layer_norm_epsilon") double layerNormEps) implements Text {
        public static final String MODEL_TYPE = "gpt2";

        public Gpt2 {
            require(vocabSize > 0, "text.vocab_size must be positive");
            require(positions > 0, "text.n_positions must be positive");
            requireHeads("text", width, heads);
            require(layers > 0, "text.n_layer must be positive");
            require(layerNormEps > 0, "text.layer_norm_epsilon must be positive");
        }

        @Override
        public int embedWidth() {
            return width;
        }
    }

    /**
     * OPT language model sizes (Hugging Face's {@code OPTConfig} names): learned positions offset by 2, ReLU (or another
     * {@code activation_function}) feed-forward of {@code ffn_dim}, pre-LN with a final LayerNorm when
     * {@code do_layer_norm_before} (opt-125m), else post-LN without one (opt-350m); token embeddings of
     * {@code word_embed_proj_dim} projected in and out (bias-free) when that differs from {@code hidden_size}.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Opt(
            @JsonProperty("vocab_size") int vocabSize,
            @JsonProperty("max_position_embeddings") int positions,
            @JsonProperty("hidden_size") int width,
            @JsonProperty("word_embed_proj_dim") int embedWidth,
            @JsonProperty("num_hidden_layers") int layers,
            @JsonProperty("num_attention_heads") int heads,
            @JsonProperty("ffn_dim") int ffnDim,
            @JsonProperty("do_layer_norm_before") boolean layerNormBefore,
            @JsonProperty("activation_function") String activation,
            @JsonProperty("layer_norm_eps") double layerNormEps) implements Text {
        public static final String MODEL_TYPE = "opt";
        /** OPT's learned position table starts at this row (rows 0 and 1 are never used). */
        public static final int POSITION_OFFSET = 2;

        public Opt {
            require(vocabSize > 0, "text.vocab_size must be positive");
            require(positions > 0, "text.max_position_embeddings must be positive");
            requireHeads("text", width, heads);
            require(embedWidth > 0, "text.word_embed_proj_dim must be positive");
            require(layers > 0, "text.num_hidden_layers must be positive");
            require(ffnDim > 0, "text.ffn_dim must be positive");
            require("relu".equals(activation) || "gelu".equals(activation) || "gelu_new".equals(activation),
                    "text.activation_function must be relu, gelu or gelu_new, got " + quote(activation));
            require(layerNormEps > 0, "text.layer_norm_eps must be positive");
        }

        /** True when token embeddings are projected in and out: {@code word_embed_proj_dim} differs from {@code hidden_size}. */
        public boolean projects() {
            return embedWidth != width;
        }
    }

    /**
     * MPT language model sizes (Hugging Face's {@code MPTConfig} names, {@code attn_config}'s flattened in): no position
     * embeddings but ALiBi with slopes {@code 2^(−alibi_bias_max·k/H)}; pre-LN blocks with one fused {@code Wqkv}
     * projection, a LayerNorm over the whole width of the queries and of the keys before the heads split when
     * {@code qk_ln} (MPT-1B's {@code attn_qk_ln}), and an exact-GELU feed-forward of {@code expansion_ratio}·D; no biases
     * anywhere, LayerNorms included, when {@code no_bias}; the head tied to the token embeddings.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Mpt(
            @JsonProperty("vocab_size") int vocabSize,
            @JsonProperty("max_seq_len") int positions,
            @JsonProperty("d_model") int width,
            @JsonProperty("n_layers") int layers,
            @JsonProperty("n_heads") int heads,
            @JsonProperty("expansion_ratio") int expansionRatio,
            @JsonProperty("alibi_bias_max") double alibiBiasMax,
            @JsonProperty("qk_ln") boolean qkLayerNorm,
            @JsonProperty("no_bias") boolean noBias,
            @JsonProperty("layer_norm_epsilon") double layerNormEps) implements Text {
        public static final String MODEL_TYPE = "mpt";

        public Mpt {
            require(vocabSize > 0, "text.vocab_size must be positive");
            require(positions > 0, "text.max_seq_len must be positive");
            requireHeads("text", width, heads);
            require(layers > 0, "text.n_layers must be positive");
            require(expansionRatio > 0, "text.expansion_ratio must be positive");
            require(alibiBiasMax > 0, "text.alibi_bias_max must be positive");
            require(layerNormEps > 0, "text.layer_norm_epsilon must be positive");
        }

        @Override
        public int embedWidth() {
            return width;
        }
    }

    /**
     * GPT-NeoX language model sizes (Hugging Face's {@code GPTNeoXConfig} names): no position embeddings but rotary ones
     * on the first {@code rotary_pct} of each head's dimensions (base {@code rotary_emb_base}); pre-LN layers whose
     * attention and feed-forward read the same input and are added together ({@code use_parallel_residual}, Pythia) or
     * one after the other (RedPajama-INCITE); one fused {@code query_key_value} projection laid out head by head; biases
     * everywhere; a {@code hidden_act} feed-forward of {@code intermediate_size}; its own output head {@code embed_out}.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record GptNeox(
            @JsonProperty("vocab_size") int vocabSize,
            @JsonProperty("max_position_embeddings") int positions,
            @JsonProperty("hidden_size") int width,
            @JsonProperty("num_hidden_layers") int layers,
            @JsonProperty("num_attention_heads") int heads,
            @JsonProperty("intermediate_size") int intermediateSize,
            @JsonProperty("rotary_pct") double rotaryPct,
            @JsonProperty("rotary_emb_base") double rotaryBase,
            @JsonProperty("use_parallel_residual") boolean parallelResidual,
            @JsonProperty("hidden_act") String activation,
            @JsonProperty("layer_norm_eps") double layerNormEps) implements Text {
        public static final String MODEL_TYPE = "gpt_neox";

        public GptNeox {
            require(vocabSize > 0, "text.vocab_size must be positive");
            require(positions > 0, "text.max_position_embeddings must be positive");
            requireHeads("text", width, heads);
            require(layers > 0, "text.num_hidden_layers must be positive");
            require(intermediateSize > 0, "text.intermediate_size must be positive");
            require(rotaryPct > 0 && rotaryPct <= 1, "text.rotary_pct must be in (0, 1], got " + rotaryPct);
            require(rotaryBase > 0, "text.rotary_emb_base must be positive");
            require("gelu".equals(activation) || "gelu_new".equals(activation) || "relu".equals(activation),
                    "text.hidden_act must be gelu, gelu_new or relu, got " + quote(activation));
            require(layerNormEps > 0, "text.layer_norm_eps must be positive");
            int dims = (int) ((width / heads) * rotaryPct); // rotaryDims() before the fields are set
            require(dims > 0 && dims % 2 == 0, "text.rotary_pct (" + rotaryPct + ") of the head width " + width / heads
                    + " gives " + dims + " rotary dimensions; it must give a positive even number");
        }

        @Override
        public int embedWidth() {
            return width;
        }

        /** Rotated dimensions per head: {@code int(head width · rotary_pct)}, as GPT-NeoX computes them. */
        public int rotaryDims() {
            return (int) ((width / heads) * rotaryPct);
        }
    }

    /**
     * Perceiver Resampler: depth, heads, latents, how many frames have a learned temporal embedding
     * ({@code max_frames}; 0: none, OpenFlamingo's released resampler, whose frames are flattened as they are), and the
     * variants: keys and values from one {@code to_kv} ({@code fused}, OpenFlamingo) or {@code to_k} and {@code to_v}
     * ({@code separate}, flamingo-mini); the feed-forward's {@code activation}; and which frames of a clip reach it: at
     * most {@code frames_per_media} (0: all) evenly spaced ones ending at the latest, then, when more than
     * {@code max_frames} (≥ 1) remain, either all of them with interpolated temporal embeddings ({@code interpolate}) or
     * {@code max_frames} of them evenly spaced ({@code sample}).
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Perceiver(
            @JsonProperty("depth") int depth,
            @JsonProperty("heads") int heads,
            @JsonProperty("dim_head") int dimHead,
            @JsonProperty("num_latents") int latents,
            @JsonProperty("max_frames") int maxFrames,
            @JsonProperty("ff_mult") int ffMult,
            @JsonProperty("kv_projection") String kvProjection,
            @JsonProperty("activation") String activation,
            @JsonProperty("frames_policy") String framesPolicy,
            @JsonProperty("frames_per_media") int framesPerMedia) {
        /** Keys and values from one projection {@code to_kv} (keys' rows first). */
        public static final String FUSED = "fused";
        /** Keys and values from {@code to_k} and {@code to_v}. */
        public static final String SEPARATE = "separate";
        /** More frames than {@code max_frames}: all of them, the temporal embeddings linearly interpolated. */
        public static final String INTERPOLATE = "interpolate";
        /** More frames than {@code max_frames}: {@code max_frames} of them, evenly spaced, first and last included. */
        public static final String SAMPLE = "sample";

        /** OpenFlamingo's resampler (fused keys and values, GELU) taking every frame, interpolating past {@code max_frames}. */
        public Perceiver(int depth, int heads, int dimHead, int latents, int maxFrames, int ffMult) {
            this(depth, heads, dimHead, latents, maxFrames, ffMult, FUSED, "gelu", INTERPOLATE, 0);
        }

        public Perceiver {
            if (kvProjection == null) kvProjection = FUSED;
            if (activation == null) activation = "gelu";
            if (framesPolicy == null) framesPolicy = INTERPOLATE;
            require(depth > 0, "perceiver.depth must be positive");
            require(heads > 0 && dimHead > 0, "perceiver.heads and perceiver.dim_head must be positive");
            require(latents > 0, "perceiver.num_latents must be positive");
            require(maxFrames >= 0, "perceiver.max_frames must be 0 (no temporal embeddings) or positive, got " + maxFrames);
            require(ffMult > 0, "perceiver.ff_mult must be positive");
            require(FUSED.equals(kvProjection) || SEPARATE.equals(kvProjection),
                    "perceiver.kv_projection must be " + FUSED + " or " + SEPARATE + ", got " + quote(kvProjection));
            requireFeedForwardActivation("perceiver", activation);
            require(INTERPOLATE.equals(framesPolicy) || SAMPLE.equals(framesPolicy),
                    "perceiver.frames_policy must be " + INTERPOLATE + " or " + SAMPLE + ", got " + quote(framesPolicy));
            require(framesPerMedia >= 0, "perceiver.frames_per_media must be 0 (every frame) or positive, got " + framesPerMedia);
            require(maxFrames > 0 || !SAMPLE.equals(framesPolicy),
                    "perceiver.frames_policy sample keeps max_frames frames, but max_frames is 0 (no temporal embeddings): use interpolate, "
                            + "which then keeps every frame, or frames_per_media");
        }

        /** True when the frames of a media item get learned temporal embeddings ({@code frame_embs}): {@code max_frames} > 0. */
        public boolean temporalEmbeddings() {
            return maxFrames > 0;
        }

        /** True when keys and values come from {@code to_k} and {@code to_v}. */
        public boolean separateKeysAndValues() {
            return SEPARATE.equals(kvProjection);
        }

        /**
         * The most frames a clip may hold: {@code max_frames}, unless the resampler picks the frames it reads itself
         * ({@code frames_per_media}, or the {@code sample} policy) or has no temporal embeddings, when a clip of any length
         * is read ({@link Integer#MAX_VALUE}).
         */
        public int clipFrameLimit() {
            return framesPerMedia > 0 || SAMPLE.equals(framesPolicy) || maxFrames == 0 ? Integer.MAX_VALUE : maxFrames;
        }
    }

    /**
     * GATED XATTN-DENSE: placement, heads, feed-forward width and activation. With {@code every_n_layers} n, a block
     * sits before LM layer i when (i + 1) % n == 0 ({@code last_of_every_n}: OpenFlamingo, Narrator) or when
     * i % n == 0 ({@code first_of_every_n}: flamingo-mini).
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record CrossAttention(
            @JsonProperty("every_n_layers") int everyNLayers,
            @JsonProperty("heads") int heads,
            @JsonProperty("dim_head") int dimHead,
            @JsonProperty("ff_mult") int ffMult,
            @JsonProperty("only_attend_immediate_media") boolean onlyAttendImmediateMedia,
            @JsonProperty("placement") String placement,
            @JsonProperty("activation") String activation) {
        /** Before the last layer of every n: layers n-1, 2n-1, … (OpenFlamingo). */
        public static final String LAST_OF_EVERY_N = "last_of_every_n";
        /** Before the first layer of every n: layers 0, n, 2n, … (flamingo-mini). */
        public static final String FIRST_OF_EVERY_N = "first_of_every_n";

        /** OpenFlamingo's placement and GELU feed-forward. */
        public CrossAttention(int everyNLayers, int heads, int dimHead, int ffMult, boolean onlyAttendImmediateMedia) {
            this(everyNLayers, heads, dimHead, ffMult, onlyAttendImmediateMedia, LAST_OF_EVERY_N, "gelu");
        }

        public CrossAttention {
            if (placement == null) placement = LAST_OF_EVERY_N;
            if (activation == null) activation = "gelu";
            require(everyNLayers > 0, "cross_attention.every_n_layers must be positive");
            require(heads > 0 && dimHead > 0, "cross_attention.heads and cross_attention.dim_head must be positive");
            require(ffMult > 0, "cross_attention.ff_mult must be positive");
            require(LAST_OF_EVERY_N.equals(placement) || FIRST_OF_EVERY_N.equals(placement),
                    "cross_attention.placement must be " + LAST_OF_EVERY_N + " or " + FIRST_OF_EVERY_N + ", got " + quote(placement));
            requireFeedForwardActivation("cross_attention", activation);
        }

        /** True if a block sits before LM layer {@code layer}. */
        public boolean isBefore(int layer) {
            return FIRST_OF_EVERY_N.equals(placement) ? layer % everyNLayers == 0 : (layer + 1) % everyNLayers == 0;
        }
    }

    /**
     * The tokens with a role, and how prompts spell them. {@code image} is the id of the media text when that is one
     * token (Narrator, OpenFlamingo), or -1 when the media text is plain text whose {@code media_markers} stand for the
     * media (flamingo-mini: its {@code <} tokens, with and without a space before). Every media marker in a prompt is one
     * media item; generated tokens never are. {@code bos} (-1: none) begins every prompt. {@code trainable} are the rows
     * of {@code special_token_embeddings}, which override those rows of the LM's embeddings; {@code banned} are never
     * generated; {@code end_of_chunk} and {@code eos} end a caption.
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record SpecialTokens(
            @JsonProperty("image") int image,
            @JsonProperty("end_of_chunk") int endOfChunk,
            @JsonProperty("eos") int eos,
            @JsonProperty("pad") int pad,
            @JsonProperty("media_text") String mediaText,
            @JsonProperty("end_of_chunk_text") String endOfChunkText,
            @JsonProperty("media_markers") int[] mediaMarkers,
            @JsonProperty("bos") int bos,
            @JsonProperty("trainable") int[] trainable,
            @JsonProperty("banned") int[] banned) {
        /** How Narrator's prompts write a media position. */
        public static final String IMAGE_TEXT = "<image>";
        /** How Narrator's prompts end an example. */
        public static final String END_OF_CHUNK_TEXT = "<|endofchunk|>";
        /** No such token. */
        public static final int NONE = -1;

        /** Narrator's tokens: {@code <image>} the one media marker, no BOS, {@code <image>} and {@code <|endofchunk|>} trainable. */
        public SpecialTokens(int image, int endOfChunk, int eos, int pad) {
            this(image, endOfChunk, eos, pad, null, null, null, NONE, null, null);
        }

        public SpecialTokens {
            if (mediaText == null) mediaText = IMAGE_TEXT;
            if (endOfChunkText == null) endOfChunkText = END_OF_CHUNK_TEXT;
            require(image >= NONE, "special_tokens.image must be a token id, or -1 when the media text is plain text");
            if (mediaMarkers == null) {
                require(image != NONE, "special_tokens.media_markers must be given when special_tokens.image is -1");
                mediaMarkers = new int[] {image};
            }
            if (trainable == null) trainable = image == NONE ? new int[] {endOfChunk} : new int[] {image, endOfChunk};
            if (banned == null) banned = mediaMarkers.clone();
            require(image == NONE || image != endOfChunk, "special_tokens.image and special_tokens.end_of_chunk must differ");
            require(!mediaText.isEmpty(), "special_tokens.media_text must not be empty");
            require(!endOfChunkText.isEmpty(), "special_tokens.end_of_chunk_text must not be empty");
            require(mediaMarkers.length > 0, "special_tokens.media_markers must name at least one token");
            require(image == NONE || mediaMarkers.length == 1 && mediaMarkers[0] == image,
                    "special_tokens.media_markers must be [image] when special_tokens.image is a token, got " + Arrays.toString(mediaMarkers));
            require(bos >= NONE, "special_tokens.bos must be a token id, or -1 for none");
            requireDistinct("special_tokens.media_markers", mediaMarkers);
            requireDistinct("special_tokens.trainable", trainable);
            for (int id : mediaMarkers)
                require(id != endOfChunk && id != eos && id != bos,
                        "special_tokens.media_markers must not include end_of_chunk, eos or bos, got " + id);
        }

        /** Fails unless every id lies in a vocabulary of {@code vocabSize} tokens. */
        void requireWithin(int vocabSize) {
            requireToken("image", image, vocabSize, true);
            requireToken("end_of_chunk", endOfChunk, vocabSize, false);
            requireToken("eos", eos, vocabSize, false);
            requireToken("pad", pad, vocabSize, false);
            requireToken("bos", bos, vocabSize, true);
            for (int id : mediaMarkers) requireToken("media_markers", id, vocabSize, false);
            for (int id : trainable) requireToken("trainable", id, vocabSize, false);
            for (int id : banned) requireToken("banned", id, vocabSize, false);
        }

        private static void requireToken(String field, int id, int vocabSize, boolean optional) {
            require(id < vocabSize && (id >= 0 || optional && id == NONE),
                    "special_tokens." + field + " (" + id + ") is outside the vocabulary [0, " + vocabSize + ")");
        }

        /** True if {@code id} marks a media item in a prompt. */
        public boolean isMediaMarker(long id) {
            for (int m : mediaMarkers) if (m == id) return true;
            return false;
        }

        /** The number of media markers among {@code ids}. */
        public int countMediaMarkers(long[] ids) {
            int n = 0;
            for (long id : ids) if (isMediaMarker(id)) n++;
            return n;
        }

        /** True when every prompt begins with {@link #bos()}. */
        public boolean hasBos() {
            return bos != NONE;
        }
    }

    /**
     * Default decoding settings (beam search with 3 beams as in the paper) and the prompt format: after each media text
     * the {@code prompt_prefix}, then {@code text_separator} and an example's text, its end of chunk and
     * {@code example_separator} (Narrator: {@code <image>Output: a cat<|endofchunk|>}; OpenFlamingo's evaluation:
     * {@code <image>Output:a cat<|endofchunk|>\n}).
     */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Generation(
            @JsonProperty("max_new_tokens") int maxNewTokens,
            @JsonProperty("num_beams") int numBeams,
            @JsonProperty("length_penalty") double lengthPenalty,
            @JsonProperty("prompt_prefix") String promptPrefix,
            @JsonProperty("text_separator") String textSeparator,
            @JsonProperty("example_separator") String exampleSeparator) {
        public static final Generation DEFAULT = new Generation(20, 3, 1.0, "Output:");

        /** Narrator's format: a space between the prefix and a text, nothing after an example. */
        public Generation(int maxNewTokens, int numBeams, double lengthPenalty, String promptPrefix) {
            this(maxNewTokens, numBeams, lengthPenalty, promptPrefix, null, null);
        }

        public Generation {
            require(maxNewTokens > 0, "generation.max_new_tokens must be positive");
            require(numBeams > 0, "generation.num_beams must be positive");
            if (promptPrefix == null) promptPrefix = "Output:";
            if (textSeparator == null) textSeparator = " ";
            if (exampleSeparator == null) exampleSeparator = "";
            require(textSeparator.isBlank(), "generation.text_separator must be empty or white space, got " + quote(textSeparator));
            require(exampleSeparator.isBlank(), "generation.example_separator must be empty or white space, got " + quote(exampleSeparator));
        }
    }

    static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    private static void requireText(String value, String field) {
        require(value != null && !value.isBlank(), "config field \"" + field + "\" must not be blank");
    }

    private static void requireFeedForwardActivation(String section, String activation) {
        require("gelu".equals(activation) || "sqrelu".equals(activation) || "relu".equals(activation),
                section + ".activation must be gelu, sqrelu or relu, got " + quote(activation));
    }

    private static void requireDistinct(String field, int[] ids) {
        Set<Integer> seen = new HashSet<>();
        for (int id : ids) require(seen.add(id), field + " names token " + id + " twice");
    }

    private static void requireHeads(String section, int width, int heads) {
        require(width > 0 && heads > 0 && width % heads == 0,
                section + " width (" + width + ") must be a positive multiple of its head count (" + heads + ")");
    }

    private static String quote(String s) {
        return s == null ? "nothing" : "\"" + s + "\"";
    }
}
