package io.narrator.ingest;

import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of {@code narrator ingest}: reads a {@link VideoSource} and delivers sampled JPEG frames or
 * MPEG-TS segments to an {@link IngestSink}, reporting progress. {@link #run()} blocks until the source
 * ends, the job is {@link #stop() stopped} (what remains is delivered), or it fails with an
 * {@link IngestException}. A job runs once; the caller owns and closes the sink.
 *
 * <pre>{@code
 * IngestJob job = IngestJob.builder()
 *         .setSource(VideoSource.parse("clip.mp4"))
 *         .setOptions(IngestOptions.builder().setStreamId("cam-1").build())
 *         .setSink(sink)
 *         .build();
 * IngestResult result = job.run();
 * }</pre>
 */
public final class IngestJob {
    private static final Logger log = LoggerFactory.getLogger(IngestJob.class);

    private final VideoSource source;
    private final IngestOptions options;
    private final IngestSink sink;
    private final ProgressListener progress;
    private final GrabberFactory grabbers;
    private final InstantSource wall;
    private final Sleeper sleeper;
    private final LongSupplier nanoTime;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final AtomicBoolean started = new AtomicBoolean();

    private IngestJob(Builder b) {
        this.source = b.source;
        this.options = b.options;
        this.sink = b.sink;
        this.progress = b.progress;
        this.grabbers = b.grabbers;
        this.wall = b.wall;
        this.sleeper = b.sleeper != null ? b.sleeper : duration -> stop.await(duration.toNanos(), TimeUnit.NANOSECONDS);
        this.nanoTime = b.nanoTime;
    }

    /** A builder; source, options and sink are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the source to its end and delivers what it yields.
     *
     * @throws IngestException when the source cannot be read, naming it and the problem
     * @throws IllegalStateException when the job has already run
     */
    public IngestResult run() {
        if (!started.compareAndSet(false, true)) throw new IllegalStateException("an IngestJob runs only once");
        long startNanos = System.nanoTime();
        FFmpegLogging.install();
        EventClock clock = new EventClock(options.startTime(), wall);
        SinkFeed feed = new SinkFeed(options.streamId(), sink, progress);
        Pacer pacer = options.realtime() ? new Pacer(sleeper, nanoTime) : null;
        if (options.realtime() && source.mayBeLive()) log.info("{} is read as it arrives; --realtime only paces files", source);
        int reconnects = 0;
        boolean reencoded = false;
        try {
            if (source.kind() == VideoSource.Kind.IMAGE_FOLDER) {
                ImageFolderReader reader = new ImageFolderReader(ImageFolder.scan(source), options, clock, pacer, feed, this::isStopped);
                if (options.mode() == IngestMode.FRAMES) {
                    reader.readFrames();
                } else {
                    reader.readSegments();
                    reencoded = true;
                }
            } else {
                Reconnector reconnector = new Reconnector(source, options.reconnect(), sleeper, this::isStopped);
                Reconnector.Opener<FFmpegFrameGrabber> opener = () -> grabbers.open(source);
                if (options.mode() == IngestMode.FRAMES) {
                    var reader = new GrabbedFrameReader(source, options, clock, source.mayBeLive() ? null : pacer, feed, this::isStopped);
                    reconnects = reconnector.run(opener, IngestJob::isLive, reader);
                } else {
                    var reader = new GrabbedSegmentReader(source, options, clock, source.mayBeLive() ? null : pacer, feed, this::isStopped);
                    reconnects = reconnector.run(opener, IngestJob::isLive, reader);
                    reencoded = reader.reencoded();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.info("ingest of {} interrupted", source);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IngestException("ingest of " + source + " failed: " + e.getMessage(), e);
        }
        double elapsed = (System.nanoTime() - startNanos) / 1e9;
        return new IngestResult(feed.frames(), feed.segments(), feed.mediaSeconds(), reconnects, reencoded, elapsed);
    }

    /** Asks a running job to finish: it delivers what it holds and {@link #run()} returns. Safe from any thread. */
    public void stop() {
        stop.countDown();
    }

    /** Whether {@link #stop()} was called. */
    public boolean isStopped() {
        return stop.getCount() == 0;
    }

    /** A source without a known length is live: it may drop and come back. */
    private static boolean isLive(FFmpegFrameGrabber grabber) {
        return grabber.getLengthInTime() <= 0;
    }

    /** Builds an {@link IngestJob}. */
    public static final class Builder {
        private VideoSource source;
        private IngestOptions options;
        private IngestSink sink;
        private ProgressListener progress = ProgressListener.NONE;
        private GrabberFactory grabbers = GrabberFactory.ffmpeg();
        private InstantSource wall = InstantSource.system();
        private Sleeper sleeper;
        private LongSupplier nanoTime = System::nanoTime;

        private Builder() {}

        public Builder setSource(VideoSource source) {
            this.source = source;
            return this;
        }

        public Builder setOptions(IngestOptions options) {
            this.options = options;
            return this;
        }

        public Builder setSink(IngestSink sink) {
            this.sink = sink;
            return this;
        }

        public Builder optProgress(ProgressListener progress) {
            this.progress = progress;
            return this;
        }

        /** Opens files, URLs and devices; replace it to read from somewhere FFmpeg cannot reach by name. */
        public Builder optGrabberFactory(GrabberFactory grabbers) {
            this.grabbers = grabbers;
            return this;
        }

        /** The wall clock that anchors event times when no start time is given. */
        public Builder optWallClock(InstantSource wall) {
            this.wall = wall;
            return this;
        }

        /** How the job waits (reconnect backoff, {@code --realtime}); by default a wait that {@link #stop()} cuts short. */
        public Builder optSleeper(Sleeper sleeper) {
            this.sleeper = sleeper;
            return this;
        }

        /** The monotonic clock (nanoseconds) that {@code --realtime} paces by; {@link System#nanoTime()} by default. */
        public Builder optMonotonicClock(LongSupplier nanoTime) {
            this.nanoTime = nanoTime;
            return this;
        }

        public IngestJob build() {
            if (source == null) throw new IllegalArgumentException("an ingest needs a source");
            if (options == null) throw new IllegalArgumentException("an ingest needs options (at least a stream id)");
            if (sink == null) throw new IllegalArgumentException("an ingest needs a sink");
            Objects.requireNonNull(progress, "progress");
            Objects.requireNonNull(grabbers, "grabbers");
            Objects.requireNonNull(wall, "wall");
            Objects.requireNonNull(nanoTime, "nanoTime");
            return new IngestJob(this);
        }
    }
}
