package io.narrator.model.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.IntFunction;

/**
 * An indexed list of blocks named {@code 0, 1, …} (PyTorch's {@code nn.ModuleList}); indices may skip,
 * as in OpenFlamingo's cross-attention list that only has entries before every n-th LM layer.
 */
public final class BlockList<T extends NamedBlock> extends NamedBlock {
    private final List<T> blocks = new ArrayList<>();

    /** Blocks at indices {@code 0 … count-1}. */
    public BlockList(int count, IntFunction<T> factory) {
        for (int i = 0; i < count; i++) blocks.add(child(Integer.toString(i), factory.apply(i)));
    }

    /** Blocks at the given indices only; the list position of index {@code i} is its rank among them. */
    public BlockList(int[] indices, IntFunction<T> factory) {
        for (int i : indices) blocks.add(child(Integer.toString(i), factory.apply(i)));
    }

    public List<T> blocks() {
        return Collections.unmodifiableList(blocks);
    }

    public T get(int position) {
        return blocks.get(position);
    }

    public int size() {
        return blocks.size();
    }
}
