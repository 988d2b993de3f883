package io.narrator.model.family;

import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.CheckpointException;
import io.narrator.model.checkpoint.MappedCheckpoint;
import io.narrator.model.checkpoint.TiedTensors;
import io.narrator.model.family.ImportSources.Input;
import io.narrator.model.tokenizer.NarratorTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * dhansmair's flamingo-mini and flamingo-tiny ({@code dhansmair/flamingo-mini}, {@code dhansmair/flamingo-tiny} on the
 * hub): a release folder with {@code config.json} (the resampler's and cross-attention's sizes, the hub ids of its OPT
 * and CLIP) and {@code pytorch_model.bin}, plus the OPT repository (config, {@code vocab.json}, {@code merges.txt}) and
 * the CLIP repository (config, preprocessor config, and the vision tower's weights, which the released files do not
 * hold; a save by later code holds them as {@code flamingo.vision_encoder.vision_model.*}).
 *
 * <p>The variants it is: an OPT decoder with a gated cross-attention block before every {@code xattn_every}-th layer
 * counted from layer 0 ({@code first_of_every_n}), the resampler's keys and values from separate {@code to_k}/{@code to_v},
 * squared-ReLU feed-forwards, CLIP's {@code last_hidden_state} (class token included, before {@code post_layernorm}) with
 * CLIP's preprocessing, {@code <image>} as plain text whose {@code <} tokens mark media, {@code <EOC>} added at the
 * tokenizer's size and the LM's BOS before every prompt, and captions prompted as {@code <image>{caption}<EOC>}.
 */
final class FlamingoMiniFamily implements CheckpointFamily {
    static final String NAME = "flamingo-mini";
    static final String END_OF_CHUNK = "<EOC>";
    /** flamingo-mini was trained on single images: only the first temporal embedding ever saw a gradient. */
    static final int DEFAULT_FRAMES_PER_MEDIA = 1;
    private static final Set<String> ACTIVATIONS = Set.of("sqrelu", "gelu", "relu");
    private static final String POSITION_IDS = "a buffer of position indices 0..P-1, not a weight";

    /** The release's names → Narrator's. */
    static final TensorTable RELEASE = TensorTable.builder(NAME)
            .rename("flamingo.resampler.time_pos_emb", "perceiver.frame_embs", TensorTable.Reshape.dropUnitDimension(1))
            .rename("flamingo.resampler.{rest}", "perceiver.{rest}")
            .rename("flamingo.lm.decoder.layers.{i}.xattn_block.alpha_attn", "gated_cross_attn_layers.{i}.attn_gate")
            .rename("flamingo.lm.decoder.layers.{i}.xattn_block.alpha_ffw", "gated_cross_attn_layers.{i}.ff_gate")
            .rename("flamingo.lm.decoder.layers.{i}.xattn_block.attn.{rest}", "gated_cross_attn_layers.{i}.attn.{rest}")
            .rename("flamingo.lm.decoder.layers.{i}.xattn_block.ffw.{rest}", "gated_cross_attn_layers.{i}.ff.{rest}")
            .rename("flamingo.lm.decoder.layers.{i}.lm_block.{rest}", "model.decoder.layers.{i}.{rest}")
            .rename("flamingo.lm.decoder.{rest}", "model.decoder.{rest}")
            .tied("flamingo.lm_head.weight", "flamingo.lm.decoder.embed_tokens.weight")
            .ignore("flamingo.vision_encoder.vision_model.embeddings.position_ids", POSITION_IDS)
            .rename("flamingo.vision_encoder.vision_model.{rest}", "vision_model.{rest}")
            .build();

