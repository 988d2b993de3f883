package io.narrator.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.narrator.model.DjlSetup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MappedCheckpoint} over PyTorch views (src/test/resources/checkpoints/pytorch/views.bin): renamed and reshaped
 * tensors read the same values, into arrays, floats and a streamed safetensors file alike.
 */
class MappedCheckpointTest {
    @TempDir Path tmp;

    static Path views() throws Exception {
        return Path.of(MappedCheckpointTest.class.getResource("/checkpoints/pytorch/views.bin").toURI());
    }

    @Test
    void renamedAndReshapedViewsReadTheSameValuesEveryWay() throws Exception {
        DjlSetup.configure();
        try (Checkpoint torch = Checkpoint.open(views())) {
            float[] base = torch.readFloats("base");
            float[] transposed = torch.readFloats("transposed");
            float[] column = torch.readFloats("column_1");
            MappedCheckpoint view = MappedCheckpoint.of("view", List.of(
                    new MappedCheckpoint.Entry("flat", torch, "base", new long[] {24}),
                    new MappedCheckpoint.Entry("t3", torch, "transposed", new long[] {6, 1, 4}),
                    new MappedCheckpoint.Entry("col", torch, "column_1", new long[] {4, 1}),
                    MappedCheckpoint.Entry.renamed("rows", torch, "rows_1_2")), List.of());
            assertThat(view.names()).containsExactly("flat", "t3", "col", "rows");
            assertThat(view.info("t3").shape()).containsExactly(6, 1, 4);
            assertThat(view.readFloats("flat")).containsExactly(base);
            assertThat(view.readFloats("t3")).containsExactly(transposed);
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray t3 = view.read("t3", m);
                assertThat(t3.getShape().getShape()).containsExactly(6, 1, 4);
                assertThat(t3.toFloatArray()).containsExactly(transposed);
                assertThat(view.read("col", m).toFloatArray()).containsExactly(column);
            }
            Path file = tmp.resolve("view.safetensors");
            SafeTensors.write(file, view, SafeTensors.Precision.F32, Map.of());
            Map<String, Tensor> back = SafeTensors.read(file);
            assertThat(back.get("t3").shape()).containsExactly(6, 1, 4);
            assertThat(back.get("t3").values()).containsExactly(transposed);
            assertThat(back.get("rows").values()).containsExactly(torch.readFloats("rows_1_2"));
            assertThat(Files.exists(tmp.resolve("view.safetensors.tmp"))).isFalse();
        }
    }

    @Test
    void aStridedViewReshapedAcrossItsStridesIsCopiedAndCountsMustAgree() throws Exception {
        DjlSetup.configure();
        try (Checkpoint torch = Checkpoint.open(views())) {
            float[] transposed = torch.readFloats("transposed");
            MappedCheckpoint view = MappedCheckpoint.of("view", List.of(new MappedCheckpoint.Entry("t", torch, "transposed", new long[] {24})),
                    List.of());
            assertThat(view.stored("t").readFloats()).containsExactly(transposed);
            try (NDManager m = NDManager.newBaseManager()) {
                assertThat(view.read("t", m).toFloatArray()).containsExactly(transposed);
            }
            assertThatThrownBy(() -> MappedCheckpoint.of("view", List.of(new MappedCheckpoint.Entry("t", torch, "base", new long[] {5, 5})), List.of()))
                    .hasMessage(views() + ": tensor base has shape [4, 6] (24 values), which cannot be read as t of shape [5, 5]");
            assertThatThrownBy(() -> MappedCheckpoint.of("view", List.of(MappedCheckpoint.Entry.renamed("x", torch, "base"),
                    MappedCheckpoint.Entry.renamed("x", torch, "tail")), List.of()))
                    .hasMessage("view: tensor x would come from both " + views() + " (base) and " + views() + " (tail)");
        }
    }
}
