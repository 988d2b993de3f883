package io.narrator.model.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.narrator.model.FlamingoConfig;
import io.narrator.model.checkpoint.ModelDirectory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CLIP's own preprocessing ({@code vision.resample: bicubic} with {@code center_crop}) against Pillow 9.4 and numpy:
 * the references in {@code src/test/resources/preprocess/} come from {@code src/test/python/clip_preprocess_reference.py},
 * which replays Hugging Face CLIPImageProcessor's steps. The target is exact: every 8-bit pixel equal, every float equal.
 */
class ClipPreprocessingTest {
    private static final String DIR = "preprocess/";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    static FlamingoConfig.Vision clipVision(int size, float[] mean, float[] std, String resizeMode) {
        return new FlamingoConfig.Vision(size, size, 16, 1, 2, 32, 1e-5, "quick_gelu", mean, std, resizeMode, new int[0],
                FlamingoConfig.Vision.BICUBIC);
    }

    @Test
    void resizeAndCentreCropEqualPillowPixelForPixel() throws IOException {
        List<String> report = new ArrayList<>();
        long pixels = 0, wrong = 0;
        for (JsonNode c : cases().get("cases")) {
            String name = c.get("name").asText();
            BufferedImage input = image(name + ".png");
            int w = input.getWidth(), h = input.getHeight(), s = c.get("size").asInt();
            assertThat(new int[] {w, h}).as(name).containsExactly(c.get("width").asInt(), c.get("height").asInt());
            int[] size = ImagePreprocessor.shortestEdgeSize(w, h, s);
            assertThat(size).as(name + ": resized size").containsExactly(c.get("resized_width").asInt(), c.get("resized_height").asInt());
            int left = (size[0] - s) / 2, top = (size[1] - s) / 2;
            assertThat(new int[] {left, top}).as(name + ": crop offsets").containsExactly(c.get("crop_left").asInt(), c.get("crop_top").asInt());
            int[] src = ImagePreprocessor.rgb(input);
            int[] crop = PillowBicubic.resize(src, w, h, size[0], size[1], left, top, s, s);
            int[] expected = ImagePreprocessor.rgb(image(name + "-crop.png"));
            long bad = mismatches(crop, expected);
            report.add(name + " " + bad + "/" + expected.length * 3L);
            pixels += expected.length * 3L;
            wrong += bad;
            if (c.get("resized_kept").asBoolean()) {
                int[] whole = PillowBicubic.resize(src, w, h, size[0], size[1]);
                assertThat(mismatches(whole, ImagePreprocessor.rgb(image(name + "-resized.png")))).as(name + ": whole resized image").isZero();
            }
        }
        assertThat(wrong).as("8-bit values differing from Pillow's (of %d) per case: %s", pixels, report).isZero();
    }

    @Test
    void pixelValuesEqualTheProcessorsFloat32Output() throws IOException {
        JsonNode all = cases();
        float[] mean = floats(all.get("mean"));
        float[] std = floats(all.get("std"));
        float[] levels = floats(read(DIR + "normalize.bin")); // (256, 3)
        for (JsonNode c : all.get("cases")) {
            String name = c.get("name").asText();
            int s = c.get("size").asInt();
            float[] x = new ImagePreprocessor(clipVision(s, mean, std, FlamingoConfig.Vision.CENTER_CROP)).apply(image(name + ".png"));
            int[] crop = ImagePreprocessor.rgb(image(name + "-crop.png"));
            float[] expected = new float[3 * s * s];
            for (int i = 0; i < s * s; i++) {
                expected[i] = levels[((crop[i] >> 16) & 0xff) * 3];
                expected[s * s + i] = levels[((crop[i] >> 8) & 0xff) * 3 + 1];
                expected[2 * s * s + i] = levels[(crop[i] & 0xff) * 3 + 2];
            }
            assertThat(Arrays.mismatch(x, expected)).as(name + ": first float differing from the reference").isEqualTo(-1);
            if (c.get("pixels_kept").asBoolean())
                assertThat(Arrays.mismatch(x, floats(read(DIR + name + "-pixels.bin")))).as(name + ": first differing float of pixel_values (3, S, S)").isEqualTo(-1);
        }
    }