    /** A CLIP repository's names → Narrator's: its vision tower, nothing else. */
    static final TensorTable CLIP = TensorTable.builder("CLIP")
            .ignore("vision_model.embeddings.position_ids", POSITION_IDS)
            .rename("vision_model.{rest}", "vision_model.{rest}")
            .ignore("text_model.{rest}", "CLIP's text tower; Flamingo uses the vision tower only")
            .ignore("text_projection.weight", "CLIP's text projection; Flamingo uses the vision tower only")
            .ignore("visual_projection.weight", "CLIP's projection to the joint space; flamingo-mini reads the tower's last hidden state")
            .ignore("logit_scale", "CLIP's contrastive temperature")
            .build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<String> aliases() {
        return List.of("flamingo-tiny");
    }

    @Override
    public String description() {
        return "dhansmair/flamingo-mini and flamingo-tiny: DIR with config.json + pytorch_model.bin, --lm the OPT repo, --vision the CLIP repo";
    }

    @Override
    public ImportedModel open(ImportSources s) throws IOException {
        s.refuseUnused(NAME, Input.RELEASE, Input.LM, Input.VISION, Input.TOKENIZER, Input.FRAMES_PER_MEDIA);
        Path dir = s.requireDirectory(Input.RELEASE, NAME,
                "the release's folder with config.json and pytorch_model.bin (dhansmair/flamingo-mini or flamingo-tiny)");
        Path lmDir = s.requireDirectory(Input.LM, NAME,
                "the folder of the OPT repository the release's config.json names as \"lm\" (config.json, vocab.json, merges.txt)");
        Path visionDir = s.requireDirectory(Input.VISION, NAME, "the folder of the CLIP repository the release's config.json names as "
                + "\"clip_model_type\" (config.json and preprocessor_config.json; its weights too unless the release holds the vision tower)");
        HubJson release = HubJson.read(dir.resolve("config.json"), "the release's configuration, as dhansmair/flamingo-mini has it");
        if (!release.has("dim") && !release.has("xattn_every"))
            throw new IOException(release.file() + " is not a flamingo-mini config (it has no \"dim\" and no \"xattn_every\")");
        String lmName = release.text("lm");
        if (!lmName.contains("opt"))
            throw new IOException(release.file() + ": \"lm\" is \"" + lmName + "\"; only flamingo-mini's OPT-based releases are imported");
        OptRepo opt = OptRepo.read(lmDir);
        ClipRepo clip = ClipRepo.read(visionDir, FlamingoConfig.Vision.LAST_HIDDEN_STATE);
        int dim = release.positive("dim");
        int dimVisual = release.positive("dim_visual");
        if (dim != opt.hiddenSize())
            throw new IOException(release.file() + ": \"dim\" is " + dim + " but the OPT in " + opt.config() + " has hidden_size "
                    + opt.hiddenSize() + " (the release was built on " + lmName + ")");
        if (dimVisual != clip.vision().hiddenSize())
            throw new IOException(release.file() + ": \"dim_visual\" is " + dimVisual + " but the CLIP in " + visionDir.resolve(ClipRepo.CONFIG)
                    + " has hidden_size " + clip.vision().hiddenSize() + " (the release was built on " + release.text("clip_model_type") + ")");
        int framesPerMedia = s.framesPerMedia() != null ? s.framesPerMedia() : DEFAULT_FRAMES_PER_MEDIA;
        List<String> notes = new ArrayList<>();
        FlamingoConfig config;
        byte[] tokenizerJson;
        try (ImportTokenizer tokenizer = ImportTokenizer.of(s.tokenizer() != null ? s.tokenizer() : lmDir, END_OF_CHUNK)) {
            config = translate(release, opt, clip, tokenizer, framesPerMedia, s.name() != null ? s.name() : NAME);
            tokenizerJson = tokenizer.json();
            try (NarratorTokenizer check = NarratorTokenizer.load(new ByteArrayInputStream(tokenizerJson), tokenizer.description(),
                    config.specialTokens())) {
                notes.add("tokenizer: " + tokenizer.description() + ", " + END_OF_CHUNK + " = id " + config.specialTokens().endOfChunk()
                        + ", media markers " + java.util.Arrays.toString(config.specialTokens().mediaMarkers()) + " (of '<' and ' <'), BOS "
                        + config.specialTokens().bos());
            }
        }
        int xattnLayers = 0;
        for (int l = 0; l < opt.layers(); l++) if (config.hasCrossAttentionBefore(l)) xattnLayers++;
        notes.add(String.format(Locale.ROOT, "language model: OPT from %s (%d layers, width %d, %s%s), cross-attention before %d of them",
                opt.config(), opt.layers(), opt.hiddenSize(), opt.layerNormBefore() ? "pre-LN" : "post-LN",
                opt.embedDim() != opt.hiddenSize() ? ", embeddings " + opt.embedDim() + " projected in and out" : "", xattnLayers));
        notes.add("frames per media: " + (framesPerMedia == 0 ? "every frame of a clip" : framesPerMedia + " (the latest)")
                + (framesPerMedia == 1 ? "; flamingo-mini was trained on single images, so only its first temporal embedding was trained" : ""));
        return new ImportedModel(this, config, tokenizerJson, weights(dir, clip, config, notes), notes);
    }

