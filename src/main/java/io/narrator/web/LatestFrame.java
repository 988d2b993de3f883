package io.narrator.web;

import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import io.narrator.ingest.FpsSampler;
import io.narrator.ingest.FrameEncoding;
import io.narrator.ingest.SegmentDecoder;
import io.narrator.stream.ImageDecoder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * The latest sampled frame of one stream, as the page shows it: a JPEG or PNG from the frames topic served as it
 * arrived, a raw RGB frame turned into a JPEG, or the last frame of a segment from the segments topic, decoded into a
 * JPEG. Conversions happen once, when the image is first asked for (on the web server's threads), not as records arrive.
 */
final class LatestFrame {
    /** An image file and its media type. */
    record Image(byte[] bytes, String contentType) {}

    private final String source;
    private final long timestampMicros;
    private final long sequence;
    private final int width;
    private final int height;
    private final Converter converter;
    private Image image;

    /** Turns the record's bytes into an image file, once. */
    @FunctionalInterface
    private interface Converter {
        Image convert();
    }

    private LatestFrame(String source, long timestampMicros, long sequence, int width, int height, Converter converter) {
        this.source = source;
        this.timestampMicros = timestampMicros;
        this.sequence = sequence;
        this.width = width;
        this.height = height;
        this.converter = converter;
    }

    /**
     * A frame of the frames topic, after checking that its bytes are the image its header declares (without decoding
     * its pixels).
     *
     * @throws RuntimeException (a {@code RejectedRecordException}) when they are not: the narrator dead-letters such a frame
     */
    static LatestFrame of(VideoFrame frame, long maxPixels) {
        FrameEncoding encoding = FrameEncoding.parse(frame.getEncoding())
                .orElseThrow(() -> new IllegalArgumentException("unknown frame encoding '" + frame.getEncoding() + "'"));
        byte[] data = bytes(frame.getData());
        ImageDecoder.checkHeader(encoding, data, frame.getWidth(), frame.getHeight(), maxPixels);
        Converter converter = switch (encoding) {
            case JPEG -> () -> new Image(data, "image/jpeg");
            case PNG -> () -> new Image(data, "image/png");
            case RAW_RGB24 -> () -> jpeg(ImageDecoder.decode(encoding, data, frame.getWidth(), frame.getHeight(), maxPixels));
        };
        return new LatestFrame("frames", frame.getTimestampMicros(), frame.getSequence(), frame.getWidth(), frame.getHeight(), converter);
    }

    /**
     * A segment of the segments topic, shown by its last sampled frame; its time is the segment's end (its last frame
     * is at most one frame interval before it).
     */
    static LatestFrame of(VideoSegment segment, FpsSampler sampler, long maxPixels) {
        SegmentDecoder.Container container = SegmentDecoder.Container.parse(segment.getContainer())
                .orElseThrow(() -> new IllegalArgumentException("unknown segment container '" + segment.getContainer() + "'"));
        SegmentDecoder.Segment bytes = new SegmentDecoder.Segment(container,
                segment.getInitSegment() == null ? null : bytes(segment.getInitSegment()), bytes(segment.getData()),
                segment.getStartMicros(), segment.getDurationMicros());
        Converter converter = () -> {
            List<SegmentDecoder.SampledImage> kept = SegmentDecoder.decode(bytes, sampler, FpsSampler.NONE, maxPixels).kept();
            return jpeg(kept.get(kept.size() - 1).image());
        };
        return new LatestFrame("segments", segment.getStartMicros() + segment.getDurationMicros(), segment.getSequence(), 0, 0, converter);
    }

    /** The topic the frame came from: {@code frames} or {@code segments}. */
    String source() {
        return source;
    }

    /** Event time of the frame (a segment's end), microseconds. */
    long timestampMicros() {
        return timestampMicros;
    }

    /** The producer's sequence number of the frame or segment. */
    long sequence() {
        return sequence;
    }

    /** Declared width in pixels; 0 for a segment, whose size is known only once decoded. */
    int width() {
        return width;
    }

    /** Declared height in pixels; 0 for a segment. */
    int height() {
        return height;
    }

    /**
     * The image file, converted the first time it is asked for.
     *
     * @throws RuntimeException when the record's bytes cannot be turned into an image (a segment that does not decode)
     */
    synchronized Image image() {
        if (image == null) image = converter.convert();
        return image;
    }

    private static Image jpeg(BufferedImage decoded) {
        BufferedImage rgb = decoded;
        if (decoded.getType() != BufferedImage.TYPE_3BYTE_BGR && decoded.getType() != BufferedImage.TYPE_INT_RGB) {
            rgb = new BufferedImage(decoded.getWidth(), decoded.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
            rgb.getGraphics().drawImage(decoded, 0, 0, null);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(rgb, "jpeg", out)) throw new IllegalStateException("this JDK has no JPEG encoder");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot JPEG-encode a " + rgb.getWidth() + "x" + rgb.getHeight() + " frame: " + e.getMessage(), e);
        }
        return new Image(out.toByteArray(), "image/jpeg");
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }
}
