package io.narrator.model.checkpoint;

import java.util.Arrays;

/**
 * Whether two tensors of checkpoints hold the same values — a tied output head saved beside the token embeddings it
 * repeats: the same bytes of one storage (PyTorch saves tied weights so), or equal values compared a block of rows at a
 * time (never more than a few MB in memory, whatever the tensors' size).
 */
public final class TiedTensors {
    /** Elements compared at once. */
    private static final long BLOCK = 1 << 20;

    /** How two tensors relate. */
    public enum Kind {
        /** Two names of the same bytes. */
        SAME_STORAGE,
        /** Different bytes, equal values (bit for bit, as float32). */
        EQUAL_VALUES,
        /** Different shapes. */
        DIFFERENT_SHAPES,
        /** Same shape, some value differs. */
        DIFFERENT_VALUES
    }

    /** The outcome: its kind and, for {@link Kind#DIFFERENT_VALUES}, the row-major index of the first differing value (else -1). */
    public record Comparison(Kind kind, long firstDifference) {
        /** True when the second tensor merely repeats the first. */
        public boolean tied() {
            return kind == Kind.SAME_STORAGE || kind == Kind.EQUAL_VALUES;
        }
    }

    private TiedTensors() {}

    public static Comparison compare(Checkpoint a, String nameA, Checkpoint b, String nameB) throws CheckpointException {
        long[] shape = a.info(nameA).shape();
        if (!Arrays.equals(shape, b.info(nameB).shape())) return new Comparison(Kind.DIFFERENT_SHAPES, -1);
        StoredTensors sa = StoredTensors.of(a);
        StoredTensors sb = StoredTensors.of(b);
        if (sa == null || sb == null) {
            int at = Arrays.mismatch(a.readFloats(nameA), b.readFloats(nameB));
            return at < 0 ? new Comparison(Kind.EQUAL_VALUES, -1) : new Comparison(Kind.DIFFERENT_VALUES, at);
        }
        StoredTensor ta = sa.stored(nameA);
        StoredTensor tb = sb.stored(nameB);
        if (ta.sameView(tb)) return new Comparison(Kind.SAME_STORAGE, -1);
        if (shape.length == 0) {
            int at = Arrays.mismatch(ta.readFloats(), tb.readFloats());
            return at < 0 ? new Comparison(Kind.EQUAL_VALUES, -1) : new Comparison(Kind.DIFFERENT_VALUES, at);
        }
        long rowSize = Math.max(1, ta.info().numel() / Math.max(1, shape[0]));
        long rowsPerBlock = Math.max(1, BLOCK / rowSize);
        for (long start = 0; start < shape[0]; start += rowsPerBlock) {
            long end = Math.min(shape[0], start + rowsPerBlock);
            int at = Arrays.mismatch(ta.rows(start, end).readFloats(), tb.rows(start, end).readFloats());
            if (at >= 0) return new Comparison(Kind.DIFFERENT_VALUES, start * rowSize + at);
        }
        return new Comparison(Kind.EQUAL_VALUES, -1);
    }
}
