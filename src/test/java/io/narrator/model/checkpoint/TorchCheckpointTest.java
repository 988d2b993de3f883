package io.narrator.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.model.DjlSetup;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PyTorch checkpoints written by real {@code torch.save} (src/test/python/make_pickle_fixtures.py): every tensor of
 * every format read exactly as torch recorded it, and every damaged or hostile file refused with one line naming the
 * file and the tensor or byte at fault.
 */
class TorchCheckpointTest {
    static final Path DIR = fixtures();
    static JsonNode expected;
    static NDManager manager;
    @TempDir static Path tmp;

    @BeforeAll
    static void setUp() throws Exception {
        expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
        DjlSetup.configure();
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Path fixtures() {
        try {
            return Path.of(TorchCheckpointTest.class.getClassLoader().getResource("checkpoints/pytorch/expected.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"state_dict.bin", "tied.bin", "views.bin", "training.bin", "protocol4.bin", "legacy.bin", "archive_prefix.bin"})
    void everyTensorReadsExactlyAsTorchSavedIt(String file) throws Exception {
        JsonNode tensors = expected.get(file);
        try (Checkpoint checkpoint = Checkpoint.open(DIR.resolve(file))) {
            assertThat(checkpoint).isInstanceOf(TorchCheckpoint.class);
            List<String> names = new ArrayList<>();
            tensors.forEach(t -> names.add(t.get("name").asText()));
            assertThat(checkpoint.names()).containsExactlyElementsOf(names);
            for (JsonNode t : tensors) {
                String name = t.get("name").asText();
                TensorInfo info = checkpoint.info(name);
                assertThat(info.dtype().name()).as(name).isEqualTo(t.get("dtype").asText());
                assertThat(info.shape()).as(name).containsExactly(longs(t.get("shape")));
                assertThat(info.file()).isEqualTo(DIR.resolve(file).toString());
                int[] bits = ints(t.get("bits"));
                assertThat(bits(checkpoint.readFloats(name))).as(name).containsExactly(bits);
                try (NDArray a = checkpoint.read(name, manager)) {
                    assertThat(a.getDataType()).isEqualTo(DataType.FLOAT32);
                    assertThat(a.getShape().getShape()).as(name).containsExactly(longs(t.get("shape")));
                    assertThat(bits(a.toFloatArray())).as(name).containsExactly(bits);
                }
            }
        }
    }

    @Test
    void everyDtypeReadsIntoTheEngineAsItselfAndHalfAsHalf() throws Exception {
        try (Checkpoint c = Checkpoint.open(DIR.resolve("state_dict.bin"))) {
            try (NDArray ids = c.read("position_ids", manager, DataType.INT64)) {
                assertThat(ids.getDataType()).isEqualTo(DataType.INT64);
                assertThat(ids.toLongArray()).containsExactly(0, 1, 2, 3, 4, 5);
            }
            try (NDArray i32 = c.read("i32", manager, DataType.INT32)) {
                assertThat(i32.toIntArray()).containsExactly(Integer.MIN_VALUE, 7, 1 << 24);
            }
            try (NDArray mask = c.read("mask", manager, DataType.BOOLEAN)) {
                assertThat(mask.toBooleanArray()).containsExactly(true, false, true);
            }
            try (NDArray f64 = c.read("f64", manager, DataType.FLOAT64)) {
                assertThat(f64.toDoubleArray()).containsExactly(1.0 / 3, -1e-300, Math.pow(2, 60), 7.25);
            }
            // half precision: F16 copied bit for bit, F32 rounded to nearest even, BF16 through float32
            float[] half = c.readFloats("half");
            try (NDArray h = c.read("half", manager, DataType.FLOAT16)) {
                assertThat(h.getDataType()).isEqualTo(DataType.FLOAT16);
                assertThat(bits(h.toType(DataType.FLOAT32, false).toFloatArray())).containsExactly(bits(half));
            }
            for (String name : List.of("fc.weight", "bf16")) {
                float[] f = c.readFloats(name);
                float[] asHalf = new float[f.length];
                for (int i = 0; i < f.length; i++) asHalf[i] = Float16.toFloat(Float16.fromFloat(f[i]));
                try (NDArray h = c.read(name, manager, DataType.FLOAT16)) {
                    assertThat(bits(h.toType(DataType.FLOAT32, false).toFloatArray())).as(name).containsExactly(bits(asHalf));
                }
            }
            try (NDArray empty = c.read("empty", manager)) {
                assertThat(empty.getShape().getShape()).containsExactly(0, 3);
            }
            assertThatThrownBy(() -> c.read("bf16", manager, DataType.BFLOAT16))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tensor bf16: bfloat16 arrays are not available (DJL 0.36's PyTorch engine aborts the JVM on "
                            + "creating or converting to them); read it as FLOAT32 or FLOAT16");
            assertThatThrownBy(() -> c.read("position_ids", manager, DataType.FLOAT16))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("tensor position_ids holds I64 values, which are read as int64 or FLOAT32, not float16");
            assertThatThrownBy(() -> c.info("nope")).hasMessage(DIR.resolve("state_dict.bin") + " has no tensor nope");
        }
    }

    @Test
    void tiedWeightsAreTwoNamesOverOneStorage() throws Exception {
        assertThat(expected.get("tied.bin.storages").asInt()).isEqualTo(2); // embeddings + layer norm: the head has none of its own
        try (Checkpoint c = Checkpoint.open(DIR.resolve("tied.bin"))) {
            float[] embed = c.readFloats("flamingo.lm.model.decoder.embed_tokens.weight");
            assertThat(c.readFloats("flamingo.lm_head.weight")).containsExactly(embed);
            assertThat(c.info("flamingo.lm_head.weight").shape()).containsExactly(7, 4);
        }
    }

    @Test
    void viewsAtOffsetsWithStepsTransposedOrBroadcastReadTheirOwnElements() throws Exception {
        try (Checkpoint c = Checkpoint.open(DIR.resolve("views.bin"))) {
            float[] base = c.readFloats("base"); // 4×6, values i/8
            for (int i = 0; i < 24; i++) assertThat(base[i]).isEqualTo(i / 8f);
            float[] t = c.readFloats("transposed"); // 6×4
            for (int i = 0; i < 6; i++) for (int j = 0; j < 4; j++) assertThat(t[i * 4 + j]).isEqualTo(base[j * 6 + i]);
            assertThat(c.readFloats("rows_1_2")).containsExactly(java.util.Arrays.copyOfRange(base, 6, 18));
            assertThat(c.readFloats("column_1")).containsExactly(base[1], base[7], base[13], base[19]);
            assertThat(c.readFloats("broadcast")).containsExactly(0.5f, 1.5f, 2.5f, 0.5f, 1.5f, 2.5f);
            try (NDArray a = c.read("transposed", manager)) {
                assertThat(a.getShape().getShape()).containsExactly(6, 4);
                assertThat(a.toFloatArray()).containsExactly(t);
            }
        }
    }

    @Test
    void aTrainingCheckpointsModelIsSelectedByItsPrefix() throws Exception {
        try (Checkpoint whole = Checkpoint.open(DIR.resolve("training.bin"));
                Checkpoint model = Checkpoint.open(DIR.resolve("training.bin")).select("model_state_dict.module.")) {
            assertThat(model.names()).containsExactly("fc.weight", "fc.bias", "out.weight", "out.bias");
            assertThat(model.info("fc.weight").shape()).containsExactly(2, 3);
            assertThat(model.info("fc.weight").name()).isEqualTo("fc.weight");
            assertThat(model.readFloats("out.bias")).containsExactly(whole.readFloats("model_state_dict.module.out.bias"));
            assertThat(model.source()).isEqualTo(DIR.resolve("training.bin") + " [model_state_dict.module.*]");
            assertThatThrownBy(() -> model.readFloats("module.fc.weight"))
                    .hasMessage(DIR.resolve("training.bin") + " [model_state_dict.module.*] has no tensor module.fc.weight");
            assertThatThrownBy(() -> whole.select("state_dict."))
                    .hasMessage(DIR.resolve("training.bin") + " has no tensors under state_dict. (its tensors are under: "
                            + "model_state_dict. (4), optimizer_state_dict. (12))");
        }
    }

    @Test
    void aForeignGlobalIsRefusedByNameAndNeverRun() {
        Path file = DIR.resolve("foreign_global.bin");
        assertThatThrownBy(() -> Checkpoint.open(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessage("refusing to load posix.system from " + file + ": only tensors and state dicts are read");
    }

    @Test
    void aTorchScriptArchiveIsRefusedSayingWhatToGiveInstead() {
        Path file = DIR.resolve("torchscript.pt");
        assertThatThrownBy(() -> Checkpoint.open(file))
                .isInstanceOf(CheckpointException.class)
                .hasMessage(file + ": a TorchScript archive (torch.jit.save: a module with its code, as OpenAI's CLIP ViT-L-14.pt is), which "
                        + "is not read; give the weights as a state dict (torch.save(model.state_dict()) or safetensors), e.g. "
                        + "open_clip_pytorch_model.bin of timm/vit_large_patch14_clip_224.openai for ViT-L-14");
    }

    @Test
    void damagedFilesNameTheFileAndTheTensor() {
        assertThatThrownBy(() -> Checkpoint.open(DIR.resolve("truncated.bin")))
                .hasMessageStartingWith(DIR.resolve("truncated.bin") + ": not a readable zip archive (truncated or corrupt?): ");
        assertThatThrownBy(() -> Checkpoint.open(DIR.resolve("short_storage.bin")))
                .hasMessage(DIR.resolve("short_storage.bin") + ": truncated: tensor flamingo.lm.model.decoder.embed_tokens.weight "
                        + "needs 112 bytes of data/0 but the file holds 108 of them");
        assertThatThrownBy(() -> Checkpoint.open(DIR.resolve("legacy_truncated.bin")))
                .hasMessageMatching(java.util.regex.Pattern.quote(DIR.resolve("legacy_truncated.bin").toString())
                        + ": truncated: tensor \\w+ needs \\d+ bytes of storage \\d+ but the file holds \\d+ of them");
        assertThatThrownBy(() -> Checkpoint.open(DIR.resolve("bad_opcode.bin")))
                .hasMessage(DIR.resolve("bad_opcode.bin") + ": tied/data.pkl at byte 2: unknown pickle opcode 0xff: not a pickle "
                        + "torch.save writes (corrupt?)");
        assertThatThrownBy(() -> Checkpoint.open(DIR.resolve("complex.bin")))
                .hasMessage(DIR.resolve("complex.bin") + ": tensor z has storage type torch.ComplexFloatStorage; only F64, F32, F16, "
                        + "BF16, I64, I32, I16, I8, U8, BOOL tensors are read");
        assertThatThrownBy(() -> Checkpoint.open(DIR.resolve("overflow.bin")))
                .hasMessage(DIR.resolve("overflow.bin") + ": tensor huge with shape [4611686018427387904, 4], strides [4, 1] and "
                        + "offset 0 overflows 64 bits (corrupt?)");
        assertThatThrownBy(() -> Checkpoint.open(DIR.resolve("out_of_range.bin")))
                .hasMessage(DIR.resolve("out_of_range.bin") + ": tensor past_end needs elements 2..6 of data/0 but it holds 4 (corrupt?)");
        assertThatThrownBy(() -> Checkpoint.open(DIR.resolve("not_a_state_dict.bin")))
                .hasMessage(DIR.resolve("not_a_state_dict.bin") + ": holds a single tensor, not a state dict (a dict of tensors)");
    }

    @Test
    void filesThatAreNoCheckpointAreNamedSo() throws Exception {
        Path empty = Files.write(tmp.resolve("empty.bin"), new byte[0]);
        assertThatThrownBy(() -> Checkpoint.open(empty))
                .hasMessage(empty + ": not a checkpoint: neither safetensors, a PyTorch zip nor a PyTorch pickle (it starts with "
                        + "bytes none: the file is empty)");
        Path text = Files.writeString(tmp.resolve("weights.bin"), "hello, world");
        assertThatThrownBy(() -> Checkpoint.open(text))
                .hasMessage(text + ": not a checkpoint: neither safetensors, a PyTorch zip nor a PyTorch pickle (it starts with "
                        + "bytes 68656c6c6f2c20776f)");
        // pickle.dumps({'a': 1}, protocol=2): a pickle, but not torch.save's
        Path plain = Files.write(tmp.resolve("plain.pkl"),
                new byte[] {(byte) 0x80, 2, '}', 'q', 0, 'X', 1, 0, 0, 0, 'a', 'q', 1, 'K', 1, 's', '.'});
        assertThatThrownBy(() -> Checkpoint.open(plain))
                .hasMessage(plain + ": a pickle, but not a torch.save file (its first value is not PyTorch's magic number)");
        assertThatThrownBy(() -> Checkpoint.open(tmp.resolve("missing.bin"))).hasMessage(tmp.resolve("missing.bin") + ": no such file");
        byte[] tarHeader = new byte[1024]; // PyTorch before 0.4 saved a tar archive: "ustar" at byte 257
        System.arraycopy("ustar".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, tarHeader, 257, 5);
        Path tar = Files.write(tmp.resolve("old.tar"), tarHeader);
        assertThatThrownBy(() -> Checkpoint.open(tar))
                .hasMessage(tar + ": a tar archive, PyTorch's format before 0.4, which is not read; load it with torch.load in "
                        + "Python and save it again with torch.save (or as safetensors)");
        assertThatThrownBy(() -> Checkpoint.open(tmp)).hasMessage(tmp + " is a directory; open a checkpoint file in it (or use "
                + "Checkpoint.inDirectory)");
        assertThatThrownBy(() -> Checkpoint.inDirectory(tmp)).hasMessage(tmp + " holds no weights: looked for model.safetensors, "
                + "model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json");
    }

    @Test
    void aTorchCheckpointCopiesIntoSafetensorsValueForValue() throws Exception {
        Path out = tmp.resolve("converted.safetensors");
        try (Checkpoint c = Checkpoint.open(DIR.resolve("state_dict.bin"))) {
            SafeTensors.write(out, c, SafeTensors.Precision.F32, Map.of("source", "state_dict.bin"));
            try (SafeTensors copy = SafeTensors.open(out)) {
                assertThat(copy.names()).containsExactlyElementsOf(c.names());
                assertThat(copy.metadata()).containsEntry("source", "state_dict.bin");
                for (String name : c.names()) {
                    DType dtype = c.info(name).dtype();
                    assertThat(copy.info(name).dtype()).as(name).isEqualTo(dtype.isFloatingPoint() ? DType.F32 : dtype);
                    assertThat(bits(copy.readFloats(name))).as(name).containsExactly(bits(c.readFloats(name)));
                }
            }
        }
        try (Checkpoint views = Checkpoint.open(DIR.resolve("views.bin"))) {
            Path viewsOut = tmp.resolve("views.safetensors");
            SafeTensors.write(viewsOut, views, SafeTensors.Precision.F16, Map.of());
            try (SafeTensors copy = SafeTensors.open(viewsOut)) {
                assertThat(copy.info("transposed").dtype()).isEqualTo(DType.F16);
                assertThat(copy.readFloats("transposed")).containsExactly(views.readFloats("transposed")); // i/8: exact in F16
            }
        }
    }

    static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Float.floatToRawIntBits(values[i]);
        return out;
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asLong();
        return out;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (int) array.get(i).asLong();
        return out;
    }
}
