package io.narrator.ingest;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import javax.imageio.ImageIO;

/**
 * A CLIP as the commands take it — a video file, an http(s)/rtsp URL, a single image, or a folder of frames
 * (one image per second, in name order) — decoded with the ingest engine and sampled by event time like a
 * stream: the same {@link IngestJob}, {@link FpsSampler} and JPEG frames that {@code narrator ingest}
 * publishes, with the first frame at media time 0. What {@code caption}, {@code score}, {@code generate}
 * and {@code prompt} read their media with.
 */
public final class SampledMedia {
    /** Stream id of the frames read here; never published. */
    private static final String LOCAL_STREAM = "local";

    static {
        ImageIO.setUseCache(false);
    }

    private SampledMedia() {}

    /**
     * Reads {@code location} to its end and hands each kept frame to {@code frames}, in time order, on the
     * calling thread, so a long video is never held in memory whole.
     *
     * @return how many frames were kept
     * @throws IngestException naming the location when it cannot be read or holds no frame
     */
    public static long read(String location, double fps, Consumer<TimedImage> frames) {
        VideoSource source = VideoSource.parse(location);
        IngestOptions options = IngestOptions.builder()
                .setStreamId(LOCAL_STREAM)
                .optFps(fps)
                .optStartTime(Instant.EPOCH)
                .optReconnect(ReconnectPolicy.NEVER)
                .build();
        try (DecodingSink sink = new DecodingSink(frames)) {
            IngestResult result = IngestJob.builder().setSource(source).setOptions(options).setSink(sink).build().run();
            if (result.frames() == 0) throw new IngestException(location + " holds no video frame");
            return result.frames();
        }
    }

    /** Reads a short clip whole: its kept frames in time order. */
    public static List<TimedImage> readAll(String location, double fps) {
        List<TimedImage> frames = new ArrayList<>();
        read(location, fps, frames::add);
        return frames;
    }

    /** Decodes the JPEG/PNG frames ingest delivers back into images. */
    private static final class DecodingSink implements IngestSink {
        private final Consumer<TimedImage> frames;

        DecodingSink(Consumer<TimedImage> frames) {
            this.frames = frames;
        }

        @Override
        public void onFrame(EncodedFrame frame) {
            BufferedImage image;
            try {
                image = ImageIO.read(new ByteArrayInputStream(frame.bytes()));
            } catch (IOException e) {
                throw new IngestException("cannot decode frame " + frame.sequence() + " (" + frame.encoding() + "): " + e.getMessage(), e);
            }
            if (image == null) throw new IngestException("frame " + frame.sequence() + " is not a readable " + frame.encoding() + " image");
            frames.accept(new TimedImage(frame.timestampMicros(), image));
        }

        @Override
        public void onSegment(EncodedSegment segment) {
            throw new IllegalStateException("sampled media reads frames, not segments");
        }

        @Override
        public void close() {}
    }
}
