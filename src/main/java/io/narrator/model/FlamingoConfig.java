package io.narrator.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;
import java.util.List;

/**
 * Every hyperparameter of a Flamingo model, saved as {@code config.json} beside the weights and
 * passed whole to every block (like nanoGPT's {@code GPTConfig}). JSON names follow Hugging Face's
 * conventions (snake_case) so a config reads like the upstream ones.
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
        @JsonProperty("generation") Generation generation) {

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
        for (int id : List.of(specialTokens.image(), specialTokens.endOfChunk(), specialTokens.eos(), specialTokens.pad()))
            require(id >= 0 && id < text.vocabSize(),
                    "special token id " + id + " is outside the vocabulary [0, " + text.vocabSize() + ")");
        require(crossAttention.everyNLayers() <= text.layers(),
                "cross_attention.every_n_layers (" + crossAttention.everyNLayers() + ") exceeds text.n_layer ("
                        + text.layers() + "): the model would have no cross-attention");
    }

    /** The width of the visual tokens the resampler produces (the vision width, as in OpenFlamingo). */
    public int visualDim() {
        return vision.hiddenSize();
    }

    /** True if a gated cross-attention block sits before LM layer {@code layer} (OpenFlamingo's rule). */
    public boolean hasCrossAttentionBefore(int layer) {
        return (layer + 1) % crossAttention.everyNLayers() == 0;
    }

    /** The same model under another name and version (used when a trained model is published). */
    public FlamingoConfig withIdentity(String newName, String newVersion) {
        return new FlamingoConfig(modelType, newName, newVersion, vision, text, perceiver, crossAttention, specialTokens, generation);
    }

    /** CLIP-style ViT: sizes, preprocessing (image size, mean, std) and activation. */
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
            @JsonProperty("resample") @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = AreaResample.class) String resample) {
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

        /** A CLIP ViT: the patch embedding is one convolution of kernel and stride {@code patch_size}. */
        public Vision(int imageSize, int patchSize, int hiddenSize, int layers, int heads, int intermediateSize,
                double layerNormEps, String hiddenAct, float[] imageMean, float[] imageStd, String resizeMode) {
            this(imageSize, patchSize, hiddenSize, layers, heads, intermediateSize, layerNormEps, hiddenAct, imageMean,
                    imageStd, resizeMode, new int[0], AREA);
        }

        /** A ViT with a convolutional stem of {@code convStemChannels}, its frames resampled by area averaging. */
        public Vision(int imageSize, int patchSize, int hiddenSize, int layers, int heads, int intermediateSize,
                double layerNormEps, String hiddenAct, float[] imageMean, float[] imageStd, String resizeMode, int[] convStemChannels) {
            this(imageSize, patchSize, hiddenSize, layers, heads, intermediateSize, layerNormEps, hiddenAct, imageMean,
                    imageStd, resizeMode, convStemChannels, AREA);
        }

        public Vision {
            if (resizeMode == null) resizeMode = CENTER_CROP;
            if (convStemChannels == null) convStemChannels = new int[0];
            if (resample == null) resample = AREA;
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

        /** Leaves {@code resample} out of config.json when it is the default, so configs written before it existed stay as they were. */
        static final class AreaResample {
            @Override
            public boolean equals(Object value) {
                return AREA.equals(value);
            }

            @Override
            public int hashCode() {
                return AREA.hashCode();
            }
        }

        /** Patches per frame: (image_size / patch_size)². */
        public int patches() {
            int side = imageSize / patchSize;
            return side * side;
        }
    }

    /** GPT-2 language model sizes. {@code vocab_size} includes the special tokens. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Text(
            @JsonProperty("vocab_size") int vocabSize,
            @JsonProperty("n_positions") int positions,
            @JsonProperty("n_embd") int width,
            @JsonProperty("n_layer") int layers,
            @JsonProperty("n_head") int heads,
            @JsonProperty("layer_norm_epsilon") double layerNormEps) {
        public Text {
            require(vocabSize > 0, "text.vocab_size must be positive");
            require(positions > 0, "text.n_positions must be positive");
            requireHeads("text", width, heads);
            require(layers > 0, "text.n_layer must be positive");
            require(layerNormEps > 0, "text.layer_norm_epsilon must be positive");
        }
    }

    /** Perceiver Resampler: depth, heads, latents, and how many frames have a learned temporal embedding. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Perceiver(
            @JsonProperty("depth") int depth,
            @JsonProperty("heads") int heads,
            @JsonProperty("dim_head") int dimHead,
            @JsonProperty("num_latents") int latents,
            @JsonProperty("max_frames") int maxFrames,
            @JsonProperty("ff_mult") int ffMult) {
        public Perceiver {
            require(depth > 0, "perceiver.depth must be positive");
            require(heads > 0 && dimHead > 0, "perceiver.heads and perceiver.dim_head must be positive");
            require(latents > 0, "perceiver.num_latents must be positive");
            require(maxFrames > 0, "perceiver.max_frames must be positive");
            require(ffMult > 0, "perceiver.ff_mult must be positive");
        }
    }

    /** GATED XATTN-DENSE: placement (before every n-th LM layer), heads, feed-forward width. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record CrossAttention(
            @JsonProperty("every_n_layers") int everyNLayers,
            @JsonProperty("heads") int heads,
            @JsonProperty("dim_head") int dimHead,
            @JsonProperty("ff_mult") int ffMult,
            @JsonProperty("only_attend_immediate_media") boolean onlyAttendImmediateMedia) {
        public CrossAttention {
            require(everyNLayers > 0, "cross_attention.every_n_layers must be positive");
            require(heads > 0 && dimHead > 0, "cross_attention.heads and cross_attention.dim_head must be positive");
            require(ffMult > 0, "cross_attention.ff_mult must be positive");
        }
    }

    /** Ids of {@code <image>}, {@code <|endofchunk|>}, end-of-text and padding in the tokenizer. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record SpecialTokens(
            @JsonProperty("image") int image,
            @JsonProperty("end_of_chunk") int endOfChunk,
            @JsonProperty("eos") int eos,
            @JsonProperty("pad") int pad) {
        public SpecialTokens {
            require(image != endOfChunk, "special_tokens.image and special_tokens.end_of_chunk must differ");
        }

        /** The tokens whose embeddings are trainable while the LM is frozen: {@code <image>}, {@code <|endofchunk|>}. */
        public int[] trainable() {
            return new int[] {image, endOfChunk};
        }
    }

    /** Default decoding settings: beam search with 3 beams as in the paper. */
    @JsonIgnoreProperties(ignoreUnknown = false)
    public record Generation(
            @JsonProperty("max_new_tokens") int maxNewTokens,
            @JsonProperty("num_beams") int numBeams,
            @JsonProperty("length_penalty") double lengthPenalty,
            @JsonProperty("prompt_prefix") String promptPrefix) {
        public static final Generation DEFAULT = new Generation(20, 3, 1.0, "Output:");

        public Generation {
            require(maxNewTokens > 0, "generation.max_new_tokens must be positive");
            require(numBeams > 0, "generation.num_beams must be positive");
            if (promptPrefix == null) promptPrefix = "Output:";
        }
    }

    static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    private static void requireText(String value, String field) {
        require(value != null && !value.isBlank(), "config field \"" + field + "\" must not be blank");
    }

    private static void requireHeads(String section, int width, int heads) {
        require(width > 0 && heads > 0 && width % heads == 0,
                section + " width (" + width + ") must be a positive multiple of its head count (" + heads + ")");
    }

    private static String quote(String s) {
        return s == null ? "nothing" : "\"" + s + "\"";
    }
}
