package io.narrator.ingest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
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
 *
 * <p>Before decoding, the container's structure is checked whole ({@link ContainerStructure}: an MPEG-TS segment is
 * whole sync-byte packets, an fMP4 segment whole boxes), so a truncated segment is refused rather than decoded in
 * part. A segment with a declared duration must agree with its presentation times: no frame at or after
 * {@link #TIMING_TOLERANCE_MICROS} past its declared end, and its last frame no further than one frame interval plus
 * that tolerance before it.
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

    /**
     * How far (in microseconds) a segment's presentation times may stray from its declared duration: one second. It
     * covers producers that round a segment's duration to whole seconds (HLS playlists often do) and timestamp jitter
     * of cameras, while a frame moved by it lands at most one sample (at the default 1 FPS) away from where it belongs;
     * anything further is a timestamp jump or a false duration, which would open windows ahead of the stream or leave a
     * hole it claims to fill.
     */
    public static final long TIMING_TOLERANCE_MICROS = 1_000_000;

    /** What is wrong with a segment. */
    public enum Problem {
        /** Not a decodable segment of its container: truncated, corrupt, or without video. */
        CORRUPT,
        /** It decodes, but its frames exceed the pixel limit. */
        TOO_MANY_PIXELS,
        /** Its presentation times disagree with its declared duration. */
        DURATION_MISMATCH
    }

    /** A segment that cannot be decoded, whose frames are too large, or whose times disagree with its duration. */
    public static final class InvalidSegmentException extends RuntimeException {
        private final Problem problem;

        InvalidSegmentException(String message, Problem problem, Throwable cause) {
            super(message, cause);
            this.problem = problem;
        }

        /** What is wrong. */
        public Problem problem() {
            return problem;
        }

        /** True when the segment decodes but its frames exceed the pixel limit. */
        public boolean tooManyPixels() {
            return problem == Problem.TOO_MANY_PIXELS;
        }
    }

    /**
     * One encoded segment: its container, the init segment to prepend (fMP4, may be null), its bytes, the event time of
     * its first frame and its declared duration ({@code 0} when none is declared, e.g. a prompt's example clip).
     */
    public record Segment(Container container, byte[] init, byte[] data, long startMicros, long durationMicros) {
        public Segment {
            if (container == null || data == null) throw new IllegalArgumentException("container and data must not be null");
            if (durationMicros < 0) throw new IllegalArgumentException("durationMicros must be >= 0 (0 = not declared), got " + durationMicros);
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
        if (container == null || data == null) throw new IllegalArgumentException("container and data must not be null");
        return decode(new Segment(container, init, data, startMicros, 0), sampler, lastKeptMicros, maxPixels);
    }

    /**
     * Decodes {@code segment}, after checking its container's structure, and samples its frames; when it declares a
     * duration, its presentation times must agree with it.
     *
     * @param lastKeptMicros event time of the last frame kept for the stream, or {@link FpsSampler#NONE}
     * @throws InvalidSegmentException when the bytes are not a whole decodable segment of this container, hold no
     *     video frame, their frames have more than {@code maxPixels} pixels, or their times disagree with the duration
     */
    public static Result decode(Segment segment, FpsSampler sampler, long lastKeptMicros, long maxPixels) {
        Decoded<BufferedImage> decoded = decode(segment, sampler, lastKeptMicros, maxPixels, Java2DFrameConverter::cloneBufferedImage);
        return new Result(decoded.kept().stream().map(k -> new SampledImage(k.timestampMicros(), k.frame(), k.decodeMicros())).toList(),
                decoded.lastKeptMicros(), decoded.dropped(), decoded.decodedFrames());
    }

    /** A kept frame as {@code keep} made it (e.g. the vision encoder's input), with its event time and decoding time. */
    public record Kept<T>(long timestampMicros, T frame, long decodeMicros) {}

    /** What a segment yielded, each kept frame as {@code keep} made it; otherwise as {@link Result}. */
    public record Decoded<T>(List<Kept<T>> kept, long lastKeptMicros, Map<FpsSampler.Decision, Integer> dropped, int decodedFrames) {
        public Decoded {
            kept = List.copyOf(kept);
            dropped = Map.copyOf(dropped);
        }
    }

    /**
     * Like {@link #decode(Segment, FpsSampler, long, long)}, turning each kept frame at once into what {@code keep} makes
     * of its image (which is only valid during the call), so that a segment holds in memory what the caller keeps of its
     * frames, not full-size images.
     */
    public static <T> Decoded<T> decode(Segment segment, FpsSampler sampler, long lastKeptMicros, long maxPixels, Function<BufferedImage, T> keep) {
        if (segment == null || sampler == null || keep == null) throw new IllegalArgumentException("segment, sampler and keep must not be null");
        Container container = segment.container();
        byte[] init = segment.init();
        byte[] data = segment.data();
        long startMicros = segment.startMicros();
        String structure = ContainerStructure.check(container, init, data);
        if (structure != null) throw new InvalidSegmentException(structure, Problem.CORRUPT, null);
        byte[] bytes = data;
        if (init != null && init.length > 0) {
            bytes = Arrays.copyOf(init, init.length + data.length);
            System.arraycopy(data, 0, bytes, init.length, data.length);
        }
        List<Kept<T>> kept = new ArrayList<>();
        Map<FpsSampler.Decision, Integer> dropped = new EnumMap<>(FpsSampler.Decision.class);
        long last = lastKeptMicros;
        int decoded = 0;
        Timing timing = new Timing(container, segment.durationMicros());
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(new ByteArrayInputStream(bytes), bytes.length + 1);
                Java2DFrameConverter converter = new Java2DFrameConverter()) {
            grabber.setFormat(container.ffmpegFormat);
            grabber.start();
            long pixels = (long) grabber.getImageWidth() * grabber.getImageHeight();
            if (pixels <= 0) throw new InvalidSegmentException(container + " segment has no video stream", Problem.CORRUPT, null);
            if (pixels > maxPixels)
                throw new InvalidSegmentException(container + " segment is " + grabber.getImageWidth() + "x" + grabber.getImageHeight()
                        + " = " + pixels + " pixels, exceeds max.pixels=" + maxPixels, Problem.TOO_MANY_PIXELS, null);
            double frameRate = grabber.getFrameRate();
            long firstPts = Long.MIN_VALUE;
            long clock = System.nanoTime();
            Frame frame;
            while ((frame = grabber.grabImage()) != null) {
                if (frame.image == null) continue;
                decoded++;
                if (firstPts == Long.MIN_VALUE) firstPts = frame.timestamp;
                long offset = frame.timestamp - firstPts;
                timing.frameAt(offset);
                long timestamp = startMicros + offset;
                FpsSampler.Decision decision = sampler.decide(last, timestamp);
                if (decision == FpsSampler.Decision.KEEP) {
                    BufferedImage image = converter.convert(frame);
                    T made;
                    try {
                        made = keep.apply(image);
                    } catch (RuntimeException e) {
                        throw new KeepFailure(e);
                    }
                    long now = System.nanoTime();
                    kept.add(new Kept<>(timestamp, made, (now - clock) / 1000));
                    clock = now;
                    last = timestamp;
                } else {
                    dropped.merge(decision, 1, Integer::sum);
                }
            }
            grabber.stop();
            if (decoded > 0) timing.end(frameRate);
        } catch (FrameGrabber.Exception e) {
            throw new InvalidSegmentException("cannot decode " + container + " segment of " + bytes.length + " bytes: " + e.getMessage(), Problem.CORRUPT, e);
        } catch (InvalidSegmentException e) {
            throw e;
        } catch (KeepFailure e) {
            throw e.getCause(); // the caller's own failure, not the segment's
        } catch (RuntimeException e) {
            throw new InvalidSegmentException("the decoder failed on " + container + " segment of " + bytes.length + " bytes: " + e, Problem.CORRUPT, e);
        }
        if (decoded == 0)
            throw new InvalidSegmentException(container + " segment of " + bytes.length + " bytes holds no decodable video frame", Problem.CORRUPT, null);
        return new Decoded<>(kept, last, dropped, decoded);
    }

    /** A failure of the caller's {@code keep} function, carried past the handling of the decoder's own failures. */
    private static final class KeepFailure extends RuntimeException {
        KeepFailure(RuntimeException cause) {
            super(cause);
        }

        @Override
        public synchronized RuntimeException getCause() {
            return (RuntimeException) super.getCause();
        }
    }

    /** Checks a segment's presentation times (offsets from its first frame) against its declared duration as they come. */
    private static final class Timing {
        private final Container container;
        private final long durationMicros;
        private long lastOffset = Long.MIN_VALUE;
        private long largestGap;

        Timing(Container container, long durationMicros) {
            this.container = container;
            this.durationMicros = durationMicros;
        }

        void frameAt(long offset) {
            if (durationMicros == 0) return;
            if (offset < -TIMING_TOLERANCE_MICROS)
                throw mismatch("a frame at " + seconds(offset) + " s is before the segment's first frame (a presentation-time jump back?)");
            if (offset >= durationMicros + TIMING_TOLERANCE_MICROS)
                throw mismatch("a frame at +" + seconds(offset) + " s is beyond the segment's declared duration of " + seconds(durationMicros)
                        + " s (a presentation-time jump, or a false duration?)");
            if (lastOffset != Long.MIN_VALUE) largestGap = Math.max(largestGap, offset - lastOffset);
            lastOffset = Math.max(lastOffset, offset);
        }

        /** After the last frame: the content must reach the declared end, within one frame interval and the tolerance. */
        void end(double frameRate) {
            if (durationMicros == 0) return;
            long interval = largestGap > 0 ? largestGap : frameRate > 0 && frameRate <= 1000 ? Math.round(1_000_000 / frameRate) : 0;
            if (durationMicros - lastOffset > interval + TIMING_TOLERANCE_MICROS)
                throw mismatch("the segment declares " + seconds(durationMicros) + " s but its frames end at +" + seconds(lastOffset)
                        + " s (one frame lasts about " + seconds(interval) + " s): the content is shorter than claimed");
        }

        private InvalidSegmentException mismatch(String message) {
            return new InvalidSegmentException(container + " segment: " + message, Problem.DURATION_MISMATCH, null);
        }

        private static String seconds(long micros) {
            return String.format(java.util.Locale.ROOT, "%.3f", micros / 1e6);
        }
    }
}
