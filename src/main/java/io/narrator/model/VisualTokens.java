package io.narrator.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * A batch's visual tokens, each distinct media item's once: {@code items} (G, V, Dv) and, for every row's media
 * slots, the item that fills it. Rows that share media (a prompt's few-shot examples, one request's beams) point
 * at the same item, so whatever is computed per item (the cross-attention keys and values) is computed once and
 * then laid out per row ({@link #layout}). A slot without media (a row with fewer media than the batch's widest)
 * is {@link #EMPTY} and reads as zeros; text never attends to it.
 *
 * <p>Shapes: B rows, M media slots per row, G distinct items, V tokens per item, Dv visual width.
 */
public final class VisualTokens {
    /** A slot without media. */
    public static final int EMPTY = -1;

    private final NDArray items;
    private final int[][] slots;
    private final boolean inOrder;

    private VisualTokens(NDArray items, int[][] slots) {
        this.items = items;
        this.slots = slots;
        boolean order = true;
        for (int r = 0, next = 0; order && r < slots.length; r++)
            for (int j = 0; order && j < slots[r].length; j++) order = slots[r][j] == next++;
        this.inOrder = order && slots.length * (long) slots[0].length == items.getShape().get(0);
    }

    /**
     * Visual tokens given item by item.
     *
     * @param items (G, V, Dv) the distinct items' tokens
     * @param slots for each row, the item in each of its M slots ({@link #EMPTY} for none); every row has M slots
     */
    public static VisualTokens of(NDArray items, int[][] slots) {
        Shape s = items.getShape();
        if (s.dimension() != 3) throw new IllegalArgumentException("visual token items must be (items, tokens, width), got " + s);
        if (slots.length == 0 || slots[0].length == 0)
            throw new IllegalArgumentException("visual tokens need at least one row of at least one media slot");
        int width = slots[0].length;
        for (int r = 0; r < slots.length; r++) {
            if (slots[r].length != width)
                throw new IllegalArgumentException("row " + r + " has " + slots[r].length + " media slots, row 0 has " + width);
            for (int item : slots[r])
                if (item < EMPTY || item >= s.get(0))
                    throw new IllegalArgumentException("row " + r + " names media item " + item + " but there are " + s.get(0));
        }
        int[][] copy = new int[slots.length][];
        for (int r = 0; r < slots.length; r++) copy[r] = slots[r].clone();
        return new VisualTokens(items, copy);
    }

    /** Dense visual tokens (B, M, V, Dv): every slot its own item. */
    public static VisualTokens of(NDArray dense) {
        Shape s = dense.getShape();
        if (s.dimension() != 4) throw new IllegalArgumentException("visual tokens must be (rows, media, tokens, width), got " + s);
        int rows = Math.toIntExact(s.get(0));
        int width = Math.toIntExact(s.get(1));
        int[][] slots = new int[rows][width];
        for (int r = 0; r < rows; r++) for (int j = 0; j < width; j++) slots[r][j] = r * width + j;
        return new VisualTokens(dense.reshape((long) rows * width, s.get(2), s.get(3)), slots);
    }

    /** The distinct items' tokens, (G, V, Dv). */
    public NDArray items() {
        return items;
    }

    public int rows() {
        return slots.length;
    }

    /** Media slots per row, M. */
    public int slots() {
        return slots[0].length;
    }

    /** Tokens per media item, V. */
    public int tokensPerItem() {
        return Math.toIntExact(items.getShape().get(1));
    }

    /** The item in row {@code row}'s slot {@code slot}, or {@link #EMPTY}. */
    public int item(int row, int slot) {
        return slots[row][slot];
    }

    /** The given rows, in that order, with only the items they use (on {@code items}' manager). */
    public VisualTokens rows(int[] rows) {
        int[] renumbered = new int[Math.toIntExact(items.getShape().get(0))];
        Arrays.fill(renumbered, EMPTY);
        int used = 0;
        int[][] picked = new int[rows.length][];
        long[] keep = new long[renumbered.length];
        for (int i = 0; i < rows.length; i++) {
            picked[i] = slots[rows[i]].clone();
            for (int j = 0; j < picked[i].length; j++) {
                int item = picked[i][j];
                if (item == EMPTY) continue;
                if (renumbered[item] == EMPTY) {
                    renumbered[item] = used;
                    keep[used++] = item;
                }
                picked[i][j] = renumbered[item];
            }
        }
        NDArray index = items.getManager().create(Arrays.copyOf(keep, Math.max(used, 1)), new Shape(Math.max(used, 1)));
        return new VisualTokens(items.get(index), picked); // (G', V, Dv)
    }

    /**
     * Lays out something computed per item, (G, V, X), per row: (B, M·V, X), each row's slots one after the other,
     * empty slots zeros. When the items are already the rows' slots in order, this is a reshape.
     */
    public NDArray layout(NDArray perItem) {
        Shape s = perItem.getShape();
        if (s.dimension() != 3 || s.get(0) != items.getShape().get(0) || s.get(1) != items.getShape().get(1))
            throw new IllegalArgumentException("expected (" + items.getShape().get(0) + ", " + items.getShape().get(1)
                    + ", width) per item, got " + s);
        long rowTokens = (long) slots() * s.get(1);
        if (inOrder) return perItem.reshape(rows(), rowTokens, s.get(2)); // (B, M·V, X)
        long g = s.get(0);
        long[] index = new long[rows() * slots()];
        boolean empty = false;
        for (int r = 0; r < rows(); r++)
            for (int j = 0; j < slots(); j++) {
                int item = slots[r][j];
                empty |= item == EMPTY;
                index[r * slots() + j] = item == EMPTY ? g : item; // the zero item appended below
            }
        NDManager m = perItem.getManager();
        NDArray source = empty ? NDArrays.concat(new NDList(perItem, m.zeros(new Shape(1, s.get(1), s.get(2)), perItem.getDataType())), 0)
                : perItem; // (G or G+1, V, X)
        NDArray picked = source.get(m.create(index, new Shape(index.length)).toType(DataType.INT64, false)); // (B·M, V, X)
        return picked.reshape(rows(), rowTokens, s.get(2)); // (B, M·V, X)
    }
}
