package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A Hugging Face CLIP repository ({@code openai/clip-vit-large-patch14}): its {@code config.json} (a whole
 * {@code CLIPModel}'s, whose {@code vision_config} is read — with {@code vision_config_dict} over it, as older
 * transformers wrote both — or a {@code CLIPVisionModel}'s), its {@code preprocessor_config.json} (the hub's
 * {@code CLIPFeatureExtractor} format with {@code size: 224}, or today's {@code CLIPImageProcessor} with
 * {@code size: {shortest_edge}}), and its weights ({@code model.safetensors} or {@code pytorch_model.bin}).
 * The config becomes the vision section of a Narrator config with CLIP's own preprocessing: the shortest side resized
 * to the image size with Pillow's bicubic filter, the centre cropped, rescaled by 1/255 and normalised.
 */
record ClipRepo(Path dir, FlamingoConfig.Vision vision) {
    static final String CONFIG = "config.json";
    static final String PREPROCESSOR = "preprocessor_config.json";
    /** CLIPImageProcessor's defaults: OpenAI CLIP's mean and std. */
    static final float[] OPENAI_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    static final float[] OPENAI_STD = {0.26862954f, 0.26130258f, 0.27577711f};
    /** Pillow's BICUBIC. */
    private static final int BICUBIC = 3;

    /**
     * Reads the repository's config and preprocessor config; {@code features} says which tokens of a frame the model
     * reads ({@link FlamingoConfig.Vision#LAST_HIDDEN_STATE} for flamingo-mini).
     */
    static ClipRepo read(Path dir, String features) throws IOException {
        HubJson config = HubJson.read(dir.resolve(CONFIG), "the CLIP repository's configuration, e.g. openai/clip-vit-large-patch14's");
        String type = config.text("model_type", "clip");
        HubJson v = switch (type) {
            case "clip" -> config.object("vision_config").overriddenBy(config.objectOrNull("vision_config_dict"));
            case "clip_vision_model" -> config;
            default -> throw new IOException(config.file() + ": \"model_type\" is \"" + type + "\", not \"clip\" or \"clip_vision_model\" "
                    + "(give --vision the folder of the CLIP repository the release names, e.g. openai/clip-vit-large-patch14)");
        };
        int image = v.positive("image_size", 224);
        int patch = v.positive("patch_size", 32);
        if (image % patch != 0)
            throw new IOException(config.file() + ": \"image_size\" (" + image + ") is not a multiple of \"patch_size\" (" + patch + ")");
        if (v.integer("num_channels", 3) != 3) throw v.error("num_channels", "must be 3 (RGB)", v.get("num_channels"));
        int hidden = v.positive("hidden_size", 768);
        int heads = v.positive("num_attention_heads", 12);
        if (hidden % heads != 0)
            throw new IOException(config.file() + ": \"num_attention_heads\" (" + heads + ") must divide \"hidden_size\" (" + hidden + ")");
        String act = v.text("hidden_act", "quick_gelu");
        if (!act.equals("quick_gelu") && !act.equals("gelu")) throw v.error("hidden_act", "must be quick_gelu or gelu", v.get("hidden_act"));
        double eps = v.number("layer_norm_eps", 1e-5);
        if (!(eps > 0)) throw v.error("layer_norm_eps", "must be positive", v.get("layer_norm_eps"));
        HubJson pre = HubJson.read(dir.resolve(PREPROCESSOR), "the CLIP repository's image preprocessing");
        float[][] meanStd = preprocessing(pre, image);
        FlamingoConfig.Vision vision = new FlamingoConfig.Vision(image, patch, hidden, v.positive("num_hidden_layers", 12), heads,
                v.positive("intermediate_size", 3072), eps, act, meanStd[0], meanStd[1], FlamingoConfig.Vision.CENTER_CROP, new int[0],
                features, FlamingoConfig.Vision.BICUBIC);
        return new ClipRepo(dir, vision);
    }

    /**
     * Checks that the preprocessor does what Narrator's {@code center_crop} + {@code bicubic} preprocessing does (resize the
     * shortest side to the crop size, bicubic, centre crop, 1/255, normalise) at the model's image size; returns its
     * mean and std.
     */
    private static float[][] preprocessing(HubJson p, int imageSize) throws IOException {
        for (String step : new String[] {"do_resize", "do_center_crop", "do_rescale", "do_normalize", "do_convert_rgb"})
            if (!p.bool(step, true))
                throw new IOException(p.file() + ": \"" + step + "\" is false; Narrator's CLIP preprocessing always resizes, centre-crops, "
                        + "rescales, normalises and converts to RGB");
        int resample = p.integer("resample", BICUBIC);
        if (resample != BICUBIC) throw p.error("resample", "must be 3 (bicubic, CLIP's filter)", p.get("resample"));
        double rescale = p.number("rescale_factor", 1 / 255.0);
        if (Math.abs(rescale - 1 / 255.0) > 1e-12) throw p.error("rescale_factor", "must be 1/255", p.get("rescale_factor"));
        int shortest = size(p, "size", "shortest_edge", imageSize);
        int crop = size(p, "crop_size", null, imageSize);
        if (shortest != imageSize || crop != imageSize)
            throw new IOException(p.file() + ": resizes the shortest side to " + shortest + " and crops " + crop + "x" + crop
                    + ", but the vision model's image_size is " + imageSize + "; Narrator's preprocessing resizes and crops to the image size");
        return new float[][] {p.rgb("image_mean", OPENAI_MEAN), p.rgb("image_std", OPENAI_STD)};
    }

    /**
     * A size of either format: a number, or an object with {@code key} ({@code shortest_edge}) — or, for a crop (key null),
     * {@code height} equal to {@code width}.
     */
    private static int size(HubJson p, String field, String key, int fallback) throws IOException {
        var n = p.get(field);
        if (n == null || n.isNull()) return fallback;
        if (n.isInt() && n.asInt() > 0) return n.asInt();
        if (n.isObject()) {
            if (key != null && n.path(key).isInt() && n.path(key).asInt() > 0 && n.size() == 1) return n.path(key).asInt();
            if (key == null && n.path("height").isInt() && n.path("height").asInt() > 0 && n.path("height").asInt() == n.path("width").asInt())
                return n.path("height").asInt();
        }
        throw p.error(field, key != null ? "must be a positive number or {\"" + key + "\": n} (the shortest side)"
                : "must be a positive number or {\"height\": n, \"width\": n} (a square crop)", n);
    }

    /** The repository's weights: {@code model.safetensors}, else {@code pytorch_model.bin} (or their shard indexes). */
    Checkpoint weights() throws CheckpointException {
        List<String> candidates = List.of("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json");
        for (String name : candidates) if (Files.isRegularFile(dir.resolve(name))) return Checkpoint.open(dir.resolve(name));
        throw new CheckpointException(dir + " holds no CLIP weights: looked for " + String.join(", ", candidates));
    }
}
