package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.CheckpointException;
import io.narrator.model.checkpoint.MappedCheckpoint;
import io.narrator.model.family.ImportSources.Input;
import io.narrator.model.tokenizer.NarratorTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenFlamingo (mlfoundations/open_flamingo) 3B, 4B and 9B: three separate sources merged into one model. The released
 * {@code checkpoint.pt} holds what training changed — the resampler ({@code perceiver.*}: fused {@code to_kv}, GELU, no
 * temporal embeddings), the gated cross-attention blocks inside the language model's blocks ({@code
 * lang_encoder.transformer.blocks.{i}.gated_cross_attn_layer.*}, or {@code lang_encoder.gpt_neox.layers.{i}.…}) and the
 * language model's trained embeddings — as a bare state dict, or as a training checkpoint's {@code model_state_dict}
 * with DataParallel's {@code module.} prefixes. The language model's repository ({@code --lm}: MosaicGPT-1B, MPT-7B or
 * RedPajama-INCITE-3B's config, weights and tokenizer) gives the frozen decoder, and open_clip's ViT-L-14 ({@code
 * --vision}) the frozen vision tower ({@link OpenClipVision}).
 *
 * <p>The variants it is: cross-attention before every n-th decoder layer counted from the n-th ({@code last_of_every_n},
 * n read from which blocks carry it), heads the checkpoint cannot tell (OpenFlamingo's defaults, 8 × 64 for both, unless
 * given), the patch tokens of the ViT before its final LayerNorm (open_clip 2.16–2.22, what the released models were
 * trained on) with open_clip's preprocessing, {@code <|endofchunk|>} then {@code <image>} added to the tokenizer as
 * special tokens, then {@code <PAD>} when it has no pad token, the embeddings cut or grown to the tokenizer's length as
 * {@code resize_token_embeddings} does (the checkpoint's trained rows replacing the repository's), no BOS, and captions
 * prompted as OpenFlamingo's evaluation prompts them ({@link #PROMPT_FORMAT}). OpenFlamingo was trained on one frame per media item: by
 * default a clip is read as its latest frame.
 */
final class OpenFlamingoFamily implements CheckpointFamily {
    static final String NAME = "openflamingo";
    static final String END_OF_CHUNK = "<|endofchunk|>";
    static final String IMAGE = "<image>";
    static final String PAD = "<PAD>";
    /** OpenFlamingo's heads for the resampler and the cross-attention (helpers.py's defaults; not in the weights). */
    static final int DEFAULT_HEADS = 8;
    /**
     * OpenFlamingo's captioning prompts ({@code eval/models/open_flamingo.py} {@code get_caption_prompt}, {@code evaluate.py}):
     * {@code <image>Output:{caption}<|endofchunk|>\n} per example, then {@code <image>Output:}; 3 beams, 20 new tokens.
     */
    static final FlamingoConfig.Generation PROMPT_FORMAT = new FlamingoConfig.Generation(20, 3, 1.0, "Output:", "", "\n");
    /** OpenFlamingo was trained with one frame per media item. */
    static final int DEFAULT_FRAMES_PER_MEDIA = 1;
    private static final Pattern XATTN = Pattern.compile("gated_cross_attn_layers\\.(0|[1-9][0-9]*)\\.");
    private static final Pattern PERCEIVER_LAYER = Pattern.compile("perceiver\\.layers\\.(0|[1-9][0-9]*)\\.");
    private static final String FROZEN_LM = "the frozen language model's own tensors and buffers: read from --lm";

    /** The checkpoint's names (unwrapped) → Narrator's. */
    static final TensorTable CHECKPOINT = TensorTable.builder(NAME)
            .rename("perceiver.{rest}", "perceiver.{rest}")
            .rename("lang_encoder.transformer.blocks.{i}.gated_cross_attn_layer.{rest}", "gated_cross_attn_layers.{i}.{rest}")
            .rename("lang_encoder.gpt_neox.layers.{i}.gated_cross_attn_layer.{rest}", "gated_cross_attn_layers.{i}.{rest}")
            .rename("lang_encoder.transformer.wte.weight", "transformer.wte.weight")
            .rename("lang_encoder.gpt_neox.embed_in.weight", "gpt_neox.embed_in.weight")
            .rename("lang_encoder.embed_out.weight", "embed_out.weight")
            .ignore("lang_encoder.gated_cross_attn_layers.{rest}", "the cross-attention blocks' second name (OpenFlamingo's training "
                    + "checkpoints delete it): read under lang_encoder.*.gated_cross_attn_layer")
            .ignore("lang_encoder.old_decoder_blocks.{rest}", FROZEN_LM)
            .ignore("lang_encoder.transformer.blocks.{i}.decoder_layer.{rest}", FROZEN_LM)
            .ignore("lang_encoder.gpt_neox.layers.{i}.decoder_layer.{rest}", FROZEN_LM)
            .ignore("lang_encoder.transformer.{rest}", FROZEN_LM)
            .ignore("lang_encoder.gpt_neox.{rest}", FROZEN_LM)
            .ignore("vision_encoder.{rest}", "the frozen vision tower: read from --vision")
            .build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> aliases() {
        return List.of("open-flamingo");
    }

    @Override
    public String description() {
        return "OpenFlamingo 3B/4B/9B: --checkpoint checkpoint.pt, --lm the language model's repo, --vision open_clip's ViT-L-14 weights";
    }

    @Override
    public ImportedModel open(ImportSources s) throws IOException {
        if (s.release() != null)
            throw new IOException(NAME + " takes no DIR: give the released checkpoint.pt as --checkpoint, the language model's repository "
                    + "as --lm and open_clip's ViT-L-14 weights as --vision");
        s.refuseUnused(NAME, Input.CHECKPOINT, Input.LM, Input.VISION, Input.TOKENIZER, Input.FRAMES_PER_MEDIA, Input.PERCEIVER_HEADS,
                Input.CROSS_ATTENTION_HEADS, Input.VISION_FEATURES);
        Path checkpointFile = s.requireFile(Input.CHECKPOINT, NAME, "the release's checkpoint.pt (e.g. openflamingo/OpenFlamingo-3B-vitl-mpt1b)");
        Path lmDir = s.requireDirectory(Input.LM, NAME, "the language model's repository: config.json, its weights and tokenizer "
                + "(anas-awadalla/mpt-1b-redpajama-200b, togethercomputer/RedPajama-INCITE-Base-3B-v1 or anas-awadalla/mpt-7b)");
        if (s.vision() == null)
            throw new IOException(NAME + " needs --vision: open_clip's ViT-L-14 weights (open_clip_pytorch_model.bin or "
                    + "open_clip_model.safetensors of timm/vit_large_patch14_clip_224.openai, or that folder)");
        if (!Files.exists(s.vision())) throw new IOException("--vision " + s.vision() + ": no such file or directory");
        String features = s.visionFeatures() != null ? s.visionFeatures() : FlamingoConfig.Vision.PATCHES_BEFORE_POST_LAYERNORM;
        if (!features.equals(FlamingoConfig.Vision.PATCHES_BEFORE_POST_LAYERNORM) && !features.equals(FlamingoConfig.Vision.PATCHES))
            throw new IOException("--vision-features must be " + FlamingoConfig.Vision.PATCHES_BEFORE_POST_LAYERNORM + " (open_clip 2.16–2.22, "
                    + "what OpenFlamingo was trained on) or " + FlamingoConfig.Vision.PATCHES + " (open_clip 2.23 and later), got " + features);
        int framesPerMedia = s.framesPerMedia() != null ? s.framesPerMedia() : DEFAULT_FRAMES_PER_MEDIA;
        CausalLmRepo lm = CausalLmRepo.read(lmDir);
        List<String> notes = new ArrayList<>();
        List<Checkpoint> opened = new ArrayList<>();
        try {
            Checkpoint released = unwrap(Checkpoint.open(checkpointFile), notes);
            opened.add(released);
            TensorTable.Mapping trained = CHECKPOINT.map(released);
            Map<String, long[]> shapes = shapes(trained);
            OpenClipVision vision = OpenClipVision.open(s.vision(), features);
            opened.add(vision.weights());
            TensorTable.Mapping tower = vision.table().map(vision.weights());
            Checkpoint lmWeights = lm.weights();
            opened.add(lmWeights);
            TensorTable.Mapping decoder = lm.table().map(lmWeights);

            Path tokenizerSource = s.tokenizer() != null ? s.tokenizer() : lmDir;
            FlamingoConfig config;
            byte[] tokenizerJson;
            String padToken = TokenizerFiles.padToken(tokenizerSource);
            String[] added = padToken == null ? new String[] {END_OF_CHUNK, IMAGE, PAD} : new String[] {END_OF_CHUNK, IMAGE};
            try (ImportTokenizer tokenizer = ImportTokenizer.of(tokenizerSource, added)) {
                int rows = tokenizer.size();
                FlamingoConfig.SpecialTokens special = specialTokens(tokenizer, padToken == null ? PAD : padToken, lm, tokenizerSource);
                config = translate(s, lm, vision.vision(), shapes, rows, special, framesPerMedia, lmDir, notes);
                tokenizerJson = tokenizer.json();
                try (NarratorTokenizer check = NarratorTokenizer.load(new ByteArrayInputStream(tokenizerJson), tokenizer.description(), special)) {
                    notes.add(String.format(Locale.ROOT, "tokenizer: %s, %d tokens with %s = %d, %s = %d, pad %s = %d (%s), eos %d, no BOS",
                            tokenizer.description(), rows, END_OF_CHUNK, special.endOfChunk(), IMAGE, special.image(),
                            padToken == null ? PAD : padToken, special.pad(), padToken == null ? "added" : "the tokenizer's own", special.eos()));
                }
            }
            List<MappedCheckpoint.Entry> entries = new ArrayList<>(trained.entries());
            entries.addAll(embeddings(lm, decoder, trained, lmWeights, config.text().vocabSize(), notes));
            entries.addAll(tower.entries());
            notes.add("language model weights: " + lmWeights.source() + " (" + decoder.entries().size() + " tensors"
                    + (decoder.ignored().isEmpty() ? "" : "; left out: " + FlamingoMiniFamily.summary(decoder.ignored())) + ")");
            notes.add("vision tower: " + vision.layout() + " from " + vision.weights().source() + " (" + tower.entries().size()
                    + " tensors, the fused in_proj split into q/k/v; left out: " + FlamingoMiniFamily.summary(tower.ignored()) + "); "
                    + vision.settings());
            MappedCheckpoint view = MappedCheckpoint.of(released.source() + " + " + lmWeights.source() + " + " + vision.weights().source(), entries, opened);
            WeightCheck.check(config, view, List.of(trained, decoder, tower), Set.of());
            return new ImportedModel(this, config, tokenizerJson, view, notes);
        } catch (IOException | RuntimeException e) {
            for (Checkpoint c : opened) {
                try {
                    c.close();
                } catch (CheckpointException ignored) {
                    // the first error is the one to report
                }
            }
            throw e;
        }
    }

    /** The state dict inside {@code file}: under {@code model_state_dict.} (a training checkpoint), then without {@code module.}. */
    static Checkpoint unwrap(Checkpoint file, List<String> notes) throws CheckpointException {
        Checkpoint c = file;
        try {
            if (c.names().stream().anyMatch(n -> n.startsWith("model_state_dict."))) {
                c = c.select("model_state_dict.");
                notes.add("checkpoint: a training checkpoint; its model_state_dict read (optimizer and scheduler states left out)");
            }
            if (!c.names().isEmpty() && c.names().stream().allMatch(n -> n.startsWith("module."))) {
                c = c.select("module.");
                notes.add("checkpoint: DataParallel's module. prefix removed");
            }
            return c;
        } catch (CheckpointException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Narrator's name → stored shape of every tensor a mapping gives. */
    private static Map<String, long[]> shapes(TensorTable.Mapping m) throws CheckpointException {
        Map<String, long[]> out = new HashMap<>();
        for (MappedCheckpoint.Entry e : m.entries()) out.put(e.name(), e.source().info(e.sourceName()).shape());
        return out;
    }

    /**
     * The language model's embeddings (and untied head) at {@code rows} rows: the checkpoint's trained ones where it holds
     * them (the repository's left out), else the repository's first {@code rows} rows, as {@code resize_token_embeddings}
     * keeps them when it shrinks; growing a table the checkpoint does not hold would need rows nobody trained.
     */
    private static List<MappedCheckpoint.Entry> embeddings(CausalLmRepo lm, TensorTable.Mapping decoder, TensorTable.Mapping trained,
            Checkpoint lmWeights, int rows, List<String> notes) throws IOException {
        List<MappedCheckpoint.Entry> out = new ArrayList<>();
        Set<String> fromCheckpoint = new java.util.HashSet<>();
        for (MappedCheckpoint.Entry e : trained.entries()) fromCheckpoint.add(e.name());
        for (MappedCheckpoint.Entry e : decoder.entries()) {
            if (!lm.embeddings().contains(e.name())) {
                out.add(e);
                continue;
            }
            long stored = lmWeights.info(e.sourceName()).shape()[0];
            if (fromCheckpoint.contains(e.name())) {
                notes.add(String.format(Locale.ROOT, "%s: the checkpoint's trained %d rows (the language model's own %d left out)", e.name(), rows, stored));
            } else if (stored >= rows) {
                out.add(MappedCheckpoint.Entry.rows(e.name(), lmWeights, e.sourceName(), 0, rows));
                notes.add(String.format(Locale.ROOT, "%s: the language model's first %d of %d rows (the checkpoint has none; resized as "
                        + "resize_token_embeddings shrinks a table)", e.name(), rows, stored));
            } else {
                throw new CheckpointException(lmWeights.source() + ": " + e.sourceName() + " has " + stored + " rows but the tokenizer with "
                        + "OpenFlamingo's tokens has " + rows + ", and the checkpoint holds no trained " + e.name() + " with the added rows");
            }
        }
        if (lm.embeddings().size() == 1) notes.add("output head: tied to " + lm.embeddings().get(0));
        return out;
    }

    /** The config OpenFlamingo's three sources describe. */
    private static FlamingoConfig translate(ImportSources s, CausalLmRepo lm, FlamingoConfig.Vision vision, Map<String, long[]> shapes, int rows,
            FlamingoConfig.SpecialTokens special, int framesPerMedia, Path lmDir, List<String> notes) throws IOException {
        FlamingoConfig.Text text = lm.withRows(rows);
        String ckpt = s.checkpoint().toString();
        TreeSet<Integer> xattn = indices(shapes, XATTN);
        if (xattn.isEmpty())
            throw new IOException(ckpt + " holds no cross-attention blocks (lang_encoder.transformer.blocks.{i}.gated_cross_attn_layer.* or "
                    + "lang_encoder.gpt_neox.layers.{i}.gated_cross_attn_layer.*): is it an OpenFlamingo checkpoint for this language model?");
        int every = xattn.first() + 1;
        List<Integer> expected = new ArrayList<>();
        for (int l = 0; l < text.layers(); l++) if ((l + 1) % every == 0) expected.add(l);
        if (!new ArrayList<>(xattn).equals(expected))
            throw new IOException(ckpt + ": cross-attention blocks sit before decoder layers " + xattn + ", but the language model of "
                    + lm.config() + " has " + text.layers() + " layers, which would have them before " + expected + " (every " + ordinal(every)
                    + "): is the checkpoint for this language model?");
        int heads = s.perceiverHeads() != null ? s.perceiverHeads() : DEFAULT_HEADS;
        int xheads = s.crossAttentionHeads() != null ? s.crossAttentionHeads() : DEFAULT_HEADS;
        int dv = vision.hiddenSize();
        long[] latents = require(shapes, "perceiver.latents", ckpt);
        if (latents.length != 2 || latents[1] != dv)
            throw new IOException(ckpt + ": perceiver.latents has shape " + Arrays.toString(latents) + " but the vision tower is " + dv
                    + " wide (OpenFlamingo's resampler works at the vision width)");
        TreeSet<Integer> depth = indices(shapes, PERCEIVER_LAYER);
        if (depth.isEmpty() || depth.last() != depth.size() - 1)
            throw new IOException(ckpt + ": the resampler's layers perceiver.layers.{i} must be numbered 0.." + (depth.size() - 1) + ", found " + depth);
        if (shapes.containsKey("perceiver.media_time_embs"))
            throw new IOException(ckpt + " holds perceiver.media_time_embs (a learned embedding per media position, max_num_media), which "
                    + "Narrator's resampler does not have");
        long[] frameEmbs = shapes.get("perceiver.frame_embs");
        int maxFrames = frameEmbs == null ? 0 : Math.toIntExact(frameEmbs[0]);
        boolean fused = shapes.containsKey("perceiver.layers.0.0.to_kv.weight");
        int inner = Math.toIntExact(require(shapes, "perceiver.layers.0.0.to_q.weight", ckpt)[0]);
        int ff = Math.toIntExact(require(shapes, "perceiver.layers.0.1.1.weight", ckpt)[0]);
        int xfirst = xattn.first();
        int xinner = Math.toIntExact(require(shapes, "gated_cross_attn_layers." + xfirst + ".attn.to_q.weight", ckpt)[0]);
        int xff = Math.toIntExact(require(shapes, "gated_cross_attn_layers." + xfirst + ".ff.1.weight", ckpt)[0]);
        requireDivides(inner, heads, ckpt, "the resampler's", "--perceiver-heads");
        requireDivides(xinner, xheads, ckpt, "the cross-attention's", "--xattn-heads");
        if (ff % dv != 0 || xff % text.width() != 0)
            throw new IOException(ckpt + ": the feed-forwards are " + ff + " and " + xff + " wide, no multiples of the widths " + dv + " and "
                    + text.width());
        FlamingoConfig.Perceiver perceiver = new FlamingoConfig.Perceiver(depth.size(), heads, inner / heads, Math.toIntExact(latents[0]), maxFrames,
                ff / dv, fused ? FlamingoConfig.Perceiver.FUSED : FlamingoConfig.Perceiver.SEPARATE, "gelu", FlamingoConfig.Perceiver.INTERPOLATE,
                framesPerMedia);
        FlamingoConfig.CrossAttention cross = new FlamingoConfig.CrossAttention(every, xheads, xinner / xheads, xff / text.width(), true,
                FlamingoConfig.CrossAttention.LAST_OF_EVERY_N, "gelu");
        notes.add(String.format(Locale.ROOT, "language model: %s from %s (%d layers, width %d), cross-attention before %s (%d blocks)",
                describe(lm), lm.config(), text.layers(), text.width(), every == 1 ? "every layer" : "every " + ordinal(every) + " layer from the "
                        + ordinal(every), xattn.size()));
        notes.add(String.format(Locale.ROOT, "resampler: %d layers, %d latents, %d heads x %d%s; cross-attention: %d heads x %d%s", depth.size(),
                latents[0], heads, inner / heads, s.perceiverHeads() == null ? " (OpenFlamingo's default heads: the weights do not tell)" : "", xheads,
                xinner / xheads, s.crossAttentionHeads() == null ? " (OpenFlamingo's default)" : ""));
        notes.add("vision features: " + vision.features() + (vision.features().equals(FlamingoConfig.Vision.PATCHES_BEFORE_POST_LAYERNORM)
                ? " (the patch tokens before ln_post, as open_clip 2.16–2.22 gave them to OpenFlamingo's training)"
                : " (the patch tokens after ln_post, as open_clip 2.23 and later give them; OpenFlamingo was trained without it)"));
        notes.add("frames per media: " + (framesPerMedia == 0
                ? "every frame of a clip, their patch tokens read together by the resampler (it has no temporal embeddings)"
                : framesPerMedia + (framesPerMedia == 1 ? " (the latest: OpenFlamingo was trained on one frame per media)" : " (evenly spaced, the latest last)")));
        String name = s.name() != null ? s.name() : NAME;
        try {
            return new FlamingoConfig(FlamingoConfig.MODEL_TYPE, name, "1", vision, text, perceiver, cross, special, PROMPT_FORMAT,
                    new FlamingoConfig.Source(NAME, lmName(lm, lmDir), "open_clip ViT-L-14 (openai)"));
        } catch (IllegalArgumentException e) {
            throw new IOException(ckpt + " with " + lm.config() + ": the model they describe cannot be built: " + e.getMessage(), e);
        }
    }

    /** OpenFlamingo's token ids: {@code <image>} the media marker, {@code <|endofchunk|>}, the pad, the LM's EOS; no BOS. */
    private static FlamingoConfig.SpecialTokens specialTokens(ImportTokenizer tokenizer, String pad, CausalLmRepo lm, Path source) throws IOException {
        int eoc = tokenizer.tokenId(END_OF_CHUNK);
        int image = tokenizer.tokenId(IMAGE);
        int padId = tokenizer.tokenId(pad);
        String eosText = TokenizerFiles.eosToken(source);
        int eos = tokenizer.tokenId(eosText != null ? eosText : "<|endoftext|>");
        for (Object[] t : new Object[][] {{END_OF_CHUNK, eoc}, {IMAGE, image}, {pad, padId}, {eosText != null ? eosText : "<|endoftext|>", eos}})
            if ((int) t[1] < 0) throw new IOException(tokenizer.description() + ": " + t[0] + " does not encode as one token");
        return new FlamingoConfig.SpecialTokens(image, eoc, eos, padId, IMAGE, END_OF_CHUNK, new int[] {image}, FlamingoConfig.SpecialTokens.NONE,
                new int[0], new int[0]);
    }

    private static String describe(CausalLmRepo lm) {
        return switch (lm.modelType()) {
            case "mosaic_gpt" -> "MosaicGPT (as MPT)";
            case "mpt" -> "MPT";
            default -> "GPT-NeoX";
        };
    }

    private static String lmName(CausalLmRepo lm, Path dir) throws IOException {
        HubJson c = HubJson.read(lm.config(), "the language model's configuration");
        String name = c.text("_name_or_path", "");
        return name.isBlank() || name.startsWith("/") ? dir.getFileName().toString() : name;
    }

    /** 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, 21st, … */
    static String ordinal(int n) {
        int tens = n % 100;
        String suffix = tens >= 11 && tens <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        };
        return n + suffix;
    }

    private static TreeSet<Integer> indices(Map<String, long[]> shapes, Pattern p) {
        TreeSet<Integer> out = new TreeSet<>();
        for (String name : shapes.keySet()) {
            Matcher m = p.matcher(name);
            if (m.lookingAt()) out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    private static long[] require(Map<String, long[]> shapes, String name, String file) throws IOException {
        long[] s = shapes.get(name);
        if (s == null) throw new IOException(file + " has no " + name + " (as OpenFlamingo names it)");
        return s;
    }

    private static void requireDivides(int inner, int heads, String file, String what, String flag) throws IOException {
        if (inner % heads != 0)
            throw new IOException(file + ": " + what + " projections are " + inner + " wide, which " + heads + " heads do not divide; give " + flag);
    }
}
