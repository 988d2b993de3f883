package io.narrator.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Visual tokens given once per distinct media item: the per-row layout, sub-batches, and the model on them. */
class VisualTokensTest {
    private static final int E = VisualTokens.EMPTY;
    @TempDir static Path tmp;
    static FlamingoModel model;

    @BeforeAll
    static void load() throws Exception {
        model = TinyModels.random(tmp, 11);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Item g's (V, X) block filled with g + 1, so every block of a layout says which item it came from. */
    private static NDArray numbered(NDManager m, int items, int v, int x) {
        float[] values = new float[items * v * x];
        for (int i = 0; i < values.length; i++) values[i] = i / (v * x) + 1;
        return m.create(values, new Shape(items, v, x));
    }

    /** The item each (V, X) block of a (B, M·V, X) layout holds (0 for zeros), from its first value. */
    private static int[][] blocks(NDArray layout, int v) {
        int b = (int) layout.getShape().get(0);
        int slots = (int) (layout.getShape().get(1) / v);
        int x = (int) layout.getShape().get(2);
        float[] flat = layout.toFloatArray();
        int[][] out = new int[b][slots];
        for (int r = 0; r < b; r++)
            for (int j = 0; j < slots; j++) {
                int base = (r * slots + j) * v * x;
                out[r][j] = (int) flat[base];
                for (int i = 0; i < v * x; i++) assertThat(flat[base + i]).isEqualTo(flat[base]);
            }
        return out;
    }

    @Test
    void laysOutEachRowsSlotsFromTheItemsAndEmptySlotsAsZeros() {
        try (NDManager m = NDManager.newBaseManager()) {
            VisualTokens visual = VisualTokens.of(numbered(m, 3, 2, 5), new int[][] {{0, 1}, {0, 2}, {2, E}});
            NDArray layout = visual.layout(numbered(m, 3, 2, 5)); // (3, 2·2, 5)
            assertThat(layout.getShape()).isEqualTo(new Shape(3, 4, 5));
            assertThat(blocks(layout, 2)).isEqualTo(new int[][] {{1, 2}, {1, 3}, {3, 0}});
            assertThat(visual.rows()).isEqualTo(3);
            assertThat(visual.slots()).isEqualTo(2);
            assertThat(visual.tokensPerItem()).isEqualTo(2);
        }
    }

    @Test
    void denseTokensAreTheirOwnItemsInOrder() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray dense = m.randomNormal(new Shape(2, 3, 4, 6)); // (B, M, V, Dv)
            VisualTokens visual = VisualTokens.of(dense);
            assertThat(visual.items().getShape()).isEqualTo(new Shape(6, 4, 6));
            assertThat(visual.item(1, 2)).isEqualTo(5);
            assertThat(visual.layout(visual.items()).toFloatArray()).containsExactly(dense.toFloatArray());
        }
    }

    @Test
    void aSubBatchKeepsOnlyTheItemsItsRowsUse() {
        try (NDManager m = NDManager.newBaseManager()) {
            VisualTokens visual = VisualTokens.of(numbered(m, 4, 2, 3), new int[][] {{0, 1}, {3, E}, {2, 3}});
            VisualTokens sub = visual.rows(new int[] {2, 1, 2});
            assertThat(sub.items().getShape()).isEqualTo(new Shape(2, 2, 3)); // items 2 and 3
            assertThat(blocks(sub.layout(sub.items()), 2)).isEqualTo(new int[][] {{3, 4}, {4, 0}, {3, 4}});
        }
    }

    @Test
    void gradientsOfSharedItemsSumOverEverySlotThatUsesThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray items = m.randomNormal(new Shape(2, 3, 4)); // (G, V, X)
            items.setRequiresGradient(true);
            NDArray weights = m.randomNormal(new Shape(2, 6, 4)); // (B, M·V, X)
            VisualTokens visual = VisualTokens.of(items, new int[][] {{0, 1}, {1, E}});
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(visual.layout(items).mul(weights).sum());
            }
            // item 0 fills row 0 slot 0; item 1 fills row 0 slot 1 and row 1 slot 0
            NDArray expected = NDArrays.stack(new NDList(weights.get("0, 0:3, :"),
                    weights.get("0, 3:6, :").add(weights.get("1, 0:3, :")))); // (G, V, X)
            float[] got = items.getGradient().toFloatArray();
            float[] want = expected.toFloatArray();
            for (int i = 0; i < want.length; i++) assertThat(got[i]).isCloseTo(want[i], within(1e-6f));
        }
    }

    @Test
    void theModelOnSharedItemsComputesWhatItComputesOnTheSameTokensRowByRow() {
        try (NDManager m = model.manager().newSubManager()) {
            FlamingoConfig c = model.config();
            int v = c.perceiver().latents();
            m.getEngine().setRandomSeed(5);
            NDArray items = m.randomNormal(new Shape(3, v, c.visualDim())); // (G, V, Dv)
            int[][] slots = {{0, 1}, {0, 2}, {2, E}};
            NDArray zeros = m.zeros(new Shape(v, c.visualDim()));
            NDList rows = new NDList();
            for (int[] row : slots) {
                NDList slotTokens = new NDList();
                for (int item : row) slotTokens.add(item == E ? zeros : items.get(item));
                rows.add(NDArrays.stack(slotTokens)); // (M, V, Dv)
            }
            NDArray dense = NDArrays.stack(rows); // (B, M, V, Dv)

            List<String> prompts = List.of(model.prompt(List.of("a red circle")), model.prompt(List.of("two blue squares")),
                    model.prompt(List.of()));
            long[][] ids = new long[3][];
            for (int r = 0; r < 3; r++) ids[r] = model.tokenizer().encode(prompts.get(r) + " a star");
            int t = ids[0].length;
            for (long[] row : ids) assertThat(row.length).as("the prompts must be the same length").isLessThanOrEqualTo(t);
            long[] flat = new long[3 * t];
            int[][] mask = new int[3][t];
            for (int r = 0; r < 3; r++) {
                int pad = t - ids[r].length;
                System.arraycopy(ids[r], 0, flat, r * t + pad, ids[r].length);
                for (int i = pad; i < t; i++) mask[r][i] = 1;
            }
            NDArray input = m.create(flat, new Shape(3, t)).toType(DataType.INT64, false);
            float[] shared = model.block().forward(input, mask, model.block().start(m, VisualTokens.of(items, slots), false)).toFloatArray();
            float[] perRow = model.block().forward(input, mask, model.block().start(m, dense, false)).toFloatArray();
            assertThat(shared).hasSameSizeAs(perRow);
            for (int i = 0; i < shared.length; i++) assertThat(shared[i]).isCloseTo(perRow[i], within(1e-5f));
        }
    }

    @Test
    void badItemsOrSlotsAreRejectedWithTheReason() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray items = m.zeros(new Shape(2, 3, 4));
            assertThatThrownBy(() -> VisualTokens.of(items, new int[][] {{0, 1}, {1}}))
                    .hasMessage("row 1 has 1 media slots, row 0 has 2");
            assertThatThrownBy(() -> VisualTokens.of(items, new int[][] {{0, 2}}))
                    .hasMessage("row 0 names media item 2 but there are 2");
            assertThatThrownBy(() -> VisualTokens.of(items, new int[0][]))
                    .hasMessage("visual tokens need at least one row of at least one media slot");
            assertThatThrownBy(() -> VisualTokens.of(m.zeros(new Shape(2, 3)), new int[][] {{0}}))
                    .hasMessageContaining("visual token items must be (items, tokens, width)");
            assertThatThrownBy(() -> VisualTokens.of(m.zeros(new Shape(2, 3, 4))))
                    .hasMessageContaining("visual tokens must be (rows, media, tokens, width)");
            assertThatThrownBy(() -> VisualTokens.of(items, new int[][] {{0, 1}}).layout(m.zeros(new Shape(3, 3, 8))))
                    .hasMessage("expected (2, 3, width) per item, got (3, 3, 8)");
        }
    }
}
