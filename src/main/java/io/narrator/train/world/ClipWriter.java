package io.narrator.train.world;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes rendered frames as H.264 (libopenh264) video in MP4 or MPEG-TS with JavaCV, to a file or an
 * output stream. Each frame's presentation time is its timestamp: timestamps must increase and fall on
 * distinct frame slots of the settings' frame rate (any start time is fine, e.g. the middle of an
 * episode). Key frames come once a second, so the video can be cut into segments at second boundaries.
 */
public final class ClipWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClipWriter.class);
    private static final String CODEC = "libopenh264";

    private final FFmpegFrameRecorder recorder;
    private final VideoSettings settings;
    private final String target;
    private final Frame buffer;
    private long lastSlot = Long.MIN_VALUE;
    private long framesWritten;
    private boolean closed;

    private ClipWriter(FFmpegFrameRecorder recorder, VideoSettings settings, String target) {
        this.recorder = recorder;
        this.settings = settings;
        this.target = target;
        this.buffer = new Frame(settings.width(), settings.height(), Frame.DEPTH_UBYTE, 3);
        recorder.setFormat(settings.container().ffmpegFormat());
        recorder.setVideoCodecName(CODEC);
        recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
        recorder.setFrameRate(settings.fps());
        recorder.setVideoBitrate(settings.bitrate());
        recorder.setGopSize((int) Math.max(1, Math.round(settings.fps())));
        try {
            recorder.start();
        } catch (IOException e) {
            release();
            throw new UncheckedIOException("cannot start " + CODEC + " " + settings.container() + " encoder for " + target + ": " + e.getMessage(), e);
        }
        LOG.debug("writing {} {}x{} at {} fps, {} bit/s to {}", settings.container(), settings.width(), settings.height(),
                settings.fps(), settings.bitrate(), target);
    }

    /** A writer to {@code file}, creating missing parent directories; fails clearly if the file cannot be written. */
    public static ClipWriter toFile(Path file, VideoSettings settings) {
        if (file == null) throw new IllegalArgumentException("video file must not be null");
        if (settings == null) throw new IllegalArgumentException("video settings must not be null");
        Path absolute = file.toAbsolutePath();
        if (Files.isDirectory(absolute)) throw new IllegalArgumentException("cannot write video to " + file + ": it is a directory");
        Path parent = absolute.getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException | SecurityException e) {
            throw new IllegalArgumentException("cannot write video to " + file + ": cannot create directory " + parent + " (" + e + ")", e);
        }
        if (!Files.isWritable(parent) || (Files.exists(absolute) && !Files.isWritable(absolute)))
            throw new IllegalArgumentException("cannot write video to " + file + ": no write permission");
        quietFfmpeg();
        return new ClipWriter(new FFmpegFrameRecorder(absolute.toFile(), settings.width(), settings.height(), 0), settings, file.toString());
    }

    /**
     * A writer to {@code out}, which stays open when the writer closes. MP4 is written fragmented
     * ({@code frag_keyframe+empty_moov}), since a plain MP4 needs to seek back; {@code delay_moov} keeps
     * the presentation time of a first frame that is not at 0.
     */
    public static ClipWriter toStream(OutputStream out, VideoSettings settings) {
        if (out == null) throw new IllegalArgumentException("output stream must not be null");
        if (settings == null) throw new IllegalArgumentException("video settings must not be null");
        quietFfmpeg();
        FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(out, settings.width(), settings.height(), 0);
        recorder.setCloseOutputStream(false);
        if (settings.container() == VideoContainer.MP4) recorder.setOption("movflags", "frag_keyframe+empty_moov+delay_moov+default_base_moof");
        return new ClipWriter(recorder, settings, "an output stream");
    }

    /** The encoding settings. */
    public VideoSettings settings() {
        return settings;
    }

    /** How many frames have been written. */
    public long framesWritten() {
        return framesWritten;
    }

    /** Encodes one frame at its timestamp. */
    public void write(RenderedFrame frame) {
        if (closed) throw new IllegalStateException("video writer for " + target + " is closed");
        if (frame == null) throw new IllegalArgumentException("frame must not be null");
        if (frame.width() != settings.width() || frame.height() != settings.height())
            throw new IllegalArgumentException("frame is " + frame.width() + "x" + frame.height() + " but the video is "
                    + settings.width() + "x" + settings.height());
        long slot = Math.round(frame.timestampMicros() * settings.fps() / 1_000_000d);
        if (slot <= lastSlot)
            throw new IllegalArgumentException("frame at " + frame.timestampMicros() + " µs does not come after the previous frame at "
                    + settings.fps() + " fps: timestamps must increase by at least one frame interval");
        if (slot > Integer.MAX_VALUE) throw new IllegalArgumentException("frame at " + frame.timestampMicros() + " µs is too late to encode");
        copyBgr(frame.image());
        try {
            recorder.setFrameNumber((int) slot);
            recorder.record(buffer, avutil.AV_PIX_FMT_BGR24);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode frame at " + frame.timestampMicros() + " µs to " + target + ": " + e.getMessage(), e);
        }
        lastSlot = slot;
        framesWritten++;
    }

    /** Encodes every frame of {@code frames} in order. */
    public void writeAll(Stream<RenderedFrame> frames) {
        frames.forEachOrdered(this::write);
    }

    /** Flushes the encoder and finishes the container; the writer cannot be used afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            recorder.stop();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot finish video " + target + ": " + e.getMessage(), e);
        } finally {
            release();
        }
    }

    private void release() {
        try {
            recorder.release();
        } catch (IOException e) {
            LOG.warn("cannot release the encoder of {}: {}", target, e.toString());
        }
    }

    private void copyBgr(BufferedImage image) {
        int width = settings.width(), height = settings.height(), stride = buffer.imageStride;
        ByteBuffer bytes = (ByteBuffer) buffer.image[0];
        int[] row = new int[width];
        int[] whole = null;
        if (image.getType() == BufferedImage.TYPE_INT_RGB && image.getRaster().getParent() == null) {
            int[] data = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
            if (data.length == width * height) whole = data;
        }
        for (int y = 0; y < height; y++) {
            if (whole != null) System.arraycopy(whole, y * width, row, 0, width);
            else image.getRGB(0, y, width, 1, row, 0, width);
            int o = y * stride;
            for (int x = 0; x < width; x++, o += 3) {
                int p = row[x];
                bytes.put(o, (byte) p);
                bytes.put(o + 1, (byte) (p >> 8));
                bytes.put(o + 2, (byte) (p >> 16));
            }
        }
    }

    private static void quietFfmpeg() {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
    }
}
