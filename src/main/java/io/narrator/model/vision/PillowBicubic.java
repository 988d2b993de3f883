package io.narrator.model.vision;

/**
 * Pillow's bicubic resize of an 8-bit RGB image ({@code Image.resize(size, BICUBIC)}, libImaging's
 * {@code ImagingResample}), reproduced bit for bit: the cubic convolution kernel with a = −0.5, its support
 * widened by the downscale factor (so shrinking averages, no aliasing), weights normalised to sum 1 and rounded
 * to 22-bit fixed point, a horizontal pass then a vertical pass, each rounding and clipping to 0..255. An axis
 * whose size does not change is not resampled (Pillow skips that pass). Pixels are {@code 0xRRGGBB} ints, row by
 * row, as {@link ImagePreprocessor#rgb} gives them.
 */
public final class PillowBicubic {
    /** Fixed-point fraction bits of the weights: 32 − 8 − 2, as Pillow's {@code PRECISION_BITS}. */
    private static final int PRECISION_BITS = 22;
    private static final double SUPPORT = 2.0;

    private PillowBicubic() {}

    /** The whole image of {@code width × height} resized to {@code outWidth × outHeight}. */
    public static int[] resize(int[] rgb, int width, int height, int outWidth, int outHeight) {
        return resize(rgb, width, height, outWidth, outHeight, 0, 0, outWidth, outHeight);
    }

    /**
     * The window {@code (left, top, cropWidth, cropHeight)} of the image resized to {@code outWidth × outHeight}:
     * the same pixels as resizing all of it and cropping, computing only those in the window.
     */
    public static int[] resize(int[] rgb, int width, int height, int outWidth, int outHeight, int left, int top, int cropWidth, int cropHeight) {
        if (width <= 0 || height <= 0 || rgb.length != width * height)
            throw new IllegalArgumentException("image of " + width + "x" + height + " needs " + (long) width * height + " pixels, got " + rgb.length);
        if (outWidth <= 0 || outHeight <= 0)
            throw new IllegalArgumentException("output size must be positive, got " + outWidth + "x" + outHeight);
        if (left < 0 || top < 0 || cropWidth <= 0 || cropHeight <= 0 || left + cropWidth > outWidth || top + cropHeight > outHeight)
            throw new IllegalArgumentException("window " + cropWidth + "x" + cropHeight + " at (" + left + ", " + top
                    + ") does not fit the " + outWidth + "x" + outHeight + " output");
        boolean horizontal = outWidth != width;
        boolean vertical = outHeight != height;
        Taps rows = vertical ? Taps.of(height, outHeight, top, cropHeight) : Taps.identity(top, cropHeight);
        Taps cols = horizontal ? Taps.of(width, outWidth, left, cropWidth) : Taps.identity(left, cropWidth);
        // source rows the vertical pass reads: [firstRow, endRow)
        int firstRow = rows.first[0];
        int endRow = 0;
        for (int o = 0; o < cropHeight; o++) endRow = Math.max(endRow, rows.first[o] + rows.count[o]);
        // horizontal pass over those rows: (endRow − firstRow, cropWidth) packed RGB
        int[] mid = new int[(endRow - firstRow) * cropWidth];
        for (int y = firstRow; y < endRow; y++) {
            int in = y * width;
            int out = (y - firstRow) * cropWidth;
            if (!horizontal) {
                System.arraycopy(rgb, in + left, mid, out, cropWidth);
                continue;
            }
            for (int ox = 0; ox < cropWidth; ox++) {
                int first = cols.first[ox];
                int n = cols.count[ox];
                int base = ox * cols.stride;
                int r = 1 << (PRECISION_BITS - 1), g = r, b = r;
                for (int k = 0; k < n; k++) {
                    int p = rgb[in + first + k];
                    int w = cols.weights[base + k];
                    r += ((p >> 16) & 0xff) * w;
                    g += ((p >> 8) & 0xff) * w;
                    b += (p & 0xff) * w;
                }
                mid[out + ox] = clip8(r) << 16 | clip8(g) << 8 | clip8(b);
            }
        }
        if (!vertical) {
            int[] out = new int[cropWidth * cropHeight];
            System.arraycopy(mid, (top - firstRow) * cropWidth, out, 0, out.length);
            return out;
        }
        // vertical pass: (cropHeight, cropWidth) packed RGB
        int[] out = new int[cropWidth * cropHeight];
        for (int oy = 0; oy < cropHeight; oy++) {
            int first = rows.first[oy] - firstRow;
            int n = rows.count[oy];
            int base = oy * rows.stride;
            for (int ox = 0; ox < cropWidth; ox++) {
                int r = 1 << (PRECISION_BITS - 1), g = r, b = r;
                for (int k = 0; k < n; k++) {
                    int p = mid[(first + k) * cropWidth + ox];
                    int w = rows.weights[base + k];
                    r += ((p >> 16) & 0xff) * w;
                    g += ((p >> 8) & 0xff) * w;
                    b += (p & 0xff) * w;
                }
                out[oy * cropWidth + ox] = clip8(r) << 16 | clip8(g) << 8 | clip8(b);
            }
        }
        return out;
    }

    /** A fixed-point sum back to 0..255: drop the fraction bits (rounding was added up front), clamp. */
    private static int clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Pillow's cubic convolution kernel with a = −0.5 (Keys), support 2. */
    static double cubic(double x) {
        final double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /**
     * For each output sample of one axis (those in the window only): the first source sample it reads, how many,
     * and their fixed-point weights ({@code weights[o * stride + k]}), as Pillow's {@code precompute_coeffs} and
     * {@code normalize_coeffs_8bpc} compute them, in the same double arithmetic.
     */
    private record Taps(int[] first, int[] count, int[] weights, int stride) {
        static Taps of(int inSize, int outSize, int from, int n) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            int stride = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[n];
            int[] count = new int[n];
            int[] weights = new int[n * stride];
            double[] k = new double[stride];
            for (int o = 0; o < n; o++) {
                int xx = from + o;
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max(0, (int) (center - support + 0.5));
                int xmax = Math.min(inSize, (int) (center + support + 0.5)) - xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = cubic((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    if (ww != 0.0) k[x] /= ww;
                    weights[o * stride + x] = k[x] < 0 ? (int) (-0.5 + k[x] * (1 << PRECISION_BITS)) : (int) (0.5 + k[x] * (1 << PRECISION_BITS));
                }
                first[o] = xmin;
                count[o] = xmax;
            }
            return new Taps(first, count, weights, stride);
        }

        /** An axis that keeps its size: each output sample is its source sample. */
        static Taps identity(int from, int n) {
            int[] first = new int[n];
            int[] count = new int[n];
            int[] weights = new int[n];
            for (int o = 0; o < n; o++) {
                first[o] = from + o;
                count[o] = 1;
                weights[o] = 1 << PRECISION_BITS;
            }
            return new Taps(first, count, weights, 1);
        }
    }
}
