package io.narrator.stream;

import static io.narrator.stream.DeadLetterReason.*;

import io.narrator.ingest.FrameEncoding;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes frame images (JPEG, PNG, raw RGB) with limits checked before any pixel is decoded: the
 * image header is read first, so an oversized or mislabelled image is rejected cheaply. Only a whole image is
 * accepted: a PNG must be whole chunks with correct checksums ending with {@code IEND}, and a JPEG the decoder
 * warns about (truncated, corrupt entropy-coded data; ImageIO then returns a partly grey image) is refused.
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
                if (encoding == FrameEncoding.PNG) checkPngChunks(data);
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
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (image == null) throw new RejectedRecordException(UNDECODABLE_IMAGE, encoding + " decoder returned no image");
                if (!warnings.isEmpty())
                    throw new RejectedRecordException(UNDECODABLE_IMAGE, "truncated or corrupt " + encoding + " (" + data.length + " bytes): "
                            + String.join("; ", warnings));
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

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** Checks that PNG bytes are the signature, then whole chunks with correct CRCs, the last one {@code IEND}. */
    private static void checkPngChunks(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        if (data.length < PNG_SIGNATURE.length || !Arrays.equals(data, 0, PNG_SIGNATURE.length, PNG_SIGNATURE, 0, PNG_SIGNATURE.length))
            throw new RejectedRecordException(UNDECODABLE_IMAGE, "PNG of " + data.length + " bytes does not start with the PNG signature");
        b.position(PNG_SIGNATURE.length);
        CRC32 crc = new CRC32();
        while (b.remaining() > 0) {
            int at = b.position();
            if (b.remaining() < 12)
                throw new RejectedRecordException(UNDECODABLE_IMAGE, "truncated PNG (" + data.length + " bytes): it ends inside a chunk header at byte " + at);
            long length = b.getInt() & 0xFFFFFFFFL;
            String type = new String(data, at + 4, 4, StandardCharsets.ISO_8859_1);
            if (length > b.remaining() - 8)
                throw new RejectedRecordException(UNDECODABLE_IMAGE, "truncated PNG (" + data.length + " bytes): chunk " + printable(type)
                        + " at byte " + at + " declares " + length + " bytes, " + (b.remaining() - 8) + " are left");
            crc.reset();
            crc.update(data, at + 4, 4 + (int) length);
            b.position(at + 8 + (int) length);
            if ((b.getInt() & 0xFFFFFFFFL) != crc.getValue())
                throw new RejectedRecordException(UNDECODABLE_IMAGE, "corrupt PNG: chunk " + printable(type) + " at byte " + at + " fails its CRC");
            if (type.equals("IEND")) {
                if (b.remaining() > 0)
                    throw new RejectedRecordException(UNDECODABLE_IMAGE, "PNG has " + b.remaining() + " bytes after its IEND chunk");
                return;
            }
        }
        throw new RejectedRecordException(UNDECODABLE_IMAGE, "truncated PNG (" + data.length + " bytes): no IEND chunk at its end");
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 0x20 && c < 0x7F) ? "'" + type + "'" : "?";
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
