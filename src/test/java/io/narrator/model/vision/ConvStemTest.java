package io.narrator.model.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.FlamingoModel;
import io.narrator.model.TinyModels;
import io.narrator.model.checkpoint.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The optional convolutional stem of the vision encoder ({@code vision.conv_stem_channels}). */
class ConvStemTest {
    @TempDir
    Path tmp;

    /** 8×8 images, 4-pixel patches (a 2×2 grid) behind one stride-2 stem layer of 3 channels: patch kernel 2. */
    private static FlamingoConfig.Vision stemVision() {
        return new FlamingoConfig.Vision(8, 4, 16, 1, 2, 32, 1e-5, "quick_gelu",
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, null, new int[] {3});
    }

    @Test
    void theStemShrinksThePatchKernelAndKeepsThePatchGrid() {
        FlamingoConfig.Vision v = stemVision();
        assertThat(v.patchKernel()).isEqualTo(2);
        assertThat(v.patchInChannels()).isEqualTo(3);
        assertThat(v.patches()).isEqualTo(4);
        FlamingoConfig.Vision clip = TinyModels.config(30).vision();
        assertThat(clip.convStemChannels()).isEmpty();
        assertThat(clip.patchKernel()).isEqualTo(clip.patchSize());
        assertThat(clip.patchInChannels()).isEqualTo(3);
    }

