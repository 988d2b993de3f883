package io.narrator.model.vision;

import io.narrator.model.FlamingoConfig;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;
import java.awt.image.SinglePixelPackedSampleModel;

/**
 * The one place images become model input: resize with an exact area-averaging filter (so a 1280×720
 * frame shrinks to the model's size without aliasing), centre-crop or letterbox to a square of
 * {@code image_size}, scale to [0, 1], then normalise with the config's mean and std. Output is
 * channel-first float32, (3, S, S), flattened.
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

    /**
     * The image's pixels as {@code 0xRRGGBB} ints, row by row: read straight from the pixel array for the
     * types decoders and renderers produce (3-byte BGR from JPEG, int RGB/ARGB), else through
     * {@link BufferedImage#getRGB}, which converts pixel by pixel through the colour model and costs many
     * times more. Only the low 24 bits are used.
     */
    static int[] rgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        Raster raster = image.getRaster();
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
