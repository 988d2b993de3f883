package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The vision tower OpenFlamingo reads, open_clip's {@code ViT-L-14} with OpenAI's weights, from a plain state dict: the
 * hub copy {@code timm/vit_large_patch14_clip_224.openai}'s {@code open_clip_pytorch_model.bin} or
 * {@code open_clip_model.safetensors} (a whole CLIP, the tower under {@code visual.}), a tower saved alone (the same names
 * without {@code visual.}), or a Hugging Face CLIP checkpoint ({@code vision_model.*}, the same OpenAI weights in
 * {@code openai/clip-vit-large-patch14}). Its sizes are read from the tensors' shapes; its heads, activation, mean and
 * std from the hub repository's {@code open_clip_config.json} beside the weights, or, without one, as open_clip's
 * {@code ViT-L-14} {@code openai} model has them (head width 64, QuickGELU, OpenAI's mean and std); open_clip's
 * preprocessing (shortest side to the image size with Pillow's bicubic filter, the centre crop at torchvision's rounding,
 * 1/255, mean and std).
 *
 * <p>open_clip's names map onto the one ViT ({@link io.narrator.model.vision.ClipVisionEncoder}): {@code conv1} →
 * {@code patch_embedding}, {@code positional_embedding} → {@code position_embedding}, {@code ln_pre}/{@code ln_post} →
 * {@code pre_layrnorm}/{@code post_layernorm}, and per block {@code ln_1}/{@code ln_2} → {@code layer_norm1}/{@code 2},
 * the fused {@code attn.in_proj_weight}/{@code in_proj_bias} split in three (queries', keys', values' rows) →
 * {@code q_proj}, {@code k_proj}, {@code v_proj}, {@code attn.out_proj} → {@code out_proj}, {@code mlp.c_fc}/{@code c_proj}
 * → {@code fc1}/{@code fc2}; {@code proj} (to the joint space) and the text tower are left out.
 */
record OpenClipVision(Checkpoint weights, String layout, FlamingoConfig.Vision vision, TensorTable table, String settings) {
    /** open_clip's ViT head width when no {@code open_clip_config.json} says otherwise: every ViT config of open_clip has 64. */
    static final int HEAD_WIDTH = 64;
    /** The hub repository's description of the model beside its weights: {@code model_cfg} and {@code preprocess_cfg}. */
    static final String CONFIG = "open_clip_config.json";
    /** The files of the hub repository, in the order they are looked for in a folder. */
    static final List<String> FILES = List.of("open_clip_model.safetensors", "open_clip_pytorch_model.bin", "model.safetensors", "pytorch_model.bin");
    private static final Pattern BLOCK = Pattern.compile("transformer\\.resblocks\\.(0|[1-9][0-9]*)\\.");

    /**
     * Opens the weights ({@code path} a file, or a folder holding one of {@link #FILES}) and reads the tower's sizes;
     * {@code features} is {@code vision.features} ({@link FlamingoConfig.Vision#PATCHES_BEFORE_POST_LAYERNORM}, OpenFlamingo's
     * training condition, or {@link FlamingoConfig.Vision#PATCHES}).
     */
    static OpenClipVision open(Path path, String features) throws IOException {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = null;
            for (String name : FILES) if (Files.isRegularFile(path.resolve(name))) {
                file = path.resolve(name);
                break;
            }
            if (file == null) throw new IOException("--vision " + path + " holds none of " + String.join(", ", FILES) + " (open_clip's ViT-L-14 weights)");
        }
        Path configFile = file.toAbsolutePath().getParent() == null ? null : file.toAbsolutePath().getParent().resolve(CONFIG);
        Settings settings = Settings.read(configFile != null && Files.isRegularFile(configFile) ? configFile : null);
        Checkpoint weights = Checkpoint.open(file);
        try {
            List<String> names = weights.names();
            String prefix;
            if (names.contains("visual.conv1.weight")) prefix = "visual.";
            else if (names.contains("conv1.weight")) prefix = "";
            else if (names.contains("vision_model.embeddings.patch_embedding.weight")) return huggingFace(weights, features, settings);
            else if (names.contains("patch_embed.proj.weight") || names.contains("visual.trunk.patch_embed.proj.weight"))
                throw new CheckpointException(weights.source() + " holds timm's names (patch_embed.proj.weight, blocks.*); give open_clip's "
                        + "file of the same repository: open_clip_pytorch_model.bin or open_clip_model.safetensors");
            else throw new CheckpointException(weights.source() + " is not an open_clip vision tower: it has neither visual.conv1.weight nor "
                        + "conv1.weight (its tensors are under " + groups(names) + ")");
            return new OpenClipVision(weights, prefix.isEmpty() ? "open_clip ViT" : "open_clip CLIP (visual.*)",
                    vision(weights, prefix, features, settings), table(prefix), settings.description());
        } catch (IOException | RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    /**
     * What the weights cannot tell, from {@code open_clip_config.json} ({@code model_cfg.vision_cfg.head_width},
     * {@code model_cfg.quick_gelu}, {@code preprocess_cfg.mean}/{@code std}), or ViT-L-14 {@code openai}'s values without one.
     */
    record Settings(int headWidth, String activation, float[] mean, float[] std, Integer imageSize, Integer layers, Integer width,
            Integer patchSize, String description) {
        static Settings read(Path file) throws IOException {
            if (file == null)
                return new Settings(HEAD_WIDTH, "quick_gelu", ClipRepo.OPENAI_MEAN.clone(), ClipRepo.OPENAI_STD.clone(), null, null, null, null,
                        "no " + CONFIG + " beside the weights: ViT-L-14 openai's head width " + HEAD_WIDTH + ", QuickGELU, OpenAI's mean and std");
            HubJson json = HubJson.read(file, "open_clip's model and preprocessing config");
            HubJson model = json.object("model_cfg");
            HubJson v = model.object("vision_cfg");
            HubJson pre = json.objectOrNull("preprocess_cfg");
            if (pre != null) {
                String interpolation = pre.text("interpolation", "bicubic");
                if (!interpolation.equals("bicubic")) throw pre.error("interpolation", "must be bicubic (open_clip's default)", pre.get("interpolation"));
                String resize = pre.text("resize_mode", "shortest");
                if (!resize.equals("shortest")) throw pre.error("resize_mode", "must be shortest (open_clip's default)", pre.get("resize_mode"));
            }
            int headWidth = v.positive("head_width", HEAD_WIDTH);
            String act = model.bool("quick_gelu", false) ? "quick_gelu" : "gelu";
            return new Settings(headWidth, act, pre == null ? ClipRepo.OPENAI_MEAN.clone() : pre.rgb("mean", ClipRepo.OPENAI_MEAN),
                    pre == null ? ClipRepo.OPENAI_STD.clone() : pre.rgb("std", ClipRepo.OPENAI_STD), optional(v, "image_size"), optional(v, "layers"),
                    optional(v, "width"), optional(v, "patch_size"),
                    file + ": head width " + headWidth + ", " + (act.equals("quick_gelu") ? "QuickGELU" : "GELU"));
        }

        private static Integer optional(HubJson v, String key) throws IOException {
            return v.has(key) ? v.positive(key) : null;
        }

        /** Fails when the config names a size the weights do not have. */
        void check(Checkpoint w, int image, int blocks, int width, int patch) throws CheckpointException {
            int[][] pairs = {{imageSize == null ? image : imageSize, image}, {layers == null ? blocks : layers, blocks},
                {this.width == null ? width : this.width, width}, {patchSize == null ? patch : patchSize, patch}};
            String[] keys = {"image_size", "layers", "width", "patch_size"};
            for (int i = 0; i < pairs.length; i++)
                if (pairs[i][0] != pairs[i][1])
                    throw new CheckpointException(w.source() + ": the weights have " + keys[i] + " " + pairs[i][1] + " but " + CONFIG + " says "
                            + pairs[i][0]);
        }
    }

    /** The tower's config from its tensors' shapes. */
    private static FlamingoConfig.Vision vision(Checkpoint w, String p, String features, Settings settings) throws CheckpointException {
        long[] conv = shape(w, p + "conv1.weight", 4);
        if (conv[1] != 3 || conv[2] != conv[3])
            throw new CheckpointException(w.source() + ": " + p + "conv1.weight has shape " + java.util.Arrays.toString(conv)
                    + "; a ViT's patch embedding is (width, 3, patch, patch)");
        int width = Math.toIntExact(conv[0]);
        int patch = Math.toIntExact(conv[2]);
        long[] pos = shape(w, p + "positional_embedding", 2);
        int side = (int) Math.round(Math.sqrt(pos[0] - 1));
        if ((long) side * side + 1 != pos[0] || pos[1] != width)
            throw new CheckpointException(w.source() + ": " + p + "positional_embedding has shape " + java.util.Arrays.toString(pos)
                    + "; it must be (patches + 1, " + width + ") for a square grid of patches");
        TreeSet<Integer> blocks = new TreeSet<>();
        for (String name : w.names()) {
            if (!name.startsWith(p)) continue;
            Matcher m = BLOCK.matcher(name.substring(p.length()));
            if (m.lookingAt()) blocks.add(Integer.parseInt(m.group(1)));
        }
        if (blocks.isEmpty() || blocks.last() != blocks.size() - 1)
            throw new CheckpointException(w.source() + ": the vision tower's blocks " + p + "transformer.resblocks.{i} must be numbered 0.." + (blocks.size() - 1)
                    + ", found " + blocks);
        long[] fc = shape(w, p + "transformer.resblocks.0.mlp.c_fc.weight", 2);
        return build(w, settings, side * patch, patch, width, blocks.size(), Math.toIntExact(fc[0]), features);
    }

    /** The vision section: the sizes the weights have, with the settings' heads, activation, mean and std. */
    private static FlamingoConfig.Vision build(Checkpoint w, Settings settings, int image, int patch, int width, int layers, int mlp, String features)
            throws CheckpointException {
        settings.check(w, image, layers, width, patch);
        if (width % settings.headWidth() != 0)
            throw new CheckpointException(w.source() + ": the vision width " + width + " is no multiple of the head width " + settings.headWidth()
                    + " (" + settings.description() + ")");
        try {
            return new FlamingoConfig.Vision(image, patch, width, layers, width / settings.headWidth(), mlp, 1e-5, settings.activation(),
                    settings.mean(), settings.std(), FlamingoConfig.Vision.CENTER_CROP, new int[0], features, FlamingoConfig.Vision.BICUBIC,
                    FlamingoConfig.Vision.HALF_EVEN);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(w.source() + ": the vision tower it holds cannot be built: " + e.getMessage());
        }
    }

    /** A Hugging Face CLIP checkpoint's vision tower, read with open_clip's preprocessing and the same size inference. */
    private static OpenClipVision huggingFace(Checkpoint w, String features, Settings settings) throws CheckpointException {
        String p = "vision_model.";
        long[] conv = shape(w, p + "embeddings.patch_embedding.weight", 4);
        long[] pos = shape(w, p + "embeddings.position_embedding.weight", 2);
        int width = Math.toIntExact(conv[0]);
        int patch = Math.toIntExact(conv[2]);
        int side = (int) Math.round(Math.sqrt(pos[0] - 1));
        int layers = 0;
        while (w.contains(p + "encoder.layers." + layers + ".mlp.fc1.weight")) layers++;
        long[] fc = shape(w, p + "encoder.layers.0.mlp.fc1.weight", 2);
        FlamingoConfig.Vision v = build(w, settings, side * patch, patch, width, layers, Math.toIntExact(fc[0]), features);
        return new OpenClipVision(w, "Hugging Face CLIP (vision_model.*)", v, FlamingoMiniFamily.CLIP, settings.description());
    }

    /** open_clip's names under {@code prefix} ({@code visual.} in a whole CLIP, empty for a tower alone) → Narrator's. */
    static TensorTable table(String prefix) {
        String p = prefix;
        String v = "vision_model.";
        String layer = v + "encoder.layers.{i}.";
        TensorTable.Builder b = TensorTable.builder("open_clip")
                .rename(p + "conv1.weight", v + "embeddings.patch_embedding.weight")
                .rename(p + "class_embedding", v + "embeddings.class_embedding")
                .rename(p + "positional_embedding", v + "embeddings.position_embedding.weight")
                .rename(p + "ln_pre.{rest}", v + "pre_layrnorm.{rest}")
                .rename(p + "transformer.resblocks.{i}.ln_1.{rest}", layer + "layer_norm1.{rest}")
                .rename(p + "transformer.resblocks.{i}.ln_2.{rest}", layer + "layer_norm2.{rest}")
                .splitRows(p + "transformer.resblocks.{i}.attn.in_proj_weight", layer + "self_attn.q_proj.weight", layer + "self_attn.k_proj.weight",
                        layer + "self_attn.v_proj.weight")
                .splitRows(p + "transformer.resblocks.{i}.attn.in_proj_bias", layer + "self_attn.q_proj.bias", layer + "self_attn.k_proj.bias",
                        layer + "self_attn.v_proj.bias")
                .rename(p + "transformer.resblocks.{i}.attn.out_proj.{rest}", layer + "self_attn.out_proj.{rest}")
                .rename(p + "transformer.resblocks.{i}.mlp.c_fc.{rest}", layer + "mlp.fc1.{rest}")
                .rename(p + "transformer.resblocks.{i}.mlp.c_proj.{rest}", layer + "mlp.fc2.{rest}")
                .rename(p + "ln_post.{rest}", v + "post_layernorm.{rest}")
                .ignore(p + "proj", "the projection to CLIP's joint image-text space; OpenFlamingo reads the tower's tokens");
        if (!prefix.isEmpty()) {
            String why = "CLIP's text tower; Flamingo uses the vision tower only";
            b.ignore("transformer.{rest}", why).ignore("token_embedding.{rest}", why).ignore("positional_embedding", why)
                    .ignore("ln_final.{rest}", why).ignore("text_projection", why).ignore("attn_mask", why)
                    .ignore("logit_scale", "CLIP's contrastive temperature");
        }
        return b.build();
    }

    private static long[] shape(Checkpoint w, String name, int dims) throws CheckpointException {
        if (!w.contains(name)) throw new CheckpointException(w.source() + " has no " + name + " (open_clip's ViT)");
        long[] s = w.info(name).shape();
        if (s.length != dims)
            throw new CheckpointException(w.source() + ": " + name + " has shape " + java.util.Arrays.toString(s) + "; it must have " + dims + " dimensions");
        return s;
    }

    private static String groups(List<String> names) {
        TreeSet<String> g = new TreeSet<>();
        for (String n : names) g.add(n.contains(".") ? n.substring(0, n.indexOf('.')) + ".*" : n);
        String all = String.join(", ", g);
        return all.length() > 200 ? all.substring(0, 200) + "…" : all;
    }
}
