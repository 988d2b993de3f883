package io.narrator.model.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.Flamingo;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoState;
import io.narrator.model.VisualTokens;
import io.narrator.model.nn.Attention;
import io.narrator.model.tokenizer.NarratorTokenizer;
import io.narrator.model.vision.VisionFeatures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Generates continuations for several independent requests in one batch: prompts of different lengths
 * are left-padded, requests with different media counts padded with empty media, each request decoded
 * with its own strategy (greedy, beam search, top-p). Visual tokens are computed once per distinct media item
 * and every cross-attention layer's keys and values once per request; the LM's self-attention keys and values
 * are cached so each step feeds only the new tokens, and requests that begin alike (the same few-shot
 * examples) share the pass over that beginning ({@link SharedPrefixes}). With {@code cached = false} nothing is kept between steps: every step
 * runs the resampler, the cross-attention key/value projections and the LM over the whole sequence again —
 * the reference the caches are tested and benchmarked against. Finished requests leave the batch.
 *
 * <p>Shapes: R rows (requests × beams), T tokens, W vocabulary.
 */
public final class Generator {
    private final Flamingo model;
    private final NarratorTokenizer tokenizer;
    private final NDManager parent;

    public Generator(Flamingo model, NarratorTokenizer tokenizer, NDManager parent) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.parent = parent;
    }

    /** Generates with the self-attention cache. */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        return generate(requests, true, TokenListener.NONE);
    }

    public List<GenerationResult> generate(List<GenerationRequest> requests, boolean cached, TokenListener listener) {
        if (requests.isEmpty()) return List.of();
        FlamingoConfig config = model.config();
        FlamingoConfig.SpecialTokens special = config.specialTokens();
        List<long[]> prompts = new ArrayList<>();
        Map<String, long[]> encoded = new HashMap<>(); // streams narrated with one prompt: encoded once
        int maxNew = 0;
        for (int r = 0; r < requests.size(); r++) {
            GenerationRequest req = requests.get(r);
            long[] ids = encoded.computeIfAbsent(req.prompt(), tokenizer::encodePrompt); // shared, never written
            int images = special.countMediaMarkers(ids);
            if (images != req.media().size())
                throw new IllegalArgumentException("request " + r + ": the prompt has " + images + " " + special.mediaText()
                        + " marker(s) but " + req.media().size() + " media item(s) were given");
            if (ids.length == 0) throw new IllegalArgumentException("request " + r + ": the prompt is empty");
            int limit = config.text().positions();
            if (ids.length + req.options().maxNewTokens() > limit)
                throw new IllegalArgumentException("request " + r + ": prompt of " + ids.length + " tokens plus up to "
                        + req.options().maxNewTokens() + " new ones exceeds the model's " + limit + " positions");
            checkFeatures(req, r);
            prompts.add(ids);
            maxNew = Math.max(maxNew, req.options().maxNewTokens());
        }
        try (NDManager m = parent.newSubManager()) {
            List<List<NDArray>> media = MediaArrays.of(m, requests.stream().map(GenerationRequest::media).toList());
            // without the caches each step starts from the media again (see lastLogProbs)
            FlamingoState state = null;
            List<long[]> firstPass = prompts; // what the first pass feeds each row
            if (cached) {
                VisualTokens visual = model.visualTokens(m, media);
                state = model.start(m, visual, true);
                state.limitMediaTo(prompts.stream().mapToInt(p -> p.length).toArray()); // generated tokens are never media
                Optional<SharedPrefixes> shared = SharedPrefixes.plan(prompts, media, special::isMediaMarker);
                if (shared.isPresent()) {
                    feedPrefixes(m, shared.get(), visual, state);
                    firstPass = shared.get().suffixes();
                }
            }
            List<Integer> rowRequest = new ArrayList<>(); // the request of each row
            for (int r = 0; r < requests.size(); r++) rowRequest.add(r);

            List<RequestDecoder> decoders = new ArrayList<>();
            for (int r = 0; r < requests.size(); r++) decoders.add(decoder(requests.get(r), r, listener));
            // each row's whole token sequence (needed when recomputing without the cache)
            List<long[]> sequences = new ArrayList<>(prompts);
            List<Integer> active = new ArrayList<>();
            for (int r = 0; r < requests.size(); r++) active.add(r);

            float[][] logProbs = lastLogProbs(m, state, firstPass, null, media, rowRequest, prompts); // (R, W), one row per request
            List<Integer> rowsOf = new ArrayList<>(); // rows per active request, in batch order
            for (int r = 0; r < requests.size(); r++) rowsOf.add(1);
            for (int step = 0; step <= maxNew && !active.isEmpty(); step++) {
                final int generated = step;
                List<Integer> nextActive = new ArrayList<>();
                List<Integer> nextRowsOf = new ArrayList<>();
                List<Integer> selection = new ArrayList<>();
                List<Long> tokens = new ArrayList<>();
                List<long[]> nextSequences = new ArrayList<>();
                int base = 0;
                for (int a = 0; a < active.size(); a++) {
                    int r = active.get(a);
                    int rows = rowsOf.get(a);
                    float[][] mine = new float[rows][];
                    boolean mayStop = generated >= requests.get(r).options().minNewTokens();
                    for (int i = 0; i < rows; i++) mine[i] = ban(logProbs[base + i], special, mayStop);
                    RequestDecoder.Step s = decoders.get(r).step(mine);
                    if (s != null) {
                        nextActive.add(r);
                        nextRowsOf.add(s.parents().length);
                        for (int i = 0; i < s.parents().length; i++) {
                            int row = base + s.parents()[i];
                            selection.add(row);
                            tokens.add(s.tokens()[i]);
                            long[] seq = sequences.get(row);
                            long[] extended = Arrays.copyOf(seq, seq.length + 1);
                            extended[seq.length] = s.tokens()[i];
                            nextSequences.add(extended);
                        }
                    }
                    base += rows;
                }
                active = nextActive;
                rowsOf = nextRowsOf;
                if (active.isEmpty()) break;
                if (state != null) state.select(selection.stream().mapToInt(Integer::intValue).toArray());
                List<Integer> nextRowRequest = new ArrayList<>();
                for (int row : selection) nextRowRequest.add(rowRequest.get(row));
                rowRequest = nextRowRequest;
                sequences = nextSequences;
                long[] next = tokens.stream().mapToLong(Long::longValue).toArray();
                logProbs = lastLogProbs(m, state, sequences, next, media, rowRequest, prompts);
            }
            List<GenerationResult> out = new ArrayList<>();
            for (RequestDecoder d : decoders) out.add(d.result());
            return out;
        }
    }

    /**
     * Feeds each distinct shared prefix once, on the visual tokens of the first request that has it, and starts
     * every row of {@code state} from its prefix's self-attention cache.
     */
    private void feedPrefixes(NDManager m, SharedPrefixes shared, VisualTokens visual, FlamingoState state) {
        FlamingoState prefixes = model.start(m, visual.rows(shared.representatives()), true);
        Batch b = Batch.leftPadded(shared.prefixes(), model.config().specialTokens().pad());
        model.feed(b.ids(m), b.mask(), prefixes);
        state.continueFrom(prefixes, shared.prefixOf());
    }

    /**
     * Runs the model and returns each row's next-token log-probabilities (taken in float32). With the caches
     * ({@code state} not null), only {@code newTokens} (one per row) are fed after the prompt; without them, the media
     * of each row's request go through the resampler again and the whole sequence through the LM, media markers
     * counting in each row's prompt only.
     */
    private float[][] lastLogProbs(NDManager m, FlamingoState state, List<long[]> sequences, long[] newTokens,
            List<List<NDArray>> media, List<Integer> rowRequest, List<long[]> prompts) {
        try (NDManager step = m.newSubManager()) {
            NDArray logits;
            if (state == null) {
                List<List<NDArray>> rowMedia = new ArrayList<>();
                for (int r : rowRequest) rowMedia.add(media.get(r));
                FlamingoState fresh = model.start(step, model.visualTokens(step, rowMedia), false);
                fresh.limitMediaTo(rowRequest.stream().mapToInt(r -> prompts.get(r).length).toArray());
                Batch b = Batch.leftPadded(sequences, model.config().specialTokens().pad());
                logits = model.forward(b.ids(step), b.mask(), fresh); // (R, T, W)
            } else if (newTokens != null) {
                int[][] mask = new int[newTokens.length][1];
                for (int[] row : mask) row[0] = 1;
                NDArray ids = step.create(newTokens, new Shape(newTokens.length, 1)).toType(DataType.INT64, false);
                logits = model.forward(ids, mask, state); // (R, 1, W)
            } else {
                Batch b = Batch.leftPadded(sequences, model.config().specialTokens().pad());
                logits = model.forward(b.ids(step), b.mask(), state); // (R, T, W)
            }
            long t = logits.getShape().get(1);
            NDArray last = Attention.inType(t == 1 ? logits : logits.get(":, " + (t - 1) + ", :"), DataType.FLOAT32)
                    .logSoftmax(-1); // (R, 1, W) or (R, W)
            float[] flat = last.toFloatArray();
            int w = Math.toIntExact(logits.getShape().get(2));
            float[][] out = new float[sequences.size()][];
            for (int r = 0; r < out.length; r++) out[r] = Arrays.copyOfRange(flat, r * w, (r + 1) * w);
            return out;
        }
    }

    /** Tokens a caption may never contain ({@code special_tokens.banned}, padding), and the stop tokens while it may not stop yet. */
    private static float[] ban(float[] logProbs, FlamingoConfig.SpecialTokens special, boolean mayStop) {
        for (int id : special.banned()) logProbs[id] = Float.NEGATIVE_INFINITY;
        if (!mayStop) {
            logProbs[special.endOfChunk()] = Float.NEGATIVE_INFINITY;
            logProbs[special.eos()] = Float.NEGATIVE_INFINITY;
        }
        if (special.pad() != special.eos() && special.pad() != special.endOfChunk()) logProbs[special.pad()] = Float.NEGATIVE_INFINITY;
        return logProbs;
    }

    private RequestDecoder decoder(GenerationRequest req, int index, TokenListener listener) {
        DecodingOptions o = req.options();
        FlamingoConfig.SpecialTokens s = model.config().specialTokens();
        SampledDecoder.Finisher finisher = (tokens, lps, reason) -> {
            double total = 0;
            for (float lp : lps) total += lp;
            return new GenerationResult(tokenizer.decode(tokens), tokens, lps, total, reason);
        };
        return switch (o.strategy()) {
            case GREEDY -> new SampledDecoder(Sampler.GREEDY, o.maxNewTokens(), s.endOfChunk(), s.eos(), index, listener, finisher);
            case TOP_P -> new SampledDecoder(Sampler.topP(o.topP(), o.seed()), o.maxNewTokens(), s.endOfChunk(), s.eos(), index, listener, finisher);
            case BEAM -> new BeamSearch(o.beams(), o.maxNewTokens(), o.lengthPenalty(), s.endOfChunk(), s.eos(), finisher);
        };
    }

    private void checkFeatures(GenerationRequest req, int index) {
        int patches = model.config().vision().tokensPerFrame();
        int dim = model.config().visualDim();
        for (Media media : req.media())
            for (VisionFeatures f : media.frames())
                if (f.patches() != patches || f.dim() != dim)
                    throw new IllegalArgumentException("request " + index + ": frame features are " + f.patches() + "×" + f.dim()
                            + " but this model's vision encoder produces " + patches + "×" + dim);
    }
}
