package io.narrator.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints split over shards by a Hugging Face {@code *.index.json}: read as one, and every inconsistency named. */
class ShardedCheckpointTest {
    @TempDir Path dir;

    private static final Tensor A = new Tensor("layers.0.weight", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
    private static final Tensor B = new Tensor("layers.0.bias", new long[] {2}, new float[] {-1, 0.5f});
    private static final Tensor C = new Tensor("head.weight", new long[] {1, 2}, new float[] {7, 8});

    private Path shards(String index) throws Exception {
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), List.of(A, B), SafeTensors.Precision.F32, Map.of());
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), List.of(C), SafeTensors.Precision.F16, Map.of());
        return Files.writeString(dir.resolve("model.safetensors.index.json"), index);
    }

    private static final String INDEX = """
            {"metadata": {"total_size": 36},
             "weight_map": {"head.weight": "model-00002-of-00002.safetensors",
                            "layers.0.bias": "model-00001-of-00002.safetensors",
                            "layers.0.weight": "model-00001-of-00002.safetensors"}}""";

    @Test
    void theShardsReadAsOneCheckpointInIndexOrder() throws Exception {
        Path index = shards(INDEX);
        try (Checkpoint c = Checkpoint.open(index)) {
            assertThat(c).isInstanceOf(ShardedCheckpoint.class);
            assertThat(c.names()).containsExactly("head.weight", "layers.0.bias", "layers.0.weight");
            assertThat(c.readFloats("layers.0.weight")).containsExactly(A.values());
            assertThat(c.readFloats("head.weight")).containsExactly(C.values());
            assertThat(c.info("head.weight").dtype()).isEqualTo(DType.F16);
            assertThat(c.info("head.weight").file()).isEqualTo(dir.resolve("model-00002-of-00002.safetensors").toString());
            assertThat(((ShardedCheckpoint) c).shardFiles()).containsExactly(
                    dir.resolve("model-00002-of-00002.safetensors").toString(), dir.resolve("model-00001-of-00002.safetensors").toString());
            assertThatThrownBy(() -> c.readFloats("nope")).hasMessage(index + " has no tensor nope");
        }
        try (Checkpoint c = Checkpoint.inDirectory(dir)) {
            assertThat(c.source()).isEqualTo(index.toString()); // a folder with only shards is read through its index
        }
    }

    @Test
    void everyInconsistencyBetweenIndexAndShardsIsNamed() throws Exception {
        Path index = shards(INDEX);
        Files.writeString(index, INDEX.replace("model-00002-of-00002", "model-00003-of-00002"));
        assertThatThrownBy(() -> Checkpoint.open(index))
                .hasMessage(index + ": shard model-00003-of-00002.safetensors (of tensor head.weight) does not exist in " + dir);
        Files.writeString(index, INDEX.replace("\"layers.0.weight\": \"model-00001-of-00002", "\"layers.0.weight\": \"model-00002-of-00002"));
        assertThatThrownBy(() -> Checkpoint.open(index))
                .hasMessage(index + ": the index puts tensor layers.0.weight in model-00002-of-00002.safetensors, which does not hold it");
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), List.of(C, B), SafeTensors.Precision.F32, Map.of());
        Files.writeString(index, INDEX);
        assertThatThrownBy(() -> Checkpoint.open(index))
                .hasMessage(index + ": tensor layers.0.bias is in two shards, model-00001-of-00002.safetensors and "
                        + "model-00002-of-00002.safetensors");
        Files.writeString(index, "{\"metadata\": {}}");
        assertThatThrownBy(() -> Checkpoint.open(index))
                .hasMessage(index + ": not a sharded checkpoint index: it has no \"weight_map\" of tensor names to files");
        Files.writeString(index, "{\"weight_map\": {\"a\": \"../outside.safetensors\"}}");
        assertThatThrownBy(() -> Checkpoint.open(index))
                .hasMessage(index + ": tensor a is in ../outside.safetensors, outside the index's folder");
        Files.writeString(index, "{ nope");
        assertThatThrownBy(() -> Checkpoint.open(index)).hasMessageStartingWith(index + ": not a valid index: ");
    }

    @Test
    void shardsMayBeTorchSaveFiles() throws Exception {
        Path fixtures = TorchCheckpointTest.fixtures();
        Files.copy(fixtures.resolve("tied.bin"), dir.resolve("pytorch_model-00001-of-00002.bin"));
        Files.copy(fixtures.resolve("archive_prefix.bin"), dir.resolve("pytorch_model-00002-of-00002.bin"));
        Path index = Files.writeString(dir.resolve("pytorch_model.bin.index.json"), """
                {"weight_map": {"flamingo.lm_head.weight": "pytorch_model-00001-of-00002.bin",
                                "flamingo.lm.model.decoder.embed_tokens.weight": "pytorch_model-00001-of-00002.bin",
                                "flamingo.lm.model.decoder.final_layer_norm.weight": "pytorch_model-00001-of-00002.bin",
                                "w": "pytorch_model-00002-of-00002.bin"}}""");
        try (Checkpoint c = Checkpoint.inDirectory(dir)) {
            assertThat(c.source()).isEqualTo(index.toString());
            assertThat(c.names()).hasSize(4);
            assertThat(c.readFloats("w")).containsExactly(1f, 2f, 3f);
            assertThat(c.readFloats("flamingo.lm_head.weight")).containsExactly(c.readFloats("flamingo.lm.model.decoder.embed_tokens.weight"));
        }
    }
}
