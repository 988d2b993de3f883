package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.*;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes frame images (JPEG, PNG, raw RGB) with limits checked before any pixel is decoded: the
 * image header is read first, so an oversized or mislabelled image is rejected cheaply.
 */
public final class ImageDecoder {
    static {
        ImageIO.setUseCache(false);
    }

    private ImageDecoder() {}

    /**
     * Checks what can be checked without touching the image data: positive dimensions, at most
     * {@code maxPixels} pixels, and for raw frames the exact byte count.
     *
     * @throws RejectedRecordException with the reason when the frame is unusable
     */
    public static void checkDeclared(FrameEncoding encoding, int width, int height, int dataLength, long maxPixels) {
        if (width <= 0 || height <= 0)
            throw new RejectedRecordException(INVALID_DIMENSIONS, "width and height must be positive, got " + width + "x" + height);
        long pixels = (long) width * height;
        if (pixels > maxPixels)
            throw new RejectedRecordException(TOO_MANY_PIXELS, width + "x" + height + " = " + pixels + " pixels exceeds max.pixels=" + maxPixels);
        if (encoding == FrameEncoding.RAW_RGB24 && dataLength != pixels * 3)
            throw new RejectedRecordException(RAW_SIZE_MISMATCH, "RAW_RGB24 " + width + "x" + height + " needs " + pixels * 3
                    + " bytes, got " + dataLength);
    }

    /**
     * Decodes a frame, after checking its header against the declared size and {@code maxPixels}.
     * Pass {@code width}/{@code height} of 0 when the size is not declared (prompt images).
     *
     * @throws RejectedRecordException with the reason when the image is unusable
     */
    public static BufferedImage decode(FrameEncoding encoding, byte[] data, int width, int height, long maxPixels) {
        return read(encoding, data, width, height, maxPixels, true);
    }

    /**
     * Everything {@link #decode} checks before it decodes pixels (format, header size against the declared size and
     * {@code maxPixels}), without decoding them: what a frame that is decoded later must pass now.
     *
     * @throws RejectedRecordException with the reason when the image is unusable
     */
    public static void checkHeader(FrameEncoding encoding, byte[] data, int width, int height, long maxPixels) {
        read(encoding, data, width, height, maxPixels, false);
    }

    private static BufferedImage read(FrameEncoding encoding, byte[] data, int width, int height, long maxPixels, boolean decodePixels) {
        if (encoding == FrameEncoding.RAW_RGB24) {
            if (!decodePixels) {
                checkDeclared(encoding, width, height, data.length, maxPixels);
                return null;
            }
            return decodeRaw(data, width, height, maxPixels);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext())
                throw new RejectedRecordException(UNDECODABLE_IMAGE, "declared " + encoding + " but the " + data.length
                        + " bytes are not a readable image");
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toUpperCase(Locale.ROOT);
                if (!format.equals(encoding.name()) && !(encoding == FrameEncoding.JPEG && format.equals("JPG")))
                    throw new RejectedRecordException(UNDECODABLE_IMAGE, "declared " + encoding + " but the bytes are " + format);
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                long pixels = (long) w * h;
                if (pixels > maxPixels)
                    throw new RejectedRecordException(TOO_MANY_PIXELS, "image header says " + w + "x" + h + " = " + pixels
                            + " pixels, exceeds max.pixels=" + maxPixels);
                if (width > 0 && height > 0 && (w != width || h != height))
                    throw new RejectedRecordException(INVALID_DIMENSIONS, "record says " + width + "x" + height + " but the image is " + w + "x" + h);
                if (!decodePixels) return null;
                BufferedImage image = reader.read(0);
                if (image == null) throw new RejectedRecordException(UNDECODABLE_IMAGE, encoding + " decoder returned no image");
                return image;
            } finally {
                reader.dispose();
            }
        } catch (RejectedRecordException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new RejectedRecordException(UNDECODABLE_IMAGE, "cannot decode " + encoding + " (" + data.length + " bytes): " + e, e);
        }
    }

    private static BufferedImage decodeRaw(byte[] data, int width, int height, long maxPixels) {
        checkDeclared(FrameEncoding.RAW_RGB24, width, height, data.length, maxPixels);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        int i = 0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++, i += 3)
                row[x] = (data[i] & 0xFF) << 16 | (data[i + 1] & 0xFF) << 8 | data[i + 2] & 0xFF;
            image.setRGB(0, y, width, 1, row, 0, width);
        }
        return image;
    }
}
