package io.narrator.model.vision;

import io.narrator.model.FlamingoConfig;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * The one place images become model input: centre-crop or letterbox to a square of {@code image_size} S,
 * resampled as {@code vision.resample} says, scaled to [0, 1] and normalised with the config's mean and std.
 * Output is channel-first float32, (3, S, S), flattened.
 * <ul>
 * <li>{@code area} (narrator-tiny): an exact area-averaging filter in float, so a 1280×720 frame shrinks
 * without aliasing; the crop is the centred square of the short side.
 * <li>{@code bicubic}: Hugging Face's CLIPImageProcessor step by step: the short side to S (the long side
 * {@code int(S · long / short)}) with Pillow's bicubic filter on the 8-bit image ({@link PillowBicubic}), the
 * centred S×S crop at {@code ((w − S) / 2, (h − S) / 2)} rounded down — or, with {@code crop_rounding} {@code half_even},
 * rounded half to even as torchvision's CenterCrop does (open_clip's preprocessing, otherwise the same steps) — then
 * {@code float32(x · (1/255))} (which equals torchvision's {@code x / 255} in float32 for every 8-bit level) and
 * {@code (x − mean) / std} in float32. With letterbox, the long side goes to S and the rest is padded with the mean.
 * </ul>
 */
public final class ImagePreprocessor {
    private final FlamingoConfig.Vision c;

    public ImagePreprocessor(FlamingoConfig.Vision c) {
        this.c = c;
    }

    /** Side of the square model input, S. */
    public int size() {
        return c.imageSize();
    }

    /** An image of any size → (3, S, S) normalised pixels, channel-first, flattened. */
    public float[] apply(BufferedImage image) {
        if (image == null) throw new IllegalArgumentException("image must not be null");
        if (FlamingoConfig.Vision.BICUBIC.equals(c.resample())) return bicubic(image);
        int w = image.getWidth();
        int h = image.getHeight();
        int s = c.imageSize();
        int[] argb = rgb(image);
        float[] out = new float[3 * s * s];
        // start from the mean colour everywhere: normalised, that is 0 (what letterbox padding should be)
        double srcX, srcY, srcW, srcH;
        int dstX, dstY, dstW, dstH;
        if (FlamingoConfig.Vision.LETTERBOX.equals(c.resizeMode())) {
            double scale = (double) s / Math.max(w, h);
            dstW = Math.max(1, (int) Math.round(w * scale));
            dstH = Math.max(1, (int) Math.round(h * scale));
            dstX = (s - dstW) / 2;
            dstY = (s - dstH) / 2;
            srcX = 0;
            srcY = 0;
            srcW = w;
            srcH = h;
        } else {
            int side = Math.min(w, h);
            srcX = (w - side) / 2.0;
            srcY = (h - side) / 2.0;
            srcW = side;
            srcH = side;
            dstX = 0;
            dstY = 0;
            dstW = s;
            dstH = s;
        }
        Taps cols = Taps.of(srcX, srcW, dstW, w);
        Taps rows = Taps.of(srcY, srcH, dstH, h);
        // horizontal pass over the source rows that contribute: (h, dstW, 3)
        float[] horiz = new float[h * dstW * 3];
        boolean[] needed = new boolean[h];
        for (int o = 0; o < dstH; o++) for (int k = 0; k < rows.weights()[o].length; k++) needed[rows.first()[o] + k] = true;
        for (int y = 0; y < h; y++) {
            if (!needed[y]) continue;
            int rowBase = y * w;
            for (int ox = 0; ox < dstW; ox++) {
                float r = 0, g = 0, b = 0;
                int first = cols.first()[ox];
                float[] wt = cols.weights()[ox];
                for (int k = 0; k < wt.length; k++) {
                    int p = argb[rowBase + first + k];
                    r += wt[k] * ((p >> 16) & 0xff);
                    g += wt[k] * ((p >> 8) & 0xff);
                    b += wt[k] * (p & 0xff);
                }
                int o = (y * dstW + ox) * 3;
                horiz[o] = r;
                horiz[o + 1] = g;
                horiz[o + 2] = b;
            }
        }
        float[] mean = c.imageMean();
        float[] std = c.imageStd();
        int plane = s * s;
        for (int oy = 0; oy < dstH; oy++) {
            int first = rows.first()[oy];
            float[] wt = rows.weights()[oy];
            for (int ox = 0; ox < dstW; ox++) {
                float r = 0, g = 0, b = 0;
                for (int k = 0; k < wt.length; k++) {
                    int o = ((first + k) * dstW + ox) * 3;
                    r += wt[k] * horiz[o];
                    g += wt[k] * horiz[o + 1];
                    b += wt[k] * horiz[o + 2];
                }
                int pix = (dstY + oy) * s + dstX + ox;
                out[pix] = (r / 255f - mean[0]) / std[0];
                out[plane + pix] = (g / 255f - mean[1]) / std[1];
                out[2 * plane + pix] = (b / 255f - mean[2]) / std[2];
            }
        }
        return out;
    }

    /** The {@code bicubic} path: Pillow's resize on the 8-bit image, crop or pad, CLIPImageProcessor's rescale and normalise. */
    private float[] bicubic(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int s = c.imageSize();
        int[] pixels;
        int dstX = 0, dstY = 0, dstW = s, dstH = s;
        if (FlamingoConfig.Vision.LETTERBOX.equals(c.resizeMode())) {
            double scale = (double) s / Math.max(w, h);
            dstW = Math.max(1, (int) Math.round(w * scale));
            dstH = Math.max(1, (int) Math.round(h * scale));
            dstX = (s - dstW) / 2;
            dstY = (s - dstH) / 2;
            pixels = PillowBicubic.resize(rgb(image), w, h, dstW, dstH);
        } else {
            int[] size = shortestEdgeSize(w, h, s);
            boolean halfEven = FlamingoConfig.Vision.HALF_EVEN.equals(c.cropRounding());
            pixels = PillowBicubic.resize(rgb(image), w, h, size[0], size[1], cropOffset(size[0] - s, halfEven), cropOffset(size[1] - s, halfEven),
                    s, s);
        }
        float[] mean = c.imageMean();
        float[] std = c.imageStd();
        float[][] levels = new float[3][256]; // normalised value of each 8-bit level, per channel
        for (int ch = 0; ch < 3; ch++)
            for (int v = 0; v < 256; v++) levels[ch][v] = ((float) (v * RESCALE) - mean[ch]) / std[ch];
        int plane = s * s;
        float[] out = new float[3 * plane]; // padding: the mean colour, 0 once normalised
        for (int y = 0; y < dstH; y++) {
            for (int x = 0; x < dstW; x++) {
                int p = pixels[y * dstW + x];
                int pix = (dstY + y) * s + dstX + x;
                out[pix] = levels[0][(p >> 16) & 0xff];
                out[plane + pix] = levels[1][(p >> 8) & 0xff];
                out[2 * plane + pix] = levels[2][p & 0xff];
            }
        }
        return out;
    }

    /** Half of {@code excess} pixels: rounded down, or rounded half to even (Python's {@code round}, torchvision's CenterCrop). */
    static int cropOffset(int excess, boolean halfEven) {
        return halfEven ? (int) Math.rint(excess / 2.0) : excess / 2;
    }

    /** CLIPImageProcessor's {@code rescale_factor}: the double nearest 1/255. */
    private static final double RESCALE = 1.0 / 255;

    /**
     * {@code {width, height}} of a {@code width × height} image resized so its short side is {@code shortEdge}, the
     * long side {@code int(shortEdge · long / short)} (truncated), as Hugging Face's
     * {@code get_resize_output_image_size(default_to_square=False)}.
     */
    public static int[] shortestEdgeSize(int width, int height, int shortEdge) {
        if (width <= 0 || height <= 0 || shortEdge <= 0)
            throw new IllegalArgumentException("sizes must be positive, got " + width + "x" + height + " to " + shortEdge);
        int shortSide = Math.min(width, height);
        int longSide = Math.max(width, height);
        int newLong = (int) ((double) shortEdge * longSide / shortSide); // (S · long) / short in double, then truncated
        return width <= height ? new int[] {shortEdge, newLong} : new int[] {newLong, shortEdge};
    }

    /**
     * The image's pixels as {@code 0xRRGGBB} ints, row by row: read straight from the pixel array for the
     * types decoders and renderers produce (3-byte BGR from JPEG, int RGB/ARGB), else through
     * {@link BufferedImage#getRGB}, which converts pixel by pixel through the colour model and costs many
     * times more. An 8-bit grey image (with or without alpha) gives each grey level as R = G = B, as Pillow's
     * {@code convert("RGB")} does; {@code getRGB} would treat its levels as linear light and brighten them. Only the
     * low 24 bits are used.
     */
    static int[] rgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
        if (image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY && raster.getSampleModel().getSampleSize(0) == 8) {
            int[] grey = raster.getSamples(raster.getMinX(), raster.getMinY(), w, h, 0, new int[w * h]);
            for (int i = 0; i < grey.length; i++) grey[i] *= 0x010101;
            return grey;
        }
        int dx = -raster.getSampleModelTranslateX();
        int dy = -raster.getSampleModelTranslateY();
        int type = image.getType();
        if (type == BufferedImage.TYPE_3BYTE_BGR && raster.getSampleModel() instanceof ComponentSampleModel sm
                && raster.getDataBuffer() instanceof DataBufferByte buffer && buffer.getNumBanks() == 1) {
            byte[] data = buffer.getData();
            int[] band = sm.getBandOffsets(); // R, G, B
            int pixel = sm.getPixelStride();
            int line = sm.getScanlineStride();
            int[] out = new int[w * h];
            for (int y = 0; y < h; y++) {
                int i = buffer.getOffset() + (y + dy) * line + dx * pixel;
                for (int x = 0; x < w; x++, i += pixel)
                    out[y * w + x] = (data[i + band[0]] & 0xff) << 16 | (data[i + band[1]] & 0xff) << 8 | data[i + band[2]] & 0xff;
            }
            return out;
        }
        if ((type == BufferedImage.TYPE_INT_RGB || type == BufferedImage.TYPE_INT_ARGB)
                && raster.getSampleModel() instanceof SinglePixelPackedSampleModel sm && raster.getDataBuffer() instanceof DataBufferInt buffer
                && buffer.getNumBanks() == 1) {
            int[] data = buffer.getData();
            int line = sm.getScanlineStride();
            int[] out = new int[w * h];
            for (int y = 0; y < h; y++)
                System.arraycopy(data, buffer.getOffset() + (y + dy) * line + dx, out, y * w, w);
            return out;
        }
        return image.getRGB(0, 0, w, h, null, 0, w);
    }

    /** For each output sample: the first source sample it covers and the overlap weights of those it covers (summing to 1). */
    private record Taps(int[] first, float[][] weights) {
        static Taps of(double start, double len, int outN, int srcN) {
            int[] first = new int[outN];
            float[][] w = new float[outN][];
            double step = len / outN;
            for (int o = 0; o < outN; o++) {
                double a = start + o * step;
                double b = a + step;
                int last = Math.min(srcN - 1, (int) Math.ceil(b) - 1);
                int lo = Math.max(0, Math.min((int) Math.floor(a), last));
                first[o] = lo;
                w[o] = new float[last - lo + 1];
                double total = 0;
                for (int i = lo; i <= last; i++) {
                    double overlap = Math.max(0, Math.min(b, i + 1) - Math.max(a, i));
                    w[o][i - lo] = (float) overlap;
                    total += overlap;
                }
                for (int i = 0; i < w[o].length; i++) w[o][i] = total > 0 ? (float) (w[o][i] / total) : 1f / w[o].length;
            }
            return new Taps(first, w);
        }
    }
}
