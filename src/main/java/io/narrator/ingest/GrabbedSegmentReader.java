package io.narrator.ingest;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_HEVC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG1VIDEO;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG2VIDEO;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_RAWVIDEO;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Segments mode for FFmpeg sources. When the video codec can travel in MPEG-TS, compressed packets are
 * copied into each chunk untouched (no decoding, no re-encoding) and chunks are cut at keyframes;
 * H.264/HEVC from MP4 get their parameter sets in-band through FFmpeg's automatic
 * {@code *_mp4toannexb} filter. Other codecs, and devices that deliver raw frames, are decoded and
 * re-encoded to H.264 with libopenh264, which is logged once.
 */
final class GrabbedSegmentReader implements SourceReader<FFmpegFrameGrabber> {
    private static final Logger log = LoggerFactory.getLogger(GrabbedSegmentReader.class);
    /** Codecs copied into MPEG-TS as they are: their keyframes carry what a decoder needs to start (after annex-B conversion). */
    private static final Set<Integer> REMUXABLE = Set.of(AV_CODEC_ID_H264, AV_CODEC_ID_HEVC, AV_CODEC_ID_MPEG2VIDEO, AV_CODEC_ID_MPEG1VIDEO);
    private static final double FALLBACK_FPS = 25;

    private final VideoSource source;
    private final EventClock clock;
    private final SinkFeed feed;
    private final SegmentAssembler segments;
    private final BooleanSupplier stopped;
    private long unitsRead;
    private boolean reencoded;

    GrabbedSegmentReader(VideoSource source, IngestOptions options, EventClock clock, Pacer pacer, SinkFeed feed, BooleanSupplier stopped) {
        this.source = Objects.requireNonNull(source, "source");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.segments = new SegmentAssembler(options.segmentMicros(), clock, pacer, feed);
        this.stopped = Objects.requireNonNull(stopped, "stopped");
        this.feed = feed;
    }

    /** Whether some connection had to be re-encoded. */
    boolean reencoded() {
        return reencoded;
    }

    @Override
    public void read(FFmpegFrameGrabber grabber) throws Exception {
        long length = grabber.getLengthInTime();
        feed.setTotalSeconds(length > 0 ? length / 1e6 : 0);
        String blocker = remuxBlocker(grabber);
        try {
            if (blocker == null) {
                remux(grabber);
            } else {
                if (!reencoded) log.info("re-encoding {} to H.264 with {}: {}", source, TsChunk.H264_ENCODER, blocker);
                reencoded = true;
                reencode(grabber);
            }
            segments.finish();
        } finally {
            segments.close();
        }
    }

    /** Why the source's video cannot be copied into MPEG-TS, or null if it can. */
    static String remuxBlocker(FFmpegFrameGrabber grabber) {
        int codec = grabber.getVideoCodec();
        if (codec == AV_CODEC_ID_RAWVIDEO) return "the source delivers uncompressed frames";
        if (!REMUXABLE.contains(codec)) return "its video codec " + FFmpegErrors.codecName(codec) + " cannot be carried in MPEG-TS";
        AVFormatContext format = grabber.getFormatContext();
        int lastVideo = -1;
        for (int i = 0; i < format.nb_streams(); i++) {
            if (format.streams(i).codecpar().codec_type() == AVMEDIA_TYPE_VIDEO) lastVideo = i;
        }
        // FFmpegFrameRecorder copies the codec parameters of the input's last video stream
        if (lastVideo != grabber.getVideoStream()) return "it has several video streams";
        return null;
    }

    private void remux(FFmpegFrameGrabber grabber) throws Exception {
        AVFormatContext format = grabber.getFormatContext();
        int video = grabber.getVideoStream();
        AVStream stream = format.streams(video);
        AVRational timeBase = stream.time_base();
        long frameMicros = Math.round(1e6 / frameRate(grabber));
        long lastMedia = Long.MIN_VALUE;
        while (!stopped.getAsBoolean()) {
            AVPacket packet = GrabberReads.nextPacket(grabber, source);
            if (packet == null) break;
            try {
                if (packet.stream_index() != video) continue;
                unitsRead++;
                long ts = packet.pts() != AV_NOPTS_VALUE ? packet.pts() : packet.dts();
                long media = ts != AV_NOPTS_VALUE ? micros(ts, timeBase)
                        : lastMedia == Long.MIN_VALUE ? 0 : lastMedia + frameMicros;
                lastMedia = media;
                long duration = packet.duration() > 0 ? micros(packet.duration(), timeBase) : frameMicros;
                boolean keyframe = (packet.flags() & AV_PKT_FLAG_KEY) != 0;
                if (segments.startsSegment(media, keyframe)) {
                    segments.start(TsChunk.remux(format, grabber.getImageWidth(), grabber.getImageHeight()), media);
                }
                if (!segments.isOpen()) continue; // joined a live stream between keyframes: wait for one
                segments.extend(media + duration);
                segments.chunk().write(packet);
            } finally {
                av_packet_unref(packet);
            }
        }
    }

    private void reencode(FFmpegFrameGrabber grabber) throws Exception {
        double fps = frameRate(grabber);
        long frameMicros = Math.round(1e6 / fps);
        long firstMedia = Long.MIN_VALUE;
        int lastFrameNumber = -1;
        int chunkWidth = 0;
        int chunkHeight = 0;
        Frame bgr = null;
        try (KeptFrameConverter converter = new KeptFrameConverter()) {
            while (!stopped.getAsBoolean()) {
                Frame frame = GrabberReads.nextPicture(grabber, source);
                if (frame == null) break;
                unitsRead++;
                AVFrame picture = (AVFrame) frame.opaque;
                long media = frame.timestamp;
                if (firstMedia == Long.MIN_VALUE) firstMedia = media;
                bgr = converter.toBgr(picture, bgr);
                boolean sizeChanged = segments.isOpen() && (picture.width() != chunkWidth || picture.height() != chunkHeight);
                if (segments.startsSegment(media, true) || sizeChanged) {
                    chunkWidth = picture.width();
                    chunkHeight = picture.height();
                    segments.start(TsChunk.encode(chunkWidth, chunkHeight, fps), media);
                }
                int frameNumber = (int) Math.max(lastFrameNumber + 1L, Math.round((media - firstMedia) * fps / 1e6));
                lastFrameNumber = frameNumber;
                segments.chunk().write(bgr, frameNumber);
                segments.extend(media + frameMicros);
            }
        } finally {
            if (bgr != null) bgr.close();
        }
    }

    /** The source's frame rate, or 25 when it does not say. */
    static double frameRate(FFmpegFrameGrabber grabber) {
        double fps = grabber.getFrameRate();
        return fps > 0 && fps <= IngestOptions.MAX_FPS ? fps : FALLBACK_FPS;
    }

    private static long micros(long ticks, AVRational timeBase) {
        return 1_000_000L * ticks * timeBase.num() / timeBase.den();
    }

    @Override
    public long unitsRead() {
        return unitsRead;
    }

    @Override
    public void reconnected() {
        clock.reconnected();
        segments.reconnected();
    }
}
