package io.narrator.model.family;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.narrator.model.checkpoint.Checkpoint;
import io.narrator.model.checkpoint.MappedCheckpoint;
import io.narrator.model.checkpoint.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of a {@link TensorTable}: placeholders, first match wins, reshapes, ignores, tied copies and reverse lookup. */
class TensorTableTest {
    static Tensor t(String name, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = i;
        return new Tensor(name, shape, v);
    }

    @Test
    void theFirstMatchingRuleDecidesAndPlaceholdersCarryOver() throws Exception {
        Checkpoint source = Checkpoint.of("src", List.of(t("a.layers.3.x.w", 2), t("a.layers.3.y", 2), t("a.layers.10.x.w", 2),
                t("a.pos_ids", 2), t("b.z", 1), t("a.layers.x.w", 2)));
        TensorTable table = TensorTable.builder("test")
                .rename("a.layers.{i}.x.{rest}", "layer.{i}.xx.{rest}")
                .ignore("a.pos_ids", "a buffer")
                .rename("a.{rest}", "A.{rest}")
                .build();
        TensorTable.Mapping m = table.map(source);
        assertThat(m.entries()).extracting(MappedCheckpoint.Entry::name)
                .containsExactly("layer.3.xx.w", "A.layers.3.y", "layer.10.xx.w", "A.layers.x.w");
        assertThat(m.ignored()).containsExactly(new TensorTable.Ignored("a.pos_ids", "a buffer"));
        assertThat(m.unexpected()).containsExactly("b.z");
        assertThat(m.releasedNamesOf("layer.7.xx.b")).containsExactly("a.layers.7.x.b");
        assertThat(m.releasedNamesOf("A.q")).containsExactly("a.q");
        assertThat(m.releasedNamesOf("other")).isEmpty();
    }

    @Test
    void aReshapeIsAViewOfTheSameValues() throws Exception {
        Checkpoint source = Checkpoint.of("src", List.of(t("emb", 4, 1, 3), t("odd", 4, 2, 3)));
        TensorTable table = TensorTable.builder("test").rename("{rest}", "{rest}", TensorTable.Reshape.dropUnitDimension(1)).build();
        TensorTable.Mapping m = table.map(source);
        try (MappedCheckpoint view = MappedCheckpoint.of("view", m.entries(), List.of(source))) {
            assertThat(view.info("emb").shape()).containsExactly(4, 3);
            assertThat(view.readFloats("emb")).containsExactly(source.readFloats("emb"));
            assertThat(view.info("odd").shape()).as("a shape the reshape does not apply to stays as stored").containsExactly(4, 2, 3);
        }
    }

    @Test
    void aSplitReadsEqualRowRangesOfAFusedTensorUnderSeveralNames() throws Exception {
        Checkpoint source = Checkpoint.of("src", List.of(t("b.0.in_proj_weight", 6, 2), t("b.0.in_proj_bias", 6), t("b.1.in_proj_weight", 5, 2)));
        TensorTable table = TensorTable.builder("test")
                .splitRows("b.{i}.in_proj_weight", "l.{i}.q.weight", "l.{i}.k.weight", "l.{i}.v.weight")
                .splitRows("b.{i}.in_proj_bias", "l.{i}.q.bias", "l.{i}.k.bias", "l.{i}.v.bias")
                .build();
        assertThatThrownBy(() -> table.map(source)).hasMessageContaining(
                "tensor b.1.in_proj_weight has shape [5, 2], whose first dimension does not split into 3 equal parts (test table)");
        Checkpoint even = Checkpoint.of("src", List.of(t("b.0.in_proj_weight", 6, 2), t("b.0.in_proj_bias", 6)));
        TensorTable.Mapping m = table.map(even);
        assertThat(m.entries()).extracting(MappedCheckpoint.Entry::name)
                .containsExactly("l.0.q.weight", "l.0.k.weight", "l.0.v.weight", "l.0.q.bias", "l.0.k.bias", "l.0.v.bias");
        assertThat(m.releasedNamesOf("l.3.k.weight")).containsExactly("b.3.in_proj_weight");
        try (MappedCheckpoint view = MappedCheckpoint.of("view", m.entries(), List.of(even))) {
            assertThat(view.info("l.0.k.weight").shape()).containsExactly(2, 2);
            assertThat(view.readFloats("l.0.k.weight")).containsExactly(4, 5, 6, 7); // rows 2 and 3 of 0..11
            assertThat(view.readFloats("l.0.v.bias")).containsExactly(4, 5);
            try (ai.djl.ndarray.NDManager nd = ai.djl.ndarray.NDManager.newBaseManager()) {
                assertThat(view.read("l.0.v.weight", nd).toFloatArray()).containsExactly(8, 9, 10, 11);
            }
        }
    }

    @Test
    void tiedCopiesAreCheckedAndTwoNamesForOneTargetAreRefused() throws Exception {
        Checkpoint same = Checkpoint.of("src", List.of(t("emb", 3, 2), t("head", 3, 2)));
        TensorTable table = TensorTable.builder("test").tied("head", "emb").rename("{rest}", "{rest}").build();
        TensorTable.Mapping m = table.map(same);
        assertThat(m.ties()).containsExactly(new TensorTable.Tie("head", "emb"));
        assertThat(m.verifyTies()).containsExactly(java.util.Map.entry(new TensorTable.Tie("head", "emb"),
                new io.narrator.model.checkpoint.TiedTensors.Comparison(io.narrator.model.checkpoint.TiedTensors.Kind.EQUAL_VALUES, -1)));
        Tensor other = new Tensor("head", new long[] {3, 2}, new float[] {0, 1, 2, 3, 4, 6});
        assertThatThrownBy(() -> table.map(Checkpoint.of("src", List.of(t("emb", 3, 2), other))).verifyTies())
                .hasMessage("src: head differs from emb (first at value 5); the model ties its output head to the token embeddings, so an "
                        + "untied head cannot be imported");
        TensorTable clash = TensorTable.builder("test").rename("a.{rest}", "x.{rest}").rename("b.{rest}", "x.{rest}").build();
        assertThatThrownBy(() -> clash.map(Checkpoint.of("src", List.of(t("a.w", 1), t("b.w", 1)))))
                .hasMessage("src: a.w and b.w both map to x.w in the test table");
        assertThatThrownBy(() -> TensorTable.builder("test").rename("a.{i}", "b.{j}"))
                .hasMessage("rule a.{i} → b.{j}: {j} does not appear in the source pattern");
    }
}
