package io.narrator.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenBatchTest {
    private final TokenBatch batch = TokenBatch.of(
            List.of(new long[] {5, 6, 7, 8, 9}, new long[] {5, 6}, new long[] {5, 6, 7}),
            List.of(new float[] {0, 0, 1, 1, 1}, new float[] {0, 1}, new float[] {0, 1, 1}), 0);

    @Test
    void rowsKeepTheirTokensMasksAndWeightsPaddedOnlyToTheLongestOfThem() {
        TokenBatch tail = batch.rows(1, 3);
        assertThat(tail.rows()).isEqualTo(2);
        assertThat(tail.length()).isEqualTo(3);
        assertThat(tail.ids()).isDeepEqualTo(new long[][] {{5, 6, 0}, {5, 6, 7}});
        assertThat(tail.mask()).isDeepEqualTo(new int[][] {{1, 1, 0}, {1, 1, 1}});
        assertThat(tail.targetWeights()).isDeepEqualTo(new float[][] {{0, 1, 0}, {0, 1, 1}});
        assertThat(batch.rows(0, 1).length()).isEqualTo(5);
        assertThat(batch.rows(0, 3).ids()).isDeepEqualTo(batch.ids());
    }

    @Test
    void theTargetWeightIsWhatTheLossAveragesOverAndItsPartsAddUp() {
        // the first token is never predicted: weights from position 1 on
        assertThat(batch.targetWeight()).isEqualTo(3 + 1 + 2);
        assertThat(batch.rows(0, 1).targetWeight() + batch.rows(1, 3).targetWeight()).isEqualTo(batch.targetWeight());
    }

    @Test
    void rowsOutsideTheBatchAreRefused() {
        assertThatThrownBy(() -> batch.rows(2, 2)).hasMessage("rows [2, 2) of a batch of 3");
        assertThatThrownBy(() -> batch.rows(1, 4)).hasMessage("rows [1, 4) of a batch of 3");
    }
}
