package io.narrator.train.world;

import java.awt.image.BufferedImage;
import java.util.ArrayDeque;

/** Measurements on rendered frames for tests: which pixels belong to objects, where they are, how many blobs. */
final class Pixels {
    private Pixels() {}

    /** All pixels as 0xRRGGBB, row-major. */
    static int[] rgb(BufferedImage image) {
        int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
        for (int i = 0; i < pixels.length; i++) pixels[i] &= 0xFFFFFF;
        return pixels;
    }

    /** Pixels closer to the scene's object colour than to its background tone. */
    static boolean[] objectMask(BufferedImage image, Scene scene) {
        int[] pixels = rgb(image);
        boolean[] mask = new boolean[pixels.length];
        for (int i = 0; i < pixels.length; i++)
            mask[i] = Colour.distanceSquared(pixels[i], scene.rgb()) < Colour.distanceSquared(pixels[i], scene.background().rgb());
        return mask;
    }

    /** Area-averaging downscale (each output pixel is the mean of the source area it covers, fractional overlaps weighted). */
    static BufferedImage downscale(BufferedImage image, int width, int height) {
        int sw = image.getWidth(), sh = image.getHeight();
        int[] src = rgb(image);
        double[][] wx = weights(sw, width), wy = weights(sh, height);
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int oy = 0; oy < height; oy++)
            for (int ox = 0; ox < width; ox++) {
                double r = 0, g = 0, b = 0, total = 0;
                double sy = (double) sh / height, sx = (double) sw / width;
                for (int y = (int) (oy * sy); y < Math.min(sh, (int) Math.ceil((oy + 1) * sy)); y++) {
                    for (int x = (int) (ox * sx); x < Math.min(sw, (int) Math.ceil((ox + 1) * sx)); x++) {
                        double w = wx[ox][x] * wy[oy][y];
                        if (w == 0) continue;
                        int p = src[y * sw + x];
                        r += w * ((p >> 16) & 0xFF);
                        g += w * ((p >> 8) & 0xFF);
                        b += w * (p & 0xFF);
                        total += w;
                    }
                }
                out.setRGB(ox, oy, (int) Math.round(r / total) << 16 | (int) Math.round(g / total) << 8 | (int) Math.round(b / total));
            }
        return out;
    }

    /** weights[o][i]: how much of source cell i lies in output cell o. */
    private static double[][] weights(int source, int output) {
        double scale = (double) source / output;
        double[][] w = new double[output][source];
        for (int o = 0; o < output; o++) {
            double lo = o * scale, hi = (o + 1) * scale;
            for (int i = (int) lo; i < Math.min(source, (int) Math.ceil(hi)); i++) w[o][i] = Math.max(0, Math.min(hi, i + 1) - Math.max(lo, i));
        }
        return w;
    }

    /**
     * How much of each pixel the objects cover, read from antialiased colour: the projection of the
     * pixel onto the line from the background tone to the object colour, clamped to [0, 1]; texture
     * noise (under 0.2) counts as 0.
     */
    static double[] coverage(BufferedImage image, Scene scene) {
        int w = image.getWidth(), h = image.getHeight();
        int bg = scene.background().rgb(), fg = scene.rgb();
        double[] d = {((fg >> 16) & 0xFF) - ((bg >> 16) & 0xFF), ((fg >> 8) & 0xFF) - ((bg >> 8) & 0xFF), (fg & 0xFF) - (bg & 0xFF)};
        double norm = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        int[] pixels = rgb(image);
        double[] alpha = new double[w * h];
        for (int i = 0; i < pixels.length; i++) {
            int p = pixels[i];
            double a = ((((p >> 16) & 0xFF) - ((bg >> 16) & 0xFF)) * d[0] + (((p >> 8) & 0xFF) - ((bg >> 8) & 0xFF)) * d[1]
                    + ((p & 0xFF) - (bg & 0xFF)) * d[2]) / norm;
            alpha[i] = a < 0.2 ? 0 : Math.min(1, a);
        }
        return alpha;
    }

    static double area(double[] coverage) {
        double sum = 0;
        for (double a : coverage) sum += a;
        return sum;
    }

    /** The coverage-weighted mean (x, y) in pixels. */
    static double[] centroid(double[] coverage, int width) {
        double sx = 0, sy = 0, n = 0;
        for (int i = 0; i < coverage.length; i++) {
            sx += coverage[i] * (i % width);
            sy += coverage[i] * (i / width);
            n += coverage[i];
        }
        return new double[] {sx / n, sy / n};
    }

    static int area(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) if (b) n++;
        return n;
    }

    /** The number of 8-connected components of the mask. */
    static int blobs(boolean[] mask, int width) {
        int height = mask.length / width, count = 0;
        boolean[] seen = new boolean[mask.length];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int start = 0; start < mask.length; start++) {
            if (!mask[start] || seen[start]) continue;
            count++;
            seen[start] = true;
            queue.add(start);
            while (!queue.isEmpty()) {
                int i = queue.poll(), x = i % width, y = i / width;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int nx = x + dx, ny = y + dy;
                        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
                        int j = ny * width + nx;
                        if (mask[j] && !seen[j]) {
                            seen[j] = true;
                            queue.add(j);
                        }
                    }
            }
        }
        return count;
    }

    /** The mean colour (0xRRGGBB) of pixels that are almost pure object colour: the interior, not antialiased edges. */
    static int interiorColour(BufferedImage image, Scene scene) {
        long r = 0, g = 0, b = 0, n = 0;
        for (int p : rgb(image))
            if (Colour.distanceSquared(p, scene.rgb()) < 20 * 20) {
                r += (p >> 16) & 0xFF;
                g += (p >> 8) & 0xFF;
                b += p & 0xFF;
                n++;
            }
        if (n == 0) return -1;
        return (int) (r / n) << 16 | (int) (g / n) << 8 | (int) (b / n);
    }

    /** The mean absolute difference per channel between two images of the same size. */
    static double meanAbsDiff(BufferedImage a, BufferedImage b) {
        long sum = 0;
        int[] pa = rgb(a), pb = rgb(b);
        for (int i = 0; i < pa.length; i++)
            for (int s = 0; s < 24; s += 8) sum += Math.abs(((pa[i] >> s) & 0xFF) - ((pb[i] >> s) & 0xFF));
        return sum / (3.0 * a.getWidth() * a.getHeight());
    }

    static boolean samePixels(BufferedImage a, BufferedImage b) {
        return a.getWidth() == b.getWidth() && a.getHeight() == b.getHeight() && java.util.Arrays.equals(rgb(a), rgb(b));
    }
}
