package io.narrator.model.xattn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** A generation step's keys and values narrowed to each row's own media slot, and its mask. */
class PreparedMediaTest {
    @Test
    void eachRowKeepsTheKeysAndValuesOfItsOwnSlot() {
        int b = 2, h = 2, hd = 3, slots = 3, v = 2;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray keysT = m.arange(b * h * hd * slots * v).toType(DataType.FLOAT32, false).reshape(b, h, hd, slots * v); // (B, H, hd, M·V)
            NDArray values = m.arange(b * h * slots * v * hd).toType(DataType.FLOAT32, false).reshape(b, h, slots * v, hd); // (B, H, M·V, hd)
            PreparedMedia all = new PreparedMedia(keysT, values, m.ones(new Shape(1)), m.ones(new Shape(1)));
            int[] slot = {2, 0};
            NDArray index = m.create(new long[] {0L * slots + slot[0], 1L * slots + slot[1]}, new Shape(2));
            PreparedMedia own = all.slotPerRow(index, slots, v);
            assertThat(own.keysT().getShape()).isEqualTo(new Shape(b, h, hd, v));
            assertThat(own.values().getShape()).isEqualTo(new Shape(b, h, v, hd));
            for (int r = 0; r < b; r++) {
                String tokens = slot[r] * v + ":" + (slot[r] + 1) * v;
                assertThat(own.keysT().get(r).toFloatArray()).containsExactly(keysT.get(r + ", :, :, " + tokens).toFloatArray());
                assertThat(own.values().get(r).toFloatArray()).containsExactly(values.get(r + ", :, " + tokens + ", :").toFloatArray());
            }
            assertThat(own.attnGate()).isSameAs(all.attnGate());
        }
    }

    @Test
    void ownMediaMasksNothingButTokensBeforeAnyMedia() {
        try (NDManager m = NDManager.newBaseManager()) {
            MediaMask some = MediaMask.ofOwnMedia(m, new int[][] {{2}, {0}, {1}}, ai.djl.ndarray.types.DataType.FLOAT32);
            assertThat(some.bias()).isNull();
            assertThat(some.hasMedia().toFloatArray()).containsExactly(1f, 0f, 1f);
            MediaMask every = MediaMask.ofOwnMedia(m, new int[][] {{1}, {3}}, ai.djl.ndarray.types.DataType.FLOAT32);
            assertThat(every.bias()).isNull();
            assertThat(every.hasMedia()).isNull();
        }
    }
}
