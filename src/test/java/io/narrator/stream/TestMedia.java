package io.narrator.stream;

import io.narrator.avro.VideoFrame;
import io.narrator.avro.VideoSegment;
import io.narrator.train.world.Episode;
import io.narrator.train.world.FrameRenderer;
import io.narrator.train.world.World;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;

/** Builds test images, frames and segments (real JPEG/PNG bytes, real H.264 in MPEG-TS or fragmented MP4). */
public final class TestMedia {
    public static final int W = 32;
    public static final int H = 24;

    private TestMedia() {}

    public static BufferedImage solid(String colour, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(FakeNarration.rgb(colour)));
        g.fillRect(0, 0, width, height);
        g.dispose();
        return image;
    }

    public static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) throw new IllegalStateException("no writer for " + format);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] jpeg(String colour) {
        return encode(solid(colour, W, H), "jpeg");
    }

    public static byte[] png(String colour) {
        return encode(solid(colour, W, H), "png");
    }

    /**
     * JPEGs of the synthetic world at 1 FPS: {@code seconds} frames of an episode of 8-second scenes drawn from {@code seed},
     * what a camera on the world would send (the bundled model was trained on it).
     */
    public static List<byte[]> worldJpegs(long seed, int seconds, int width, int height) {
        Episode episode = World.DEFAULT.episode(seed, (seconds + 7) / 8, 8_000_000L);
        FrameRenderer renderer = new FrameRenderer(width, height);
        List<byte[]> jpegs = new ArrayList<>();
        for (int s = 0; s < seconds; s++) jpegs.add(encode(renderer.render(episode, s * 1_000_000L).image(), "jpeg"));
        return jpegs;
    }

    /** A JPEG frame of a solid colour at {@code seconds} of event time. */
    public static VideoFrame frame(String stream, long sequence, double seconds, String colour) {
        return frame(stream, sequence, Math.round(seconds * 1_000_000), "JPEG", W, H, jpeg(colour));
    }

    public static VideoFrame frame(String stream, long sequence, long micros, String encoding, int width, int height, byte[] data) {
        return VideoFrame.newBuilder().setStreamId(stream).setSequence(sequence).setTimestampMicros(micros)
                .setEncoding(encoding).setWidth(width).setHeight(height).setData(ByteBuffer.wrap(data)).build();
    }

    /**
     * Encodes solid-colour frames, one colour per second at {@code fps}, as H.264 in MPEG-TS
     * ({@code fmp4=false}) or fragmented MP4.
     */
    public static byte[] video(List<String> coloursPerSecond, int fps, boolean fmp4) {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(out, 64, 48);
                Java2DFrameConverter converter = new Java2DFrameConverter()) {
            recorder.setFormat(fmp4 ? "mp4" : "mpegts");
            if (fmp4) recorder.setOption("movflags", "frag_keyframe+empty_moov+default_base_moof");
            recorder.setVideoCodecName("libopenh264");
            recorder.setVideoCodec(avcodec.AV_CODEC_ID_H264);
            recorder.setPixelFormat(avutil.AV_PIX_FMT_YUV420P);
            recorder.setFrameRate(fps);
            recorder.setGopSize(fps);
            recorder.setVideoBitrate(400_000);
            recorder.start();
            for (String colour : coloursPerSecond) {
                BufferedImage image = solid(colour, 64, 48);
                for (int i = 0; i < fps; i++) recorder.record(converter.convert(image));
            }
            recorder.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot encode test video: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    public static VideoSegment segment(String stream, long sequence, double startSeconds, double durationSeconds, String container, byte[] data) {
        return VideoSegment.newBuilder().setStreamId(stream).setSequence(sequence)
                .setStartMicros(Math.round(startSeconds * 1_000_000)).setDurationMicros(Math.round(durationSeconds * 1_000_000))
                .setContainer(container).setInitSegment(null).setData(ByteBuffer.wrap(data)).build();
    }
}
