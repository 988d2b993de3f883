package io.narrator.model.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.narrator.model.FlamingoConfig;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {
    static FlamingoConfig.Vision vision(String mode) {
        return new FlamingoConfig.Vision(8, 4, 16, 1, 2, 32, 1e-5, "quick_gelu",
                new float[] {0.5f, 0.25f, 0f}, new float[] {0.5f, 0.25f, 1f}, mode);
    }

    @Test
    void theCentreCropsOffsetRoundsDownOrHalfToEvenAsTorchvisionDoes() {
        // Hugging Face's CLIPImageProcessor: (size − S) // 2; torchvision's CenterCrop (open_clip): round((size − S) / 2.0)
        assertThat(ImagePreprocessor.cropOffset(33, false)).isEqualTo(16);
        assertThat(ImagePreprocessor.cropOffset(33, true)).as("16.5 → 16, the even neighbour").isEqualTo(16);
        assertThat(ImagePreprocessor.cropOffset(15, false)).isEqualTo(7);
        assertThat(ImagePreprocessor.cropOffset(15, true)).as("7.5 → 8, the even neighbour").isEqualTo(8);
        assertThat(ImagePreprocessor.cropOffset(174, true)).isEqualTo(87);
        assertThat(ImagePreprocessor.cropOffset(0, true)).isZero();
    }

    @Test
    void normalisesWithMeanAndStdChannelFirst() {
        BufferedImage white = filled(8, 8, Color.WHITE);
        float[] x = new ImagePreprocessor(vision(null)).apply(white);
        assertThat(x).hasSize(3 * 64);
        assertThat(x[0]).isCloseTo(1f, within(1e-6f)); // (1 − 0.5) / 0.5
        assertThat(x[64]).isCloseTo(3f, within(1e-6f)); // (1 − 0.25) / 0.25
        assertThat(x[128]).isCloseTo(1f, within(1e-6f)); // (1 − 0) / 1
    }

    @Test
    void areaAveragingShrinksFinePatternsToTheirMean() {
        BufferedImage checker = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) checker.setRGB(x, y, (x + y) % 2 == 0 ? 0xffffff : 0);
        float[] out = new ImagePreprocessor(vision(null)).apply(checker);
        for (int i = 128; i < 192; i++) assertThat(out[i]).isCloseTo(0.5f, within(1e-3f)); // blue channel: mean 0, std 1
    }

    @Test
    void centreCropCutsTheSidesAndLetterboxKeepsEverything() {
        // 16×8: left half red, right half blue, a green bar in the outer quarter columns
        BufferedImage img = filled(16, 8, Color.RED);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.BLUE);
        g.fillRect(8, 0, 8, 8);
        g.setColor(Color.GREEN);
        g.fillRect(0, 0, 4, 8);
        g.dispose();
        float[] crop = new ImagePreprocessor(vision(FlamingoConfig.Vision.CENTER_CROP)).apply(img);
        // green (R=0,G=1) never survives the centre crop: R at the left edge is red (1 → (1−0.5)/0.5 = 1)
        assertThat(crop[0]).isCloseTo(1f, within(1e-5f));
        float[] box = new ImagePreprocessor(vision(FlamingoConfig.Vision.LETTERBOX)).apply(img);
        // letterbox: 8×4 content in rows 2..5; rows 0-1 are padding (the mean colour → 0 after normalisation)
        for (int c = 0; c < 3; c++) assertThat(box[c * 64]).isEqualTo(0f);
        int row2 = 2 * 8;
        assertThat(box[64 + row2]).as("green channel of the green bar").isCloseTo(3f, within(1e-4f));
    }

    private static BufferedImage filled(int w, int h, Color c) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(c);
        g.fillRect(0, 0, w, h);
        g.dispose();
        return img;
    }

    @Test
    void readsPixelsOfEveryColourImageTypeAsGetRgbDoes() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int type : new int[] {BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_INT_BGR,
            BufferedImage.TYPE_4BYTE_ABGR}) {
            BufferedImage img = new BufferedImage(23, 17, type);
            for (int y = 0; y < 17; y++) for (int x = 0; x < 23; x++) img.setRGB(x, y, 0xff000000 | random.nextInt(1 << 24));
            for (BufferedImage view : new BufferedImage[] {img, img.getSubimage(3, 5, 11, 9)}) {
                int[] expected = view.getRGB(0, 0, view.getWidth(), view.getHeight(), null, 0, view.getWidth());
                int[] got = ImagePreprocessor.rgb(view);
                for (int i = 0; i < expected.length; i++)
                    assertThat(got[i] & 0xffffff).as("type %d pixel %d", type, i).isEqualTo(expected[i] & 0xffffff);
            }
        }
    }

    /**
     * An 8-bit grey image gives each stored grey level as R = G = B, as Pillow's {@code convert("RGB")} does (a grey PNG
     * decoded by both then preprocesses to CLIP's exact pixels: FlamingoMiniImportTest's image B). {@code getRGB} would
     * treat the levels as linear light and brighten them.
     */
    @Test
    void readsGreyLevelsAsPillowDoes() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        BufferedImage img = new BufferedImage(23, 17, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 17; y++) for (int x = 0; x < 23; x++) img.getRaster().setSample(x, y, 0, random.nextInt(256));
        for (BufferedImage view : new BufferedImage[] {img, img.getSubimage(3, 5, 11, 9)}) {
            int[] got = ImagePreprocessor.rgb(view);
            for (int y = 0; y < view.getHeight(); y++)
                for (int x = 0; x < view.getWidth(); x++) {
                    int level = view.getRaster().getSample(x, y, 0);
                    assertThat(got[y * view.getWidth() + x] & 0xffffff).as("pixel (%d, %d)", x, y).isEqualTo(level * 0x010101);
                }
        }
        int level = 100;
        img.getRaster().setSample(0, 0, 0, level);
        assertThat(img.getRGB(0, 0) & 0xff).as("getRGB brightens a grey level").isNotEqualTo(level);
    }
}