    @Test
    void embeddingsEqualAHandWrittenStemPatchConvolutionAndPositions() {
        FlamingoConfig.Vision v = stemVision();
        ClipVisionEncoder encoder = new ClipVisionEncoder(v);
        try (NDManager m = NDManager.newBaseManager()) {
            encoder.initialize(m);
            Map<String, float[]> w = new java.util.HashMap<>();
            encoder.namedParameters().forEach((name, p) -> w.put(name, p.getArray().toFloatArray()));
            // non-zero biases so that their place is checked too
            NDArray bias = encoder.namedParameters().get("embeddings.conv_stem.0.bias").getArray();
            bias.set(new float[] {0.3f, -0.2f, 0.1f});
            w.put("embeddings.conv_stem.0.bias", bias.toFloatArray());

            float[] pixels = new float[3 * 8 * 8];
            SplittableRandom random = new SplittableRandom(4);
            for (int i = 0; i < pixels.length; i++) pixels[i] = (float) random.nextGaussian();
            float[] got = encoder.embeddings(m.create(pixels, new Shape(1, 3, 8, 8))).toFloatArray(); // (1, 5, 16)

            // stem: 3×3, stride 2, padding 1, bias, exact GELU → (3, 4, 4)
            float[] sw = w.get("embeddings.conv_stem.0.weight"), sb = w.get("embeddings.conv_stem.0.bias");
            float[] stem = new float[3 * 4 * 4];
            for (int o = 0; o < 3; o++)
                for (int y = 0; y < 4; y++)
                    for (int x = 0; x < 4; x++) {
                        double s = sb[o];
                        for (int c = 0; c < 3; c++)
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++) {
                                    int iy = 2 * y - 1 + ky, ix = 2 * x - 1 + kx;
                                    if (iy < 0 || iy >= 8 || ix < 0 || ix >= 8) continue;
                                    s += sw[((o * 3 + c) * 3 + ky) * 3 + kx] * pixels[(c * 8 + iy) * 8 + ix];
                                }
                        stem[(o * 4 + y) * 4 + x] = (float) gelu(s);
                    }
            // patch embedding: kernel 2, stride 2, no bias → 2×2 grid; then class token first, positions added
            float[] pw = w.get("embeddings.patch_embedding.weight"), pos = w.get("embeddings.position_embedding.weight");
            float[] cls = w.get("embeddings.class_embedding");
            for (int d = 0; d < 16; d++) assertThat(got[d]).isCloseTo(cls[d] + pos[d], within(1e-5f));
            for (int py = 0; py < 2; py++)
                for (int px = 0; px < 2; px++)
                    for (int d = 0; d < 16; d++) {
                        double s = 0;
                        for (int c = 0; c < 3; c++)
                            for (int ky = 0; ky < 2; ky++)
                                for (int kx = 0; kx < 2; kx++)
                                    s += pw[((d * 3 + c) * 2 + ky) * 2 + kx] * stem[(c * 4 + 2 * py + ky) * 4 + 2 * px + kx];
                        int token = 1 + py * 2 + px;
                        assertThat(got[token * 16 + d]).as("patch (%d, %d) dim %d", py, px, d)
                                .isCloseTo((float) s + pos[token * 16 + d], within(1e-4f));
                    }
        }
    }

    @Test
    void aStemModelSavesAndLoadsBitIdenticallyAndAPlainConfigWritesNoStem() throws Exception {
        FlamingoConfig plain = TinyModels.config(TinyModels.vocabSize());
        FlamingoConfig stemmed = TinyModels.withConvStem(plain, 8, 8);
        Path tokenizer = TinyModels.tokenizer(tmp);
        try (FlamingoModel model = FlamingoModel.random(stemmed, tokenizer, 3)) {
            assertThat(model.block().expectedShapes().get("vision_model.embeddings.conv_stem.1.weight").getShape())
                    .containsExactly(8, 8, 3, 3);
            assertThat(model.block().expectedShapes().get("vision_model.embeddings.patch_embedding.weight").getShape())
                    .containsExactly(32, 8, 1, 1);
            Path dir = tmp.resolve("stem");
            model.save(dir, tokenizer, SafeTensors.Precision.F32);
            assertThat(Files.readString(dir.resolve("config.json"))).contains("\"conv_stem_channels\" : [ 8, 8 ]");
            float[] pixels = new float[2 * 3 * 16 * 16];
            for (int i = 0; i < pixels.length; i++) pixels[i] = (i % 17) / 17f - 0.5f;
            try (FlamingoModel loaded = FlamingoModel.load(dir)) {
                assertThat(loaded.config().vision().convStemChannels()).containsExactly(8, 8);
                NDArray a = model.block().vision().forward(model.manager().create(pixels, new Shape(2, 3, 16, 16)));
                NDArray b = loaded.block().vision().forward(loaded.manager().create(pixels, new Shape(2, 3, 16, 16)));
                assertThat(b.getShape()).isEqualTo(new Shape(2, 16, 32));
                assertThat(b.toFloatArray()).containsExactly(a.toFloatArray());
            }
        }
        try (FlamingoModel model = FlamingoModel.random(plain, tokenizer, 3)) {
            Path dir = tmp.resolve("plain");
            model.save(dir, tokenizer, SafeTensors.Precision.F32);
            assertThat(Files.readString(dir.resolve("config.json"))).doesNotContain("conv_stem");
            assertThat(model.block().namedParameters().keySet()).noneMatch(n -> n.contains("conv_stem"));
        }
    }

    @Test
    void aStemThatDoesNotDivideThePatchIsAnError() {
        assertThatThrownBy(() -> new FlamingoConfig.Vision(96, 12, 128, 4, 4, 512, 1e-5, "quick_gelu",
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, null, new int[] {16, 32, 64}))
                .hasMessage("vision.patch_size (12) must be divisible by 2^3: each of the 3 conv_stem_channels layers halves the resolution");
        assertThatThrownBy(() -> new FlamingoConfig.Vision(96, 12, 128, 4, 4, 512, 1e-5, "quick_gelu",
                new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f}, null, new int[] {0}))
                .hasMessage("vision.conv_stem_channels must be positive, got [0]");
    }

    /** Exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2. */
    private static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /** erf by its Taylor series: far below the test's tolerance for the |z| &lt; 4 of these activations. */
    private static double erf(double z) {
        double sum = 0, term = z;
        for (int n = 0; n < 60; n++) {
            sum += term / (2 * n + 1);
            term *= -z * z / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
