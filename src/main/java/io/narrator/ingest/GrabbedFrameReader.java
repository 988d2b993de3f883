package io.narrator.ingest;

import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/**
 * Frames mode for FFmpeg sources: decodes every frame (inter-frame codecs need them all) but converts
 * and JPEG-encodes only those the {@link FpsSampler} keeps. Sampling is decided on the event time of the
 * still-unconverted frame, so dropped frames cost only their decoding.
 */
final class GrabbedFrameReader implements SourceReader<FFmpegFrameGrabber> {
    /** Kept frames being converted and encoded while decoding goes on; a few hide the encoder behind the decoder. */
    private static final int JPEG_IN_FLIGHT = 3;

    private final VideoSource source;
    private final FpsSampler sampler;
    private final EventClock clock;
    private final Pacer pacer;
    private final SinkFeed feed;
    private final float jpegQuality;
    private final BooleanSupplier stopped;
    private long lastKeptMicros = FpsSampler.NONE;
    private long firstMediaMicros = Long.MIN_VALUE;
    private long unitsRead;

    /**
     * @param pacer paces kept frames at their presentation times ({@code --realtime}), or null to go as fast as decoding allows
     */
    GrabbedFrameReader(VideoSource source, IngestOptions options, EventClock clock, Pacer pacer, SinkFeed feed, BooleanSupplier stopped) {
        this.source = Objects.requireNonNull(source, "source");
        this.sampler = options.sampler();
        this.jpegQuality = options.jpegQuality();
        this.clock = Objects.requireNonNull(clock, "clock");
        this.pacer = pacer;
        this.feed = Objects.requireNonNull(feed, "feed");
        this.stopped = Objects.requireNonNull(stopped, "stopped");
    }

    @Override
    public void read(FFmpegFrameGrabber grabber) throws Exception {
        long length = grabber.getLengthInTime();
        feed.setTotalSeconds(length > 0 ? length / 1e6 : 0);
        try (JpegPipeline jpeg = new JpegPipeline(feed, jpegQuality, pacer == null ? JPEG_IN_FLIGHT : 0)) {
            while (!stopped.getAsBoolean()) {
                Frame frame = GrabberReads.nextPicture(grabber, source);
                if (frame == null) break;
                unitsRead++;
                long media = frame.timestamp;
                if (firstMediaMicros == Long.MIN_VALUE) firstMediaMicros = media;
                long event = clock.eventMicros(media);
                if (sampler.decide(lastKeptMicros, event) != FpsSampler.Decision.KEEP) {
                    jpeg.deliverReady();
                    continue;
                }
                lastKeptMicros = event;
                if (pacer != null) pacer.awaitMediaTime(media);
                jpeg.submit((AVFrame) frame.opaque, event, (media - firstMediaMicros) / 1e6);
            }
            jpeg.drain();
        }
    }

    @Override
    public long unitsRead() {
        return unitsRead;
    }

    @Override
    public void reconnected() {
        clock.reconnected();
        firstMediaMicros = Long.MIN_VALUE;
    }
}
