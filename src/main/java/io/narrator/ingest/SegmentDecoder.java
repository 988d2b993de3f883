package io.narrator.ingest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.FrameGrabber;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Decodes an encoded video segment (MPEG-TS, or fragmented MP4 with an optional init segment
 * prepended) in memory with JavaCV, and keeps the frames an {@link FpsSampler} keeps, by
 * presentation time: a frame's event time is {@code startMicros + (its PTS - the first frame's PTS)}.
 * Every frame is decoded (inter-frame codecs need that), but only kept frames become images.
 */
public final class SegmentDecoder {
    static {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    }

    /** Containers a segment may come in, by the name written in {@code VideoSegment.container}. */
    public enum Container {
        MPEGTS("mpegts"),
        FMP4("mp4");

        private final String ffmpegFormat;

        Container(String ffmpegFormat) {
            this.ffmpegFormat = ffmpegFormat;
        }

        /** The container with this exact name, if any. */
        public static Optional<Container> parse(String name) {
            return Arrays.stream(values()).filter(c -> c.name().equals(name)).findFirst();
        }
    }

    /** One kept frame: its event time, the image, and how long decoding took since the previous kept frame. */
    public record SampledImage(long timestampMicros, BufferedImage image, long decodeMicros) {}

    /**
     * What a segment yielded: the kept frames in time order, the event time of the last kept frame
     * (unchanged when none was kept), and how many frames were dropped for each sampling reason.
     */
    public record Result(List<SampledImage> kept, long lastKeptMicros, Map<FpsSampler.Decision, Integer> dropped, int decodedFrames) {
        public Result {
            kept = List.copyOf(kept);
            dropped = Map.copyOf(dropped);
        }
    }

    /** A segment that cannot be decoded, or whose frames are too large. */
    public static final class InvalidSegmentException extends RuntimeException {
        private final boolean tooManyPixels;

        InvalidSegmentException(String message, boolean tooManyPixels, Throwable cause) {
            super(message, cause);
            this.tooManyPixels = tooManyPixels;
        }

        /** True when the segment decodes but its frames exceed the pixel limit. */
        public boolean tooManyPixels() {
            return tooManyPixels;
        }
    }

    private SegmentDecoder() {}

    /**
     * Decodes {@code data} (after {@code init}, if given) and samples its frames.
     *
     * @param lastKeptMicros event time of the last frame kept for the stream, or {@link FpsSampler#NONE}
     * @throws InvalidSegmentException when the bytes are not a decodable segment of this container,
     *     hold no video frame, or their frames have more than {@code maxPixels} pixels
     */
    public static Result decode(
            Container container, byte[] init, byte[] data, long startMicros, FpsSampler sampler, long lastKeptMicros, long maxPixels) {
        if (container == null || data == null || sampler == null)
            throw new IllegalArgumentException("container, data and sampler must not be null");
        byte[] bytes = data;
        if (init != null && init.length > 0) {
            bytes = Arrays.copyOf(init, init.length + data.length);
            System.arraycopy(data, 0, bytes, init.length, data.length);
        }
        List<SampledImage> kept = new ArrayList<>();
        Map<FpsSampler.Decision, Integer> dropped = new EnumMap<>(FpsSampler.Decision.class);
        long last = lastKeptMicros;
        int decoded = 0;
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(new ByteArrayInputStream(bytes), bytes.length + 1);
                Java2DFrameConverter converter = new Java2DFrameConverter()) {
            grabber.setFormat(container.ffmpegFormat);
            grabber.start();
            long pixels = (long) grabber.getImageWidth() * grabber.getImageHeight();
            if (pixels <= 0) throw new InvalidSegmentException(container + " segment has no video stream", false, null);
            if (pixels > maxPixels)
                throw new InvalidSegmentException(container + " segment is " + grabber.getImageWidth() + "x" + grabber.getImageHeight()
                        + " = " + pixels + " pixels, exceeds max.pixels=" + maxPixels, true, null);
            long firstPts = Long.MIN_VALUE;
            long clock = System.nanoTime();
            Frame frame;
            while ((frame = grabber.grabImage()) != null) {
                if (frame.image == null) continue;
                decoded++;
                if (firstPts == Long.MIN_VALUE) firstPts = frame.timestamp;
                long timestamp = startMicros + (frame.timestamp - firstPts);
                FpsSampler.Decision decision = sampler.decide(last, timestamp);
                if (decision == FpsSampler.Decision.KEEP) {
                    BufferedImage image = Java2DFrameConverter.cloneBufferedImage(converter.convert(frame));
                    long now = System.nanoTime();
                    kept.add(new SampledImage(timestamp, image, (now - clock) / 1000));
                    clock = now;
                    last = timestamp;
                } else {
                    dropped.merge(decision, 1, Integer::sum);
                }
            }
            grabber.stop();
        } catch (FrameGrabber.Exception e) {
            throw new InvalidSegmentException("cannot decode " + container + " segment of " + bytes.length + " bytes: " + e.getMessage(), false, e);
        }
        if (decoded == 0)
            throw new InvalidSegmentException(container + " segment of " + bytes.length + " bytes holds no decodable video frame", false, null);
        return new Result(kept, last, dropped, decoded);
    }
}
