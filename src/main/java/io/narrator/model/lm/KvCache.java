package io.narrator.model.lm;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The LM's self-attention cache for a batch of sequences: one {@link LayerCache} per layer, plus the
 * key padding mask of every cached position (1 = token, 0 = left padding), so new tokens never attend
 * to padding.
 */
public final class KvCache {
    private final List<LayerCache> layers = new ArrayList<>();
    private final List<int[]> keyMask = new ArrayList<>(); // per row, per cached position

    /** An empty cache for {@code numLayers} layers whose arrays live on {@code owner}. */
    public KvCache(int numLayers, ai.djl.ndarray.NDManager owner) {
        for (int i = 0; i < numLayers; i++) layers.add(new LayerCache(owner));
    }

    public LayerCache layer(int i) {
        return layers.get(i);
    }

    /** Number of cached positions (including padding). */
    public int length() {
        return keyMask.isEmpty() ? 0 : keyMask.get(0).length;
    }

    /** Rows in the cache. */
    public int rows() {
        return keyMask.size();
    }

    /** The mask of cached positions of one row. */
    public int[] keyMask(int row) {
        return keyMask.get(row);
    }

    /** Records the padding mask of tokens being appended: {@code mask[row][t]}. */
    public void appendMask(int[][] mask) {
        if (keyMask.isEmpty()) {
            for (int[] row : mask) keyMask.add(row.clone());
            return;
        }
        if (mask.length != keyMask.size())
            throw new IllegalArgumentException("cache has " + keyMask.size() + " rows, got " + mask.length);
        for (int r = 0; r < mask.length; r++) {
            int[] old = keyMask.get(r);
            int[] merged = new int[old.length + mask[r].length];
            System.arraycopy(old, 0, merged, 0, old.length);
            System.arraycopy(mask[r], 0, merged, old.length, mask[r].length);
            keyMask.set(r, merged);
        }
    }

    /**
     * Starts this empty cache from another: row i takes {@code from}'s row {@code rows[i]} (int64 indices on any
     * manager), with {@code keyMasks[i]} as the padding mask of its cached positions (all 0 for a row that takes
     * nothing from {@code from} and only sits on one of its rows, never attending to it).
     */
    public void seed(KvCache from, NDArray rows, int[][] keyMasks) {
        if (!keyMask.isEmpty()) throw new IllegalStateException("only an empty cache can be seeded");
        if (from.layers.size() != layers.size()) throw new IllegalArgumentException("caches of " + from.layers.size() + " and " + layers.size() + " layers");
        for (int i = 0; i < layers.size(); i++) layers.get(i).seed(from.layers.get(i), rows);
        for (int[] row : keyMasks) keyMask.add(row.clone());
    }

    /**
     * Keeps the given rows in the given order ({@code rows} holds row indices as int64 on any manager;
     * {@code rowIndices} the same indices in Java).
     */
    public void select(NDArray rows, int[] rowIndices) {
        for (LayerCache layer : layers) layer.select(rows);
        List<int[]> kept = new ArrayList<>(rowIndices.length);
        for (int r : rowIndices) kept.add(keyMask.get(r));
        keyMask.clear();
        keyMask.addAll(kept);
    }

    /** The per-layer caches, read-only. */
    public List<LayerCache> layers() {
        return Collections.unmodifiableList(layers);
    }
}
