package io.narrator.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.lm.KvCache;
import io.narrator.model.xattn.MediaKv;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a batch of rows carries from one forward pass to the next: the embedding table, each
 * cross-attention layer's keys and values of the rows' visual tokens (computed once), the LM's
 * self-attention cache (null when recomputing everything) and how many {@code <image>} tokens each row has
 * seen (its text time). All arrays live on {@link #manager()}, which the caller closes.
 */
public final class FlamingoState {
    private final NDManager manager;
    private final NDArray table;
    private final List<MediaKv> media;
    private final int mediaSlots;
    private final int tokensPerMedia;
    private final KvCache cache;
    private int[] mediaSeen;

    FlamingoState(NDManager manager, NDArray table, List<MediaKv> media, int mediaSlots, int tokensPerMedia,
            KvCache cache, int rows) {
        this.manager = manager;
        this.table = table;
        this.media = new ArrayList<>(media);
        this.mediaSlots = mediaSlots;
        this.tokensPerMedia = tokensPerMedia;
        this.cache = cache;
        this.mediaSeen = new int[rows];
    }

    public NDManager manager() {
        return manager;
    }

    /** The effective token embedding table, (W, D). */
    public NDArray table() {
        return table;
    }

    List<MediaKv> media() {
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
     * Keeps the given rows, in the given order (a row may repeat: beam search expanding a prompt into
     * beams, or following the best parents).
     */
    public void select(int[] rows) {
        long[] idx = new long[rows.length];
        for (int i = 0; i < rows.length; i++) idx[i] = rows[i];
        NDArray index = manager.create(idx, new Shape(rows.length)).toType(DataType.INT64, false);
        for (int i = 0; i < media.size(); i++) {
            MediaKv old = media.get(i);
            media.set(i, old.select(index));
            old.keys().close();
            old.values().close();
        }
        if (cache != null) cache.select(index, rows);
        int[] seen = new int[rows.length];
        for (int i = 0; i < rows.length; i++) seen[i] = mediaSeen[rows[i]];
        mediaSeen = seen;
        index.close();
    }
}
