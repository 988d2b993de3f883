package io.narrator.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.lm.KvCache;
import io.narrator.model.xattn.MediaMask;
import io.narrator.model.xattn.PreparedMedia;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Everything a batch of rows carries from one forward pass to the next: the embedding table, each
 * cross-attention layer's keys and values of the rows' visual tokens and tanh of its gates (computed once), the LM's
 * self-attention cache (null when recomputing everything), how many media markers each row has seen (its text time)
 * and up to which position a row's media markers count (its prompt: generated tokens are never media). All arrays
 * live on {@link #manager()}, which the caller closes.
 */
public final class FlamingoState {
    private final NDManager manager;
    private final NDArray table;
    private final List<PreparedMedia> media;
    private final int mediaSlots;
    private final int tokensPerMedia;
    private final KvCache cache;
    private final DataType dtype;
    private int[] mediaSeen;
    private int[] mediaLimits;
    /** For each row, the row of the batch given to {@link Flamingo#start} whose visual tokens it holds. */
    private int[] mediaRows;
    private int[] viewTimes;
    private SingleTokenView view;

    FlamingoState(NDManager manager, NDArray table, List<PreparedMedia> media, int mediaSlots, int tokensPerMedia,
            KvCache cache, int rows, DataType dtype) {
        this.manager = manager;
        this.table = table;
        this.media = new ArrayList<>(media);
        this.mediaSlots = mediaSlots;
        this.tokensPerMedia = tokensPerMedia;
        this.cache = cache;
        this.dtype = dtype;
        this.mediaSeen = new int[rows];
        this.mediaLimits = new int[rows];
        Arrays.fill(mediaLimits, Integer.MAX_VALUE);
        this.mediaRows = new int[rows];
        for (int r = 0; r < rows; r++) mediaRows[r] = r;
    }

    public NDManager manager() {
        return manager;
    }

    /** The effective token embedding table, (W, D). */
    public NDArray table() {
        return table;
    }

    List<PreparedMedia> media() {
        return media;
    }

    int mediaSlots() {
        return mediaSlots;
    }

    int tokensPerMedia() {
        return tokensPerMedia;
    }

    /** The self-attention cache, or null when every step recomputes the whole sequence. */
    public KvCache cache() {
        return cache;
    }

    public int rows() {
        return mediaSeen.length;
    }

    int[] mediaSeen() {
        return mediaSeen;
    }

    void setMediaSeen(int[] seen) {
        this.mediaSeen = seen;
    }

    /**
     * Media markers count only among each row's first {@code promptLengths[row]} tokens (its prompt): a marker the
     * model generates after them is text. Until this is called every marker counts (training, scoring).
     */
    public void limitMediaTo(int[] promptLengths) {
        if (promptLengths.length != rows()) throw new IllegalArgumentException("state has " + rows() + " rows, got " + promptLengths.length);
        mediaLimits = promptLengths.clone();
    }

    int[] mediaLimits() {
        return mediaLimits;
    }

    /**
     * What the cross-attention layers read for one new token per row with these text times (every generation step
     * after the prompt: generated tokens are never {@code <image>}, so it is the same at every step). With
     * {@code onlyImmediate} and several media slots, each layer's keys and values are narrowed to the one media item
     * each row's token sees, so a step attends to V visual tokens, not M·V, and needs no bias; otherwise they are the
     * whole batch's, under the mask. Made once on this state's manager and reused while the rows and their text times
     * stay the same.
     */
    SingleTokenView singleToken(int[][] textTime, boolean onlyImmediate) {
        int[] times = new int[textTime.length];
        for (int r = 0; r < times.length; r++) times[r] = textTime[r][0];
        if (view != null && Arrays.equals(times, viewTimes)) return view;
        closeView();
        if (onlyImmediate && mediaSlots > 1) {
            int[] slot = new int[times.length];
            for (int r = 0; r < times.length; r++) slot[r] = Math.max(times[r], 1) - 1; // before any media: masked out below
            try (NDArray index = rowSlots(slot)) {
                List<PreparedMedia> own = new ArrayList<>();
                for (PreparedMedia layer : media) own.add(layer.slotPerRow(index, mediaSlots, tokensPerMedia));
                view = new SingleTokenView(own, MediaMask.ofOwnMedia(manager, textTime, dtype), true);
            }
        } else {
            view = new SingleTokenView(media, MediaMask.of(manager, textTime, mediaSlots, tokensPerMedia, onlyImmediate, dtype), false);
        }
        viewTimes = times;
        return view;
    }

    /** For each row r, the index r·M + slot[r] into the rows' media slots laid out one after another, int64 (B). */
    private NDArray rowSlots(int[] slot) {
        long[] idx = new long[slot.length];
        for (int r = 0; r < slot.length; r++) idx[r] = (long) r * mediaSlots + slot[r];
        return manager.create(idx, new Shape(idx.length)).toType(DataType.INT64, false);
    }

    private void closeView() {
        if (view == null) return;
        if (view.mask().bias() != null) view.mask().bias().close();
        if (view.mask().hasMedia() != null) view.mask().hasMedia().close();
        if (view.narrowed())
            for (PreparedMedia layer : view.media()) {
                layer.keysT().close();
                layer.values().close();
            }
        view = null;
    }

    /**
     * The cross-attention inputs of one generation step.
     *
     * @param media each layer's keys and values, narrowed or the state's own
     * @param mask the media mask over them
     * @param narrowed true when {@code media} holds arrays made for this view (closed with it)
     */
    record SingleTokenView(List<PreparedMedia> media, MediaMask mask, boolean narrowed) {}

    /**
     * Continues this fresh state from shared prefixes that {@code prefixes} has already been fed (see
     * {@code Generator}): row r takes the self-attention keys and values and the text time of
     * {@code prefixes}' row {@code prefixRow[r]}, or starts empty when that is -1 (its cached positions are then
     * padding). Both states must hold the same media for what the prefixes saw.
     */
    public void continueFrom(FlamingoState prefixes, int[] prefixRow) {
        if (cache == null || prefixes.cache == null) throw new IllegalStateException("only cached states continue from prefixes");
        if (cache.length() != 0) throw new IllegalStateException("this state has already been fed tokens");
        if (prefixRow.length != rows()) throw new IllegalArgumentException("state has " + rows() + " rows, got " + prefixRow.length);
        int length = prefixes.cache.length();
        long[] idx = new long[prefixRow.length];
        int[][] keyMasks = new int[prefixRow.length][];
        int[] seen = new int[prefixRow.length];
        for (int r = 0; r < prefixRow.length; r++) {
            int from = prefixRow[r];
            idx[r] = Math.max(from, 0);
            keyMasks[r] = from < 0 ? new int[length] : prefixes.cache.keyMask(from);
            seen[r] = from < 0 ? 0 : prefixes.mediaSeen[from];
        }
        try (NDArray index = manager.create(idx, new Shape(idx.length)).toType(DataType.INT64, false)) {
            cache.seed(prefixes.cache, index, keyMasks);
        }
        mediaSeen = seen;
    }

    /**
     * Keeps the given rows, in the given order (a row may repeat: beam search expanding a prompt into
     * beams, or following the best parents). The cross-attention keys and values are gathered only when some
     * row now needs another request's visual tokens (beams reordered within their request need not move them).
     */
    public void select(int[] rows) {
        boolean identity = rows.length == mediaRows.length;
        for (int i = 0; identity && i < rows.length; i++) identity = rows[i] == i;
        if (identity) return;
        int[] sources = new int[rows.length];
        for (int i = 0; i < rows.length; i++) sources[i] = mediaRows[rows[i]];
        long[] idx = new long[rows.length];
        for (int i = 0; i < rows.length; i++) idx[i] = rows[i];
        NDArray index = manager.create(idx, new Shape(rows.length)).toType(DataType.INT64, false);
        if (!Arrays.equals(sources, mediaRows)) {
            closeView(); // narrowed to the old rows' media (rows that keep their media, as beams do, keep it)
            for (int i = 0; i < media.size(); i++) {
                PreparedMedia old = media.get(i);
                media.set(i, old.select(index));
                old.keysT().close();
                old.values().close();
            }
            mediaRows = sources;
        }
        if (cache != null) cache.select(index, rows);
        int[] seen = new int[rows.length];
        int[] limits = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            seen[i] = mediaSeen[rows[i]];
            limits[i] = mediaLimits[rows[i]];
        }
        mediaSeen = seen;
        mediaLimits = limits;
        index.close();
    }
}
