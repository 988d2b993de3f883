package io.narrator.ingest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Encodes images as baseline JPEG at a fixed quality with the JDK's ImageIO writer. Not thread-safe. */
final class JpegEncoder implements AutoCloseable {
    private final ImageWriter writer;
    private final ImageWriteParam param;

    /** @param quality in (0, 1], as ImageIO defines it (0.85 is what most cameras use) */
    JpegEncoder(float quality) {
        if (!(quality > 0) || quality > 1) throw new IllegalArgumentException("JPEG quality must be in (0, 1], got " + quality);
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) throw new IllegalStateException("this JDK has no JPEG encoder");
        writer = writers.next();
        param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(quality);
    }

    /** The JPEG file for {@code image} (3-byte BGR or any type ImageIO writes as JPEG). */
    byte[] encode(BufferedImage image) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(image.getWidth() * image.getHeight() / 4 + 1024);
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new IngestException("cannot JPEG-encode a " + image.getWidth() + "x" + image.getHeight() + " frame: " + e.getMessage(), e);
        } finally {
            writer.setOutput(null);
        }
        return bytes.toByteArray();
    }

    @Override
    public void close() {
        writer.dispose();
    }
}
