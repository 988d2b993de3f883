package io.narrator.ingest;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Reads an {@link ImageFolder} as a video: image {@code i} has media time {@code i / folderFps}. In frames
 * mode, kept images are passed on as they are (JPEG or PNG, no re-encoding; only their headers are read);
 * in segments mode every image is decoded and encoded to H.264 MPEG-TS chunks with libopenh264.
 */
final class ImageFolderReader {
    private record Header(FrameEncoding encoding, int width, int height) {}

    private final ImageFolder folder;
    private final IngestOptions options;
    private final EventClock clock;
    private final Pacer pacer;
    private final SinkFeed feed;
    private final BooleanSupplier stopped;

    ImageFolderReader(ImageFolder folder, IngestOptions options, EventClock clock, Pacer pacer, SinkFeed feed, BooleanSupplier stopped) {
        this.folder = Objects.requireNonNull(folder, "folder");
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pacer = pacer;
        this.feed = Objects.requireNonNull(feed, "feed");
        this.stopped = Objects.requireNonNull(stopped, "stopped");
        feed.setTotalSeconds(folder.images().size() / options.folderFps());
    }

    /** Frames mode: samples the images at {@code --fps} and delivers the kept ones unchanged. */
    void readFrames() throws InterruptedException {
        FpsSampler sampler = options.sampler();
        long lastKept = FpsSampler.NONE;
        for (int i = 0; i < folder.images().size() && !stopped.getAsBoolean(); i++) {
            long media = mediaMicros(i);
            long event = clock.eventMicros(media);
            if (sampler.decide(lastKept, event) != FpsSampler.Decision.KEEP) continue;
            lastKept = event;
            Path file = folder.images().get(i);
            byte[] bytes = readBytes(file);
            Header header = header(file, bytes);
            if (pacer != null) pacer.awaitMediaTime(media);
            feed.frame(event, header.width(), header.height(), header.encoding(), bytes, media / 1e6);
        }
    }

    /** Segments mode: encodes every image to H.264 at the folder's frame rate, in chunks of about {@code --segment-seconds}. */
    void readSegments() throws InterruptedException {
        double fps = options.folderFps();
        long frameMicros = Math.round(1e6 / fps);
        Java2DFrameConverter converter = new Java2DFrameConverter();
        int width = 0;
        int height = 0;
        try (SegmentAssembler segments = new SegmentAssembler(options.segmentMicros(), clock, pacer, feed)) {
            for (int i = 0; i < folder.images().size() && !stopped.getAsBoolean(); i++) {
                long media = mediaMicros(i);
                BufferedImage image = toBgr(decode(folder.images().get(i)));
                boolean sizeChanged = segments.isOpen() && (image.getWidth() != width || image.getHeight() != height);
                if (segments.startsSegment(media, true) || sizeChanged) {
                    width = image.getWidth();
                    height = image.getHeight();
                    segments.start(TsChunk.encode(width, height, fps), media);
                }
                Frame frame = converter.convert(image);
                segments.chunk().write(frame, i);
                segments.extend(media + frameMicros);
            }
            segments.finish();
        }
    }

    private long mediaMicros(int index) {
        return Math.round(index * 1e6 / options.folderFps());
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IngestException("cannot read image " + file + ": " + e.getMessage(), e);
        }
    }

    /** The format and size of an image, from its header alone. */
    private static Header header(Path file, byte[] bytes) {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw notAnImage(file, null);
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                FrameEncoding encoding = format.contains("jpeg") || format.equals("jpg") ? FrameEncoding.JPEG
                        : format.equals("png") ? FrameEncoding.PNG : null;
                if (encoding == null) throw new IngestException("image " + file + " is a " + format + " file; image folders take JPEG or PNG");
                return new Header(encoding, reader.getWidth(0), reader.getHeight(0));
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw notAnImage(file, e);
        }
    }

    private static BufferedImage decode(Path file) {
        try {
            BufferedImage image = ImageIO.read(file.toFile());
            if (image == null) throw notAnImage(file, null);
            return image;
        } catch (IOException e) {
            throw notAnImage(file, e);
        }
    }

    /** The image as 3-byte BGR, the layout the H.264 encoder's converter expects (PNGs may be paletted, grey or have alpha). */
    private static BufferedImage toBgr(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) return image;
        BufferedImage bgr = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = bgr.createGraphics();
        try {
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return bgr;
    }

    private static IngestException notAnImage(Path file, Exception cause) {
        return new IngestException("image " + file + " is not a readable JPEG or PNG" + (cause == null ? "" : ": " + cause.getMessage()), cause);
    }
}
