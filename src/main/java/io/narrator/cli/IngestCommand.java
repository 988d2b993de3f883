package io.narrator.cli;

import io.narrator.ingest.EventClock;
import io.narrator.ingest.IngestJob;
import io.narrator.ingest.IngestMode;
import io.narrator.ingest.IngestOptions;
import io.narrator.ingest.IngestResult;
import io.narrator.ingest.Sleeper;
import io.narrator.ingest.VideoSource;
import io.narrator.stream.KafkaIngestSink;
import io.narrator.stream.NarratorConfig;
import io.narrator.stream.Topics;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code narrator ingest}: reads video with JavaCV and publishes frames or segments of one stream to Kafka. */
@Command(name = "ingest", header = "Publish a video file, URL, camera or image folder to Kafka.",
        mixinStandardHelpOptions = true, sortOptions = false,
        description = "Publishes a video to Kafka as one stream: JPEG frames sampled at --fps (VideoFrame records) or MPEG-TS segments of about --segment-seconds, remuxed without re-encoding where possible (VideoSegment records). SOURCE is a video file, an http(s)/rtsp URL, a V4L2 device (/dev/video0) or a folder of JPEG/PNG images. Live sources reconnect with backoff when they drop; Ctrl-C stops cleanly after flushing what was read.",
        footer = {"", "Examples:",
                "  narrator ingest clip.mp4 --stream-id cam-1",
                "  narrator ingest clip.mp4 --stream-id cam-1 --as segments --realtime",
                "  narrator ingest rtsp://camera.local/stream --stream-id door --bootstrap-servers kafka:9092",
                "  narrator ingest /dev/video0 --stream-id webcam --fps 2",
                "  narrator ingest frames/ --stream-id lab --start-time 2025-01-31T12:00:00Z"})
final class IngestCommand implements Callable<Integer> {
    /** How the ingest waits, or null for the job's own wait (which a stop cuts short); and the clock {@code --realtime} paces by. */
    private final Sleeper sleeper;
    private final LongSupplier nanoTime;

    IngestCommand() {
        this(null, System::nanoTime);
    }

    /** An ingest that waits with {@code sleeper} and paces {@code --realtime} by {@code nanoTime} (for a command factory that controls time). */
    IngestCommand(Sleeper sleeper, LongSupplier nanoTime) {
        this.sleeper = sleeper;
        this.nanoTime = nanoTime;
    }

    @Parameters(index = "0", paramLabel = "SOURCE", description = "Video file, http(s)/rtsp URL, /dev/videoN, or folder of images.")
    String source;

    @Option(names = {"-s", "--stream-id"}, required = true, paramLabel = "ID", description = "The stream's id: the Kafka key of every record.")
    String streamId;

    @Option(names = "--as", paramLabel = "frames|segments", defaultValue = "frames",
            description = "Publish sampled JPEG frames or encoded MPEG-TS segments (default: ${DEFAULT-VALUE}).")
    IngestMode mode;

    @Option(names = "--fps", paramLabel = "N", defaultValue = "1", description = "Frames kept per second in frames mode (default: ${DEFAULT-VALUE}).")
    double fps;

    @Option(names = "--segment-seconds", paramLabel = "S", defaultValue = "2",
            description = "Target segment length; cut at the first keyframe after it (default: ${DEFAULT-VALUE}).")
    double segmentSeconds;

    @Option(names = "--realtime", description = "Pace a file or folder at its own speed, like a live camera.")
    boolean realtime;

    @Option(names = "--start-time", paramLabel = "T",
            description = "Event time of the first frame: ISO-8601 (2025-01-31T12:00:00Z) or epoch ms (default: the wall clock).")
    String startTime;

    @Option(names = "--folder-fps", paramLabel = "N", defaultValue = "1",
            description = "Frame rate of a folder of images: image i is at i/N seconds (default: ${DEFAULT-VALUE}).")
    double folderFps;

    @Option(names = "--no-progress", description = "Do not show the progress bar.")
    boolean noProgress;

    @Mixin KafkaOptions kafka;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        VideoSource video = VideoSource.parse(source);
        IngestOptions.Builder b = IngestOptions.builder().setStreamId(streamId).optMode(mode).optFps(fps).optRealtime(realtime)
                .optSegmentSeconds(segmentSeconds).optFolderFps(folderFps);
        if (startTime != null) b.optStartTime(EventClock.parseStartTime(startTime));
        IngestOptions options = b.build();
        NarratorConfig config = kafka.clientConfig();
        kafka.prepare(config);
        Topics topics = Topics.from(config);
        String unit = mode == IngestMode.FRAMES ? "frames" : "segments";
        String topic = mode == IngestMode.FRAMES ? topics.frames().name() : topics.segments().name();
        IngestResult result;
        boolean interrupted;
        try (StopSignal stop = StopSignal.install();
                KafkaIngestSink sink = KafkaIngestSink.create(config);
                IngestProgressBar bar = noProgress ? null : new IngestProgressBar(spec.commandLine().getErr(), streamId, unit)) {
            IngestJob job = IngestJob.builder().setSource(video).setOptions(options).setSink(sink)
                    .optProgress(bar == null ? io.narrator.ingest.ProgressListener.NONE : bar)
                    .optSleeper(sleeper).optMonotonicClock(nanoTime)
                    .build();
            stop.onStop(job::stop);
            result = job.run();
            // an interrupt stops the job like Ctrl-C; clear it so what was read is still flushed to Kafka
            interrupted = Thread.interrupted();
            if (bar != null) bar.close();
            sink.flush();
        }
        if (interrupted) Thread.currentThread().interrupt();
        long items = mode == IngestMode.FRAMES ? result.frames() : result.segments();
        spec.commandLine().getOut().printf(Locale.ROOT, "published %d %s of stream %s (%.1f s of video%s) to %s in %.1f s%n", items, unit, streamId,
                result.mediaSeconds(), result.reencoded() ? ", re-encoded to H.264" : "", topic, result.elapsedSeconds());
        return 0;
    }
}
