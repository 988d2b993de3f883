package io.narrator.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.initializer.NormalInitializer;
import io.narrator.model.lm.DecoderLayer;
import io.narrator.model.lm.KvCache;
import io.narrator.model.lm.LanguageModel;
import io.narrator.model.lm.Positions;
import io.narrator.model.lm.SelfAttentionInputs;
import io.narrator.model.nn.Attention;
import io.narrator.model.nn.BlockList;
import io.narrator.model.nn.NamedBlock;
import io.narrator.model.resampler.PerceiverResampler;
import io.narrator.model.vision.ClipVisionEncoder;
import io.narrator.model.xattn.GatedCrossAttentionBlock;
import io.narrator.model.xattn.MediaMask;
import io.narrator.model.xattn.PreparedMedia;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Flamingo visual language model (arXiv 2204.14198) as one DJL block:
 * <pre>
 *   frames ─► vision_model (frozen CLIP ViT) ─► feature tokens per frame
 *          ─► perceiver (+ temporal embedding per frame, Perceiver Resampler) ─► V visual tokens per media
 *   text with media markers ─► [gated_cross_attn_layers.i ─► LM layer i] × layers (frozen LM) ─► logits
 * </pre>
 * Tensor names follow Hugging Face (the LM: GPT-2's or MPT's {@code transformer.*}, OPT's {@code model.decoder.*},
 * GPT-NeoX's {@code gpt_neox.*} and {@code embed_out}; CLIP
 * vision) and OpenFlamingo (perceiver, gated cross-attention, indexed by the LM layer they precede), plus
 * {@code special_token_embeddings}: trainable rows for {@code special_tokens.trainable} (Narrator: {@code <image>} and
 * {@code <|endofchunk|>}) that override those rows of the frozen token embeddings.
 *
 * <p>A token's text time is the number of media markers up to and including it, counted in the prompt only
 * ({@link FlamingoState#limitMediaTo}): generated tokens never count as media. Parameters and computation are in
 * {@link #dataType()}; masks and constants follow it.
 *
 * <p>Shapes: B batch rows, T text tokens, M media per row, F frames, P tokens per frame, V visual tokens,
 * D text width, E token embedding width, Dv visual width, W vocabulary.
 */
public final class Flamingo extends NamedBlock {
    private final FlamingoConfig config;
    private final DataType dtype;
    private final ClipVisionEncoder vision;
    private final PerceiverResampler perceiver;
    private final LanguageModel lm;
    private final BlockList<GatedCrossAttentionBlock> crossAttention;
    private final Parameter specialTokenEmbeddings;
    private final GatedCrossAttentionBlock[] crossAttentionBefore;

    /** A float32 model. */
    public Flamingo(FlamingoConfig config) {
        this(config, DataType.FLOAT32);
    }

    /** A model whose parameters and computation are in {@code dtype} (see {@link ModelDtype}: float32 or float16). */
    public Flamingo(FlamingoConfig config, DataType dtype) {
        this.config = config;
        this.dtype = ModelDtype.of(dtype).dataType();
        vision = child("vision_model", new ClipVisionEncoder(config.vision()));
        perceiver = child("perceiver", new PerceiverResampler(config));
        lm = inline(LanguageModel.of(config.text()));
        int layers = config.text().layers();
        int[] xattnLayers = java.util.stream.IntStream.range(0, layers).filter(config::hasCrossAttentionBefore).toArray();
        crossAttention = child("gated_cross_attn_layers", new BlockList<>(xattnLayers, i -> new GatedCrossAttentionBlock(config)));
        int trainable = config.specialTokens().trainable().length;
        specialTokenEmbeddings = trainable == 0 ? null
                : param("special_token_embeddings", new Shape(trainable, config.text().embedWidth()), new NormalInitializer(0.02f));
        crossAttentionBefore = new GatedCrossAttentionBlock[layers];
        for (int k = 0; k < xattnLayers.length; k++) crossAttentionBefore[xattnLayers[k]] = crossAttention.get(k);
    }

    public FlamingoConfig config() {
        return config;
    }

    /** The dtype of every parameter and of the computation (float32 unless made otherwise). */
    public DataType dataType() {
        return dtype;
    }

    public ClipVisionEncoder vision() {
        return vision;
    }

    public PerceiverResampler perceiver() {
        return perceiver;
    }

    public LanguageModel lm() {
        return lm;
    }

    public List<GatedCrossAttentionBlock> crossAttentionLayers() {
        return crossAttention.blocks();
    }

    /** The trainable special rows (n, E), or null when {@code special_tokens.trainable} is empty. */
    public Parameter specialTokenEmbeddings() {
        return specialTokenEmbeddings;
    }

    /** Copies the LM's own embeddings of the trainable special tokens into {@code special_token_embeddings}. */
    public void resetSpecialTokenEmbeddings() {
        if (specialTokenEmbeddings == null) return;
        NDArray wte = lm.tokenEmbeddings().getArray();
        NDArray target = specialTokenEmbeddings.getArray();
        boolean trainable = specialTokenEmbeddings.requiresGradient();
        target.setRequiresGradient(false); // autograd forbids writing into a leaf that requires grad
        int[] ids = config.specialTokens().trainable();
        for (int i = 0; i < ids.length; i++) {
            try (NDArray row = wte.get(ids[i])) {
                target.set(new ai.djl.ndarray.index.NDIndex(i), row);
            }
        }
        target.setRequiresGradient(trainable);
    }

    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        super.initialize(manager, dtype, inputShapes); // always this model's dtype
    }

    /** (N, 3, S, S) normalised pixels (any float dtype) → (N, P, Dv) feature tokens, each frame independently. */
    public NDArray encodeFrames(NDArray pixels) {
        return vision.forward(Attention.inType(pixels, dtype));
    }

    /** (N, F, P, Dv) frames of N media (any float dtype) → (N, V, Dv) visual tokens. */
    public NDArray resample(NDArray frames) {
        return perceiver.forward(Attention.inType(frames, dtype));
    }

    /**
     * The effective token embedding table on {@code m}: the LM's token embeddings with the trainable special tokens'
     * rows replaced by {@code special_token_embeddings}, (W, E); the LM's own table when nothing is trainable.
     */
    public NDArray embeddingTable(NDManager m) {
        if (specialTokenEmbeddings == null) return lm.tokenEmbeddings().getArray();
        int vocab = config.text().vocabSize();
        int[] ids = config.specialTokens().trainable();
        float[] keep = new float[vocab];
        java.util.Arrays.fill(keep, 1f);
        float[] select = new float[vocab * ids.length];
        for (int i = 0; i < ids.length; i++) {
            keep[ids[i]] = 0f;
            select[ids[i] * ids.length + i] = 1f;
        }
        NDArray keepRows = Attention.inType(m.create(keep, new Shape(vocab, 1)), dtype); // (W, 1)
        NDArray selectRows = Attention.inType(m.create(select, new Shape(vocab, ids.length)), dtype); // (W, n)
        return keepRows.mul(lm.tokenEmbeddings().getArray()) // (W, E)
                .add(selectRows.matMul(specialTokenEmbeddings.getArray())); // (W, E)
    }

    /**
     * Prepares a batch for forward passes: the embedding table and each cross-attention layer's keys and
     * values of the rows' visual tokens and tanh of its gates.
     *
     * @param visual (B, M, V, Dv) visual tokens, rows with fewer media padded (any values: never attended)
     * @param cached true to keep a self-attention cache (generation), false to recompute (training, scoring)
     */
    public FlamingoState start(NDManager m, NDArray visual, boolean cached) {
        Shape s = visual.getShape();
        if (s.dimension() != 4 || s.get(3) != config.visualDim())
            throw new IllegalArgumentException("visual tokens must be (rows, media, tokens, " + config.visualDim() + "), got " + s);
        return start(m, VisualTokens.of(Attention.inType(visual, dtype)), cached);
    }

    /**
     * {@link #start(NDManager, NDArray, boolean)} for visual tokens given item by item: each cross-attention layer
     * projects every distinct item to keys and values once, however many rows use it.
     */
    public FlamingoState start(NDManager m, VisualTokens visual, boolean cached) {
        Shape s = visual.items().getShape();
        if (s.get(2) != config.visualDim())
            throw new IllegalArgumentException("visual tokens must be " + config.visualDim() + " wide, got " + s);
        List<PreparedMedia> media = new ArrayList<>();
        for (GatedCrossAttentionBlock block : crossAttention.blocks()) media.add(block.prepare(visual));
        return new FlamingoState(m, embeddingTable(m), media, visual.slots(), visual.tokensPerItem(),
                cached ? new KvCache(config.text().layers(), m) : null, visual.rows(), dtype);
    }

    /**
     * One forward pass over T new tokens of every row.
     *
     * @param ids (B, T) int64 token ids
     * @param mask (B, T) 1 for tokens, 0 for left padding
     * @param state from {@link #start}; its cache (if any) and text times advance past these tokens
     * @return (B, T, W) logits, in {@link #dataType()}
     */
    public NDArray forward(NDArray ids, int[][] mask, FlamingoState state) {
        return lm.logits(hidden(ids, mask, state), state.table()); // (B, T, W)
    }

    /**
     * Feeds T new tokens of every row into {@code state}'s cache without computing logits (a prompt's shared
     * beginning, whose next-token distribution nobody reads).
     */
    public void feed(NDArray ids, int[][] mask, FlamingoState state) {
        if (state.cache() == null) throw new IllegalArgumentException("feeding tokens needs a cached state");
        hidden(ids, mask, state);
    }

    /** The last layer's hidden states of T new tokens, (B, T, D); advances {@code state}'s cache and text times. */
    private NDArray hidden(NDArray ids, int[][] mask, FlamingoState state) {
        NDManager m = ids.getManager();
        int b = mask.length;
        int t = mask[0].length;
        if (b != state.rows()) throw new IllegalArgumentException("state has " + state.rows() + " rows, ids have " + b);
        KvCache cache = state.cache();
        Positions p = Positions.of(mask, cache);
        if (p.longestRow() > lm.maxPositions())
            throw new IllegalArgumentException("sequence of " + p.longestRow() + " tokens exceeds the language model's "
                    + lm.maxPositions() + " positions");
        // a pass without cache always feeds whole sequences, so text time starts from zero
        int[] seen = cache == null ? new int[b] : state.mediaSeen().clone();
        int[][] textTime = textTimes(ids.toLongArray(), mask, seen, p.ofTokens(), state.mediaLimits());
        for (int r = 0; r < b; r++)
            if (seen[r] > state.mediaSlots())
                throw new IllegalArgumentException("row " + r + " has more media markers (" + config.specialTokens().mediaText()
                        + ") than media (" + state.mediaSlots() + ")");
        NDArray x = lm.embed(ids, p.positions(m), state.table()); // (B, T, D)
        SelfAttentionInputs self = lm.selfAttention(p, m, dtype); // bias (B, 1 or H, T, S+T) or null, rotary angles or null
        boolean onlyImmediate = config.crossAttention().onlyAttendImmediateMedia();
        List<PreparedMedia> media = state.media();
        MediaMask mediaMask;
        if (t == 1 && cache != null) { // a generation step: the same inputs every step
            FlamingoState.SingleTokenView view = state.singleToken(textTime, onlyImmediate);
            media = view.media();
            mediaMask = view.mask();
        } else {
            mediaMask = MediaMask.of(m, textTime, state.mediaSlots(), state.tokensPerMedia(), onlyImmediate, dtype); // (B, 1, T, M·V)
        }
        List<? extends DecoderLayer> layers = lm.layers();
        int k = 0;
        for (int layer = 0; layer < layers.size(); layer++) {
            GatedCrossAttentionBlock xattn = crossAttentionBefore[layer];
            if (xattn != null) x = xattn.forward(x, media.get(k++), mediaMask); // (B, T, D)
            x = layers.get(layer).forward(x, self, cache == null ? null : cache.layer(layer)); // (B, T, D)
        }
        if (cache != null) cache.appendMask(mask);
        state.setMediaSeen(seen);
        return x;
    }

    /**
     * The text time of each token (B, T): the number of media markers in its row up to and including it, starting from
     * {@code seen[row]} (media already consumed); padding gets 0. {@code seen} is advanced. Every real token counts.
     */
    public int[][] textTimes(long[] flatIds, int[][] mask, int[] seen) {
        int[] unlimited = new int[mask.length];
        java.util.Arrays.fill(unlimited, Integer.MAX_VALUE);
        return textTimes(flatIds, mask, seen, new Positions(mask, null).ofTokens(), unlimited);
    }

    /**
     * {@link #textTimes(long[], int[][], int[])} where a media marker counts only at a position (real tokens before it
     * in its row, (B, T)) below its row's limit: the prompt's markers are media, a generated one is not.
     */
    public int[][] textTimes(long[] flatIds, int[][] mask, int[] seen, int[][] positions, int[] limits) {
        int b = mask.length;
        int t = mask[0].length;
        FlamingoConfig.SpecialTokens special = config.specialTokens();
        int[][] textTime = new int[b][t];
        for (int r = 0; r < b; r++) {
            for (int i = 0; i < t; i++) {
                if (mask[r][i] == 1 && positions[r][i] < limits[r] && special.isMediaMarker(flatIds[r * t + i])) seen[r]++;
                textTime[r][i] = mask[r][i] == 1 ? seen[r] : 0;
            }
        }
        return textTime;
    }

    /**
     * Freezes every parameter except those of the named parts ({@link #partOf}): the Flamingo recipe trains
     * {@code perceiver}, {@code cross_attention} and {@code special_tokens} with {@code vision} and {@code lm} frozen.
     *
     * @return the parameters left trainable, by checkpoint name
     */
    public Map<String, Parameter> trainOnly(java.util.Set<String> parts) {
        for (String part : parts)
            if (!java.util.Set.of("vision", "perceiver", "lm", "cross_attention", "special_tokens").contains(part))
                throw new IllegalArgumentException("unknown model part " + part);
        Map<String, Parameter> trainable = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> {
            boolean train = parts.contains(partOf(name));
            p.freeze(!train);
            if (train) trainable.put(name, p);
        });
        return trainable;
    }

    /**
     * Visual tokens for rows of media: each row's media (each (F, P, Dv) patch tokens of its frames) go
     * through the resampler, grouped by frame count so equal-length media share one batched call. An array
     * that appears more than once (a prompt's examples shared by several rows, the rows of one request's
     * beams) is resampled once and is one item of the result.
     *
     * @return the distinct items' (V, Dv) tokens and the item in each row's slots, M the largest media count;
     *     rows with fewer media have {@link VisualTokens#EMPTY} slots
     */
    public VisualTokens visualTokens(NDManager m, List<List<NDArray>> mediaPerRow) {
        int rows = mediaPerRow.size();
        int slots = Math.max(1, mediaPerRow.stream().mapToInt(List::size).max().orElse(0));
        // the distinct arrays in order of first use, grouped by frame count, and the slots each fills
        Map<NDArray, List<int[]>> uses = new IdentityHashMap<>();
        Map<Long, List<NDArray>> byFrames = new TreeMap<>();
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < mediaPerRow.get(r).size(); j++) {
                NDArray item = mediaPerRow.get(r).get(j);
                uses.computeIfAbsent(item, a -> {
                    byFrames.computeIfAbsent(a.getShape().get(0), f -> new ArrayList<>()).add(a);
                    return new ArrayList<>();
                }).add(new int[] {r, j});
            }
        int[][] slotItems = new int[rows][slots];
        for (int[] row : slotItems) java.util.Arrays.fill(row, VisualTokens.EMPTY);
        NDList groups = new NDList();
        int next = 0;
        for (List<NDArray> group : byFrames.values()) {
            NDList frames = new NDList();
            for (NDArray item : group) frames.add(item.expandDims(0)); // (1, F, P, Dv)
            groups.add(resample(frames.size() == 1 ? frames.head() : NDArrays.concat(frames, 0))); // (G, V, Dv)
            for (NDArray item : group) {
                for (int[] rj : uses.get(item)) slotItems[rj[0]][rj[1]] = next;
                next++;
            }
        }
        if (groups.isEmpty()) // no row has media: one empty slot each, never attended
            return VisualTokens.of(m.zeros(new Shape(1, perceiver.latents(), config.visualDim()), dtype), slotItems);
        return VisualTokens.of(groups.size() == 1 ? groups.head() : NDArrays.concat(groups, 0), slotItems); // (G, V, Dv)
    }

    /** Parameter counts per part: vision, perceiver, lm, cross-attention, special tokens. */
    public Map<String, Long> parameterCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> counts.merge(partOf(name), p.getShape().size(), Long::sum));
        return counts;
    }

    /** The part a checkpoint tensor belongs to: {@code vision}, {@code perceiver}, {@code lm}, {@code cross_attention}, {@code special_tokens}. */
    public static String partOf(String tensorName) {
        if (tensorName.startsWith("vision_model.")) return "vision";
        if (tensorName.startsWith("perceiver.")) return "perceiver";
        if (tensorName.startsWith("transformer.") || tensorName.startsWith("model.decoder.") || tensorName.startsWith("gpt_neox.")
                || tensorName.startsWith("embed_out.")) return "lm";
        if (tensorName.startsWith("gated_cross_attn_layers.")) return "cross_attention";
        if (tensorName.startsWith("special_token_embeddings")) return "special_tokens";
        throw new IllegalArgumentException("tensor " + tensorName + " belongs to no part of the model");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0].add(config.text().vocabSize())};
    }

    static NDArray int64(NDManager m, long[] values, Shape shape) {
        return m.create(values, shape).toType(DataType.INT64, false);
    }
}
