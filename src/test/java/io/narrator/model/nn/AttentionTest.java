package io.narrator.model.nn;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class AttentionTest {

    @Test
    void splittingAndMergingHeadsOfOneTokenIsTheGeneralLayout() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(3, 1, 8)); // (B, 1, H·hd), H = 2
            NDArray general = x.reshape(3, 1, 2, 4).transpose(0, 2, 1, 3); // (B, H, 1, hd)
            assertThat(Attention.splitHeads(x, 2).getShape()).isEqualTo(new Shape(3, 2, 1, 4));
            assertThat(Attention.splitHeads(x, 2).toFloatArray()).containsExactly(general.toFloatArray());
            assertThat(Attention.splitHeadsTransposed(x, 2).toFloatArray())
                    .containsExactly(general.transpose(0, 1, 3, 2).toFloatArray());
            assertThat(Attention.mergeHeads(general).toFloatArray()).containsExactly(x.toFloatArray());
        }
    }

    @Test
    void transposedKeysGiveTheSameAttention() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray q = m.randomNormal(new Shape(2, 2, 3, 4)); // (B, H, T, hd)
            NDArray k = m.randomNormal(new Shape(2, 2, 5, 4)); // (B, H, S, hd)
            NDArray v = m.randomNormal(new Shape(2, 2, 5, 4));
            NDArray keysT = Attention.splitHeadsTransposed(Attention.mergeHeads(k), 2); // (B, H, hd, S)
            assertThat(keysT.toFloatArray()).containsExactly(k.transpose(0, 1, 3, 2).toFloatArray());
            assertThat(Attention.attendTransposed(q, keysT, v, null, 0.5f).toFloatArray())
                    .containsExactly(Attention.attend(q, k, v, null, 0.5f).toFloatArray());
        }
    }
}