    @Test
    void letterboxWithBicubicPadsWithTheMeanAroundPillowsResize() throws IOException {
        BufferedImage input = image("vga-640x480.png"); // 4:3 into 32×32: 32×24 content in rows 4..27
        float[] mean = {0.5f, 0.5f, 0.5f}, std = {0.25f, 0.25f, 0.25f};
        float[] x = new ImagePreprocessor(clipVision(32, mean, std, FlamingoConfig.Vision.LETTERBOX)).apply(input);
        int[] content = PillowBicubic.resize(ImagePreprocessor.rgb(input), 640, 480, 32, 24);
        for (int y = 0; y < 32; y++) {
            for (int xx = 0; xx < 32; xx++) {
                int p = y >= 4 && y < 28 ? content[(y - 4) * 32 + xx] : -1;
                for (int ch = 0; ch < 3; ch++) {
                    float expected = p < 0 ? 0f : ((float) (((p >> (16 - 8 * ch)) & 0xff) * (1.0 / 255)) - 0.5f) / 0.25f;
                    assertThat(x[ch * 1024 + y * 32 + xx]).as("channel %d at (%d, %d)", ch, xx, y).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void resampleIsAConfigFieldThatDefaultsToAreaAndStaysOutOfConfigsThatDoNotUseIt() throws IOException {
        FlamingoConfig bundled = ModelDirectory.bundled().config();
        assertThat(bundled.vision().resample()).as("narrator-tiny's config.json has no resample: area").isEqualTo(FlamingoConfig.Vision.AREA);
        ModelDirectory.writeConfig(bundled, tmp.resolve("area"));
        assertThat(Files.readString(tmp.resolve("area").resolve(ModelDirectory.CONFIG))).doesNotContain("resample");
        FlamingoConfig.Vision v = bundled.vision();
        FlamingoConfig clip = new FlamingoConfig(bundled.modelType(), bundled.name(), bundled.version(),
                new FlamingoConfig.Vision(v.imageSize(), v.patchSize(), v.hiddenSize(), v.layers(), v.heads(), v.intermediateSize(),
                        v.layerNormEps(), v.hiddenAct(), v.imageMean(), v.imageStd(), FlamingoConfig.Vision.CENTER_CROP,
                        v.convStemChannels(), FlamingoConfig.Vision.BICUBIC),
                bundled.text(), bundled.perceiver(), bundled.crossAttention(), bundled.specialTokens(), bundled.generation());
        ModelDirectory.writeConfig(clip, tmp.resolve("clip"));
        String json = Files.readString(tmp.resolve("clip").resolve(ModelDirectory.CONFIG));
        assertThat(json).contains("\"resample\" : \"bicubic\"");
        assertThat(ModelDirectory.parseConfig(json.getBytes(StandardCharsets.UTF_8), "clip/config.json").vision().resample())
                .isEqualTo(FlamingoConfig.Vision.BICUBIC);
        assertThatThrownBy(() -> ModelDirectory.parseConfig(json.replace("bicubic", "lanczos").getBytes(StandardCharsets.UTF_8), "clip/config.json"))
                .hasMessage("clip/config.json: vision.resample must be area or bicubic, got \"lanczos\"");
    }

    @Test
    void badSizesAreRefusedWithTheNumbers() {
        assertThatThrownBy(() -> PillowBicubic.resize(new int[6], 3, 2, 4, 4, 1, 1, 4, 4))
                .hasMessage("window 4x4 at (1, 1) does not fit the 4x4 output");
        assertThatThrownBy(() -> PillowBicubic.resize(new int[5], 3, 2, 4, 4)).hasMessage("image of 3x2 needs 6 pixels, got 5");
        assertThatThrownBy(() -> ImagePreprocessor.shortestEdgeSize(0, 5, 224)).hasMessage("sizes must be positive, got 0x5 to 224");
    }

    /** How many of the 8-bit channel values differ between two packed-RGB images of the same size. */
    private static long mismatches(int[] got, int[] expected) {
        assertThat(got).hasSameSizeAs(expected);
        long bad = 0;
        for (int i = 0; i < got.length; i++)
            for (int shift = 0; shift < 24; shift += 8) if (((got[i] >> shift) & 0xff) != ((expected[i] >> shift) & 0xff)) bad++;
        return bad;
    }

    private static JsonNode cases() throws IOException {
        return JSON.readTree(read(DIR + "cases.json"));
    }

    private static BufferedImage image(String file) throws IOException {
        try (InputStream in = new java.io.ByteArrayInputStream(read(DIR + file))) {
            return ImageIO.read(in);
        }
    }

    private static byte[] read(String resource) throws IOException {
        try (InputStream in = ClipPreprocessingTest.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IOException(resource + ": missing test resource (run src/test/python/clip_preprocess_reference.py)");
            return in.readAllBytes();
        }
    }

    private static float[] floats(byte[] littleEndian) {
        float[] out = new float[littleEndian.length / 4];
        ByteBuffer.wrap(littleEndian).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) array.get(i).asDouble();
        return out;
    }
}