    /** The release's tensors (and the CLIP repo's vision tower when the release lacks it) in Narrator's names, checked. */
    private static MappedCheckpoint weights(Path dir, ClipRepo clip, FlamingoConfig config, List<String> notes) throws IOException {
        List<Checkpoint> opened = new ArrayList<>();
        try {
            Checkpoint released = Checkpoint.inDirectory(dir);
            opened.add(released);
            TensorTable.Mapping main = RELEASE.map(released);
            List<TensorTable.Mapping> mappings = new ArrayList<>(List.of(main));
            boolean visionInside = main.entries().stream().anyMatch(e -> e.name().startsWith("vision_model."));
            String description = released.source();
            if (visionInside) {
                notes.add("vision tower: from " + released.source() + " (flamingo.vision_encoder.vision_model.*); " + clip.dir()
                        + " gave its config and preprocessing");
            } else {
                Checkpoint clipWeights;
                try {
                    clipWeights = clip.weights();
                } catch (CheckpointException e) {
                    throw new CheckpointException(e.getMessage() + "; " + released.source() + " has no vision tower "
                            + "(flamingo.vision_encoder.*), so the CLIP repository's weights are needed");
                }
                opened.add(clipWeights);
                TensorTable.Mapping vision = CLIP.map(clipWeights);
                mappings.add(vision);
                description += " + " + clipWeights.source();
                notes.add("vision tower: from " + clipWeights.source() + " (" + vision.entries().size() + " tensors; left out: "
                        + summary(vision.ignored()) + ")");
            }
            main.verifyTies().forEach((tie, c) -> notes.add(tie.name() + ": " + (c.kind() == TiedTensors.Kind.SAME_STORAGE
                    ? "the same storage as " + tie.tiedTo() + " (a tied head): left out"
                    : "equal to " + tie.tiedTo() + " (a tied head saved twice): left out")));
            List<MappedCheckpoint.Entry> entries = new ArrayList<>();
            for (TensorTable.Mapping m : mappings) entries.addAll(m.entries());
            MappedCheckpoint view = MappedCheckpoint.of(description, entries, opened);
            WeightCheck.check(config, view, mappings, Set.of());
            return view;
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

    /** Ignored names, grouped by their first part: {@code text_model.* (20), logit_scale, …}. */
    static String summary(List<TensorTable.Ignored> ignored) {
        java.util.Map<String, List<String>> groups = new java.util.LinkedHashMap<>();
        for (TensorTable.Ignored i : ignored) {
            int dot = i.name().indexOf('.');
            groups.computeIfAbsent(dot < 0 ? i.name() : i.name().substring(0, dot), k -> new ArrayList<>()).add(i.name());
        }
        List<String> parts = new ArrayList<>();
        groups.forEach((group, names) -> parts.add(names.size() == 1 ? names.get(0) : group + ".* (" + names.size() + ")"));
        return parts.isEmpty() ? "nothing" : String.join(", ", parts);
    }

    /** flamingo-mini's config, its OPT's and its CLIP's, and the tokenizer's ids → a Narrator config. */
    static FlamingoConfig translate(HubJson release, OptRepo opt, ClipRepo clip, ImportTokenizer tokenizer, int framesPerMedia, String name)
            throws IOException {
        String resamplerAct = activation(release, "resampler_act");
        String xattnAct = activation(release, "xattn_act");
        int rows = opt.vocabSize() + 1; // flamingo-mini resizes the LM's embeddings to vocab_size + 1 for <EOC>
        int eoc = tokenizer.tokenId(END_OF_CHUNK);
        if (eoc < 0) throw new IOException(tokenizer.description() + ": " + END_OF_CHUNK + " does not encode as one token");
        if (eoc >= rows)
            throw new IOException(tokenizer.description() + ": " + END_OF_CHUNK + " is id " + eoc + " but the language model has "
                    + rows + " embedding rows (the OPT's vocab_size " + opt.vocabSize() + " + 1): is this the OPT's own tokenizer?");
        int eos = opt.eos();
        int eosInTokenizer = tokenizer.tokenId("</s>");
        if (eosInTokenizer != eos)
            throw new IOException(tokenizer.description() + ": </s> is " + (eosInTokenizer < 0 ? "not one token" : "id " + eosInTokenizer)
                    + " but " + opt.config() + " says eos_token_id " + eos + ": is this the OPT's own tokenizer?");
        LinkedHashSet<Integer> markers = new LinkedHashSet<>(); // flamingo_processor: encode("<")[-1] and encode(" <")[-1]
        for (String text : new String[] {"<", " <"}) {
            long[] ids = tokenizer.encode(text);
            if (ids.length == 0) throw new IOException(tokenizer.description() + ": \"" + text + "\" encodes to no token");
            markers.add((int) ids[ids.length - 1]);
        }
        FlamingoConfig.SpecialTokens special = new FlamingoConfig.SpecialTokens(FlamingoConfig.SpecialTokens.NONE, eoc, eos, eos,
                FlamingoConfig.SpecialTokens.IMAGE_TEXT, END_OF_CHUNK, markers.stream().mapToInt(Integer::intValue).toArray(), opt.bos(),
                new int[0], new int[0]);
        FlamingoConfig.Perceiver perceiver = new FlamingoConfig.Perceiver(release.positive("resampler_depth"),
                release.positive("resampler_heads"), release.positive("resampler_dim_head"), release.positive("resampler_num_latents"),
                release.positive("resampler_num_time_embeds"), release.positive("resampler_ff_mult"), FlamingoConfig.Perceiver.SEPARATE,
                resamplerAct, FlamingoConfig.Perceiver.INTERPOLATE, framesPerMedia);
        int every = release.positive("xattn_every");
        if (every > opt.layers())
            throw release.error("xattn_every", "must be at most the OPT's " + opt.layers() + " layers", release.get("xattn_every"));
        FlamingoConfig.CrossAttention xattn = new FlamingoConfig.CrossAttention(every, release.positive("xattn_heads"),
                release.positive("xattn_dim_head"), release.positive("xattn_ff_mult"), true, FlamingoConfig.CrossAttention.FIRST_OF_EVERY_N,
                xattnAct);
        FlamingoConfig.Generation generation = new FlamingoConfig.Generation(20, 3, 1.0, "");
        try {
            return new FlamingoConfig(FlamingoConfig.MODEL_TYPE, name, "1", clip.vision(), opt.text(rows), perceiver, xattn, special,
                    generation, new FlamingoConfig.Source(NAME, release.text("lm"), release.text("clip_model_type")));
        } catch (IllegalArgumentException e) {
            throw new IOException(release.file() + ": the model it describes cannot be built: " + e.getMessage(), e);
        }
    }

    private static String activation(HubJson release, String key) throws IOException {
        String act = release.text(key);
        if (!ACTIVATIONS.contains(act)) throw release.error(key, "must be sqrelu, gelu or relu", release.get(key));
        return act;
    }
}
