package io.narrator.model.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.narrator.model.FlamingoModel;
import io.narrator.model.TinyModels;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model directories: exact round trips, half-precision formats, and a clear error for every malformed file. */
class CheckpointTest {
    @TempDir static Path tmp;
    static FlamingoModel model;
    static Path saved;

    @BeforeAll
    static void save() throws Exception {
        model = TinyModels.random(tmp, 5);
        saved = tmp.resolve("saved");
        model.save(saved, tmp.resolve("tokenizer.json"), SafeTensors.Precision.F32);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void saveThenLoadIsBitIdentical() throws Exception {
        try (FlamingoModel loaded = FlamingoModel.load(saved)) {
            assertThat(loaded.config()).usingRecursiveComparison().isEqualTo(model.config());
            var original = model.block().namedParameters();
            var copy = loaded.block().namedParameters();
            assertThat(copy.keySet()).containsExactlyElementsOf(original.keySet());
            for (String name : original.keySet())
                assertThat(copy.get(name).getArray().toFloatArray()).as(name)
                        .containsExactly(original.get(name).getArray().toFloatArray());
        }
    }

    @Test
    void aCopyUnderANewIdentityKeepsEveryWeightAndNamesItselfInItsMetadata() throws Exception {
        Path copy = tmp.resolve("release");
        FlamingoModel.copyAs(saved, copy, "narrator-test", "9.8.7");
        assertThat(header(saved)).contains("\"__metadata__\":{\"format\":\"pt\",\"name\":\"" + model.config().name()
                + "\",\"version\":\"" + model.config().version() + "\"}");
        assertThat(header(copy)).contains("\"__metadata__\":{\"format\":\"pt\",\"name\":\"narrator-test\",\"version\":\"9.8.7\"}");
        Map<String, Tensor> before = SafeTensors.read(saved.resolve("model.safetensors"));
        Map<String, Tensor> after = SafeTensors.read(copy.resolve("model.safetensors"));
        assertThat(after.keySet()).containsExactlyElementsOf(before.keySet());
        for (String name : before.keySet()) assertThat(after.get(name).values()).as(name).containsExactly(before.get(name).values());
        try (FlamingoModel loaded = FlamingoModel.load(copy)) {
            assertThat(loaded.config().name()).isEqualTo("narrator-test");
            assertThat(loaded.config().version()).isEqualTo("9.8.7");
        }
    }

    @Test
    void metadataIsWrittenInKeyOrderSoEqualInputsGiveEqualFiles() throws Exception {
        List<Tensor> tensors = List.of(new Tensor("w", new long[] {2}, new float[] {1f, 2f}));
        Map<String, String> forwards = new LinkedHashMap<>();
        forwards.put("a", "1");
        forwards.put("b", "2");
        Map<String, String> backwards = new LinkedHashMap<>();
        backwards.put("b", "2");
        backwards.put("a", "1");
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        ByteArrayOutputStream two = new ByteArrayOutputStream();
        SafeTensors.write(one, tensors, SafeTensors.Precision.F32, forwards);
        SafeTensors.write(two, tensors, SafeTensors.Precision.F32, backwards);
        assertThat(two.toByteArray()).isEqualTo(one.toByteArray());
    }

    /** The JSON header of a model directory's safetensors file. */
    private static String header(Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(dir.resolve("model.safetensors"));
        int length = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(bytes, 8, length, StandardCharsets.UTF_8);
    }

    @Test
    void halfPrecisionFilesLoad() throws Exception {
        Path f16 = tmp.resolve("f16");
        model.save(f16, tmp.resolve("tokenizer.json"), SafeTensors.Precision.F16);
        assertThat(Files.size(f16.resolve("model.safetensors"))).isLessThan(Files.size(saved.resolve("model.safetensors")) * 6 / 10);
        Path bf16 = copyModel("bf16");
        writeBf16(saved.resolve("model.safetensors"), bf16.resolve("model.safetensors"));
        for (Path dir : List.of(f16, bf16)) {
            try (FlamingoModel loaded = FlamingoModel.load(dir)) {
                float[] a = model.block().namedParameters().get("transformer.h.0.attn.c_attn.weight").getArray().toFloatArray();
                float[] b = loaded.block().namedParameters().get("transformer.h.0.attn.c_attn.weight").getArray().toFloatArray();
                for (int i = 0; i < a.length; i++) assertThat(b[i]).isCloseTo(a[i], within(Math.abs(a[i]) / 100 + 1e-6f));
            }
        }
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsAreNamed() throws Exception {
        Map<String, Tensor> tensors = SafeTensors.read(saved.resolve("model.safetensors"));

        Map<String, Tensor> missing = new LinkedHashMap<>(tensors);
        missing.remove("perceiver.latents");
        assertThatThrownBy(() -> load("missing", missing.values()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("missing tensor perceiver.latents");

        Map<String, Tensor> extra = new LinkedHashMap<>(tensors);
        extra.put("perceiver.media_time_embs", new Tensor("perceiver.media_time_embs", new long[] {2}, new float[2]));
        assertThatThrownBy(() -> load("extra", extra.values()))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("unexpected tensor perceiver.media_time_embs");

        Map<String, Tensor> wrong = new LinkedHashMap<>(tensors);
        wrong.put("transformer.wpe.weight", new Tensor("transformer.wpe.weight", new long[] {3, 4}, new float[12]));
        assertThatThrownBy(() -> load("shape", wrong.values()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensor transformer.wpe.weight has shape [3, 4] but the config needs [64, 32]");
    }

    @Test
    void everyMismatchIsListedAtOnceGrouped() throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>(SafeTensors.read(saved.resolve("model.safetensors")));
        tensors.remove("perceiver.latents");
        tensors.remove("perceiver.norm.weight");
        tensors.put("perceiver.media_time_embs", new Tensor("perceiver.media_time_embs", new long[] {2}, new float[2]));
        tensors.put("transformer.wpe.weight", new Tensor("transformer.wpe.weight", new long[] {3, 4}, new float[12]));
        tensors.put("transformer.ln_f.bias", new Tensor("transformer.ln_f.bias", new long[] {31}, new float[31]));
        Path dir = copyModel("everything-wrong");
        SafeTensors.write(dir.resolve("model.safetensors"), new ArrayList<>(tensors.values()), SafeTensors.Precision.F32, Map.of());
        int count = model.block().namedParameters().size();
        assertThatThrownBy(() -> FlamingoModel.load(dir))
                .isInstanceOf(WeightMismatchException.class)
                .hasMessage(dir.resolve("model.safetensors") + " does not fit the model its config describes (" + count + " tensors): "
                        + "missing tensors (2) perceiver.latents, perceiver.norm.weight; "
                        + "unexpected tensor perceiver.media_time_embs (not part of the model that config.json describes); "
                        + "misshapen (2): tensor transformer.wpe.weight has shape [3, 4] but the config needs [64, 32], "
                        + "tensor transformer.ln_f.bias has shape [31] but the config needs [32]")
                .satisfies(e -> {
                    WeightMismatchException w = (WeightMismatchException) e;
                    assertThat(w.missing()).containsExactly("perceiver.latents", "perceiver.norm.weight");
                    assertThat(w.unexpected()).containsExactly("perceiver.media_time_embs");
                    assertThat(w.misshapen()).hasSize(2);
                });
    }

    @Test
    void aShardedModelDirectoryLoadsBitForBitLikeOneFile() throws Exception {
        Path dir = copyModel("sharded");
        Files.delete(dir.resolve("model.safetensors"));
        List<Tensor> all = new ArrayList<>(SafeTensors.read(saved.resolve("model.safetensors")).values());
        int half = all.size() / 2;
        SafeTensors.write(dir.resolve("model-00001-of-00002.safetensors"), all.subList(0, half), SafeTensors.Precision.F32, Map.of());
        SafeTensors.write(dir.resolve("model-00002-of-00002.safetensors"), all.subList(half, all.size()), SafeTensors.Precision.F32, Map.of());
        StringBuilder map = new StringBuilder();
        for (int i = 0; i < all.size(); i++)
            map.append(i == 0 ? "" : ",").append('"').append(all.get(i).name()).append("\":\"model-0000").append(i < half ? 1 : 2)
                    .append("-of-00002.safetensors\"");
        Files.writeString(dir.resolve(ModelDirectory.WEIGHTS_INDEX), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        assertThat(ModelDirectory.of(dir).weightBytes()).isEqualTo(Files.size(dir.resolve("model-00001-of-00002.safetensors"))
                + Files.size(dir.resolve("model-00002-of-00002.safetensors")));
        try (FlamingoModel loaded = FlamingoModel.load(dir)) {
            var original = model.block().namedParameters();
            var copy = loaded.block().namedParameters();
            for (String name : original.keySet())
                assertThat(copy.get(name).getArray().toFloatArray()).as(name).containsExactly(original.get(name).getArray().toFloatArray());
        }
    }

    @Test
    void theBundledModelLoadsFromInsideTheJar() throws Exception {
        ModelDirectory bundled = ModelDirectory.bundled();
        Map<String, Tensor> file;
        try (var in = bundled.open(ModelDirectory.WEIGHTS)) {
            file = SafeTensors.read(ByteBuffer.wrap(in.readAllBytes()), "bundled");
        }
        assertThat(bundled.weightBytes()).isGreaterThan(1_000_000);
        try (Checkpoint weights = bundled.weights(); FlamingoModel loaded = FlamingoModel.load(ModelDirectory.BUNDLED)) {
            assertThat(weights.source()).isEqualTo("bundled model (classpath:models/narrator-tiny)/model.safetensors");
            assertThat(weights.names()).containsExactlyElementsOf(file.keySet());
            var params = loaded.block().namedParameters();
            for (String name : params.keySet())
                assertThat(params.get(name).getArray().toFloatArray()).as(name).containsExactly(file.get(name).values());
        }
    }

    @Test
    void aMissingSpecialTokenTensorIsTakenFromTheLanguageModel() throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>(SafeTensors.read(saved.resolve("model.safetensors")));
        tensors.remove("special_token_embeddings");
        Path dir = load("plain-lm", tensors.values());
        try (FlamingoModel loaded = FlamingoModel.load(dir)) {
            float[] wte = loaded.block().lm().tokenEmbeddings().getArray().get(model.config().specialTokens().image()).toFloatArray();
            assertThat(loaded.block().specialTokenEmbeddings().getArray().get(0).toFloatArray()).containsExactly(wte);
        }
    }

    @Test
    void unreadableHeadersAndTruncatedFilesGiveTheByteOffset() throws Exception {
        byte[] good = Files.readAllBytes(saved.resolve("model.safetensors"));

        assertThatThrownBy(() -> SafeTensors.read(ByteBuffer.wrap(new byte[] {1, 2, 3}), "tiny"))
                .hasMessageContaining("tiny: truncated: 3 bytes");

        byte[] hugeHeader = good.clone();
        ByteBuffer.wrap(hugeHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        assertThatThrownBy(() -> SafeTensors.read(ByteBuffer.wrap(hugeHeader), "huge"))
                .hasMessageContaining("unreadable header: header length 1099511627776 at byte 0");

        byte[] notJson = good.clone();
        notJson[8] = 'x';
        assertThatThrownBy(() -> SafeTensors.read(ByteBuffer.wrap(notJson), "garbled"))
                .hasMessageContaining("garbled: unreadable header: not JSON");

        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 100);
        assertThatThrownBy(() -> SafeTensors.read(ByteBuffer.wrap(truncated), "cut"))
                .hasMessageMatching("(?s)cut: truncated: tensor \\S+ needs bytes \\d+\\.\\.\\d+ but the file ends at byte " + truncated.length + ".*");

        String header = "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        assertThatThrownBy(() -> SafeTensors.read(ByteBuffer.wrap(image(header, 2)), "fp8"))
                .hasMessage("fp8: tensor a has dtype F8_E4M3; only F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL are read");
        String badSpan = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2, 2],\"data_offsets\":[0,8]}}";
        assertThatThrownBy(() -> SafeTensors.read(ByteBuffer.wrap(image(badSpan, 8)), "span"))
                .hasMessageContaining("tensor a has shape [2, 2] of F32 (16 bytes) but data_offsets span 8 bytes");
    }

    @Test
    void brokenModelDirectoriesAreExplained() throws Exception {
        assertThatThrownBy(() -> FlamingoModel.load(tmp.resolve("nowhere"))).hasMessageContaining("does not exist");
        Path noWeights = Files.createDirectories(tmp.resolve("no-weights"));
        Files.copy(saved.resolve("config.json"), noWeights.resolve("config.json"));
        Files.copy(saved.resolve("tokenizer.json"), noWeights.resolve("tokenizer.json"));
        assertThatThrownBy(() -> FlamingoModel.load(noWeights)).hasMessageContaining("has no model.safetensors");
        Path badConfig = copyModel("bad-config");
        Files.writeString(badConfig.resolve("config.json"),
                Files.readString(saved.resolve("config.json")).replace("\"patch_size\" : 4", "\"patch_size\" : 5"));
        assertThatThrownBy(() -> FlamingoModel.load(badConfig))
                .hasMessageContaining("config.json: vision.image_size (16) must be a positive multiple of vision.patch_size (5)");
        Path notJson = copyModel("not-json");
        Files.writeString(notJson.resolve("config.json"), "{ nope");
        assertThatThrownBy(() -> FlamingoModel.load(notJson)).hasMessageContaining("not a valid model config");
    }

    private static Path copyModel(String name) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(name));
        for (String f : List.of("config.json", "tokenizer.json", "model.safetensors"))
            Files.copy(saved.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return dir;
    }

    private static Path load(String name, java.util.Collection<Tensor> tensors) throws Exception {
        Path dir = copyModel(name);
        SafeTensors.write(dir.resolve("model.safetensors"), new ArrayList<>(tensors), SafeTensors.Precision.F32, Map.of());
        FlamingoModel.load(dir).close();
        return dir;
    }

    /** Rewrites an F32 safetensors file as BF16 (truncating each float to its upper 16 bits). */
    private static void writeBf16(Path f32, Path out) throws Exception {
        Map<String, Tensor> tensors = SafeTensors.read(f32);
        StringBuilder header = new StringBuilder("{");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        long offset = 0;
        for (Tensor t : tensors.values()) {
            if (header.length() > 1) header.append(',');
            header.append('"').append(t.name()).append("\":{\"dtype\":\"BF16\",\"shape\":")
                    .append(java.util.Arrays.toString(t.shape())).append(",\"data_offsets\":[").append(offset).append(',')
                    .append(offset + 2L * t.values().length).append("]}");
            for (float v : t.values()) {
                int bits = Float.floatToIntBits(v) >>> 16;
                data.write(bits & 0xff);
                data.write((bits >>> 8) & 0xff);
            }
            offset += 2L * t.values().length;
        }
        header.append('}');
        Files.write(out, image(header.toString(), 0, data.toByteArray()));
    }

    private static byte[] image(String header, int dataBytes) {
        return image(header, dataBytes, new byte[dataBytes]);
    }

    private static byte[] image(String header, int dataBytes, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return b.array();
    }
}
