package io.narrator.ingest;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Renders test videos with JavaCV: a dark frame with a moving coloured square, the frame index as text
 * for people, and the index as a row of black/white blocks along the top edge that survives H.264 and
 * JPEG, so a test can tell exactly which frame it got back.
 */
public final class TestVideos {
    static final int CODE_BITS = 8;

    private TestVideos() {}

    /** Frame {@code index} of a test video. */
    static BufferedImage render(int index, int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(new Color(40, 40, 60));
        g.fillRect(0, 0, width, height);
        int block = block(width);
        for (int bit = 0; bit < CODE_BITS; bit++) {
            g.setColor((index >> bit & 1) == 1 ? Color.WHITE : Color.BLACK);
            g.fillRect(bit * block, 0, block, block);
        }
        int side = height / 4;
        int x = (index * 7) % Math.max(1, width - side);
        g.setColor(Color.getHSBColor((index % 30) / 30f, 0.9f, 0.95f));
        g.fillRect(x, height / 2 - side / 2, side, side);
        g.setColor(Color.YELLOW);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(10, height / 8)));
        g.drawString("#" + index, width / 20, height - height / 12);
        g.dispose();
        return image;
    }

    /** Reads back the index that {@link #render} drew into the top-left blocks. */
    static int readIndex(BufferedImage image) {
        int block = block(image.getWidth());
        int index = 0;
        for (int bit = 0; bit < CODE_BITS; bit++) {
            int rgb = image.getRGB(bit * block + block / 2, block / 2);
            int luma = ((rgb >> 16 & 0xff) + (rgb >> 8 & 0xff) + (rgb & 0xff)) / 3;
            if (luma > 128) index |= 1 << bit;
        }
        return index;
    }

    private static int block(int width) {
        return Math.max(8, width / (CODE_BITS + 4));
    }

    /** Writes an H.264 MP4 file with a keyframe every {@code gop} frames. */
    public static Path h264Mp4(Path file, int width, int height, double fps, int frames, int gop) throws Exception {
        return write(file, "mp4", "libopenh264", width, height, fps, frames, gop);
    }

    /** Writes a test video file in {@code format} with video codec {@code codec}. */
    static Path write(Path file, String format, String codec, int width, int height, double fps, int frames, int gop) throws Exception {
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(file.toString(), width, height, 0)) {
            record(recorder, format, codec, width, height, fps, 0, frames, gop);
        }
        return file;
    }

    /**
     * Encodes frames {@code first} to {@code first + frames - 1} of a test video in memory, in a format that
     * can be written to a stream (such as mpegts).
     */
    static byte[] encode(String format, String codec, int width, int height, double fps, int first, int frames, int gop)
            throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(bytes, width, height, 0)) {
            record(recorder, format, codec, width, height, fps, first, frames, gop);
        }
        return bytes.toByteArray();
    }

    private static void record(FFmpegFrameRecorder recorder, String format, String codec, int width, int height, double fps, int first,
            int frames, int gop) throws Exception {
        avutil.av_log_set_level(avutil.AV_LOG_ERROR);
        Java2DFrameConverter converter = new Java2DFrameConverter();
        recorder.setFormat(format);
        recorder.setVideoCodecName(codec);
        recorder.setFrameRate(fps);
        recorder.setGopSize(gop);
        recorder.setVideoBitrate(800_000);
        recorder.setPixelFormat(codec.equals("mjpeg") ? avutil.AV_PIX_FMT_YUVJ420P : avutil.AV_PIX_FMT_YUV420P);
        recorder.start();
        for (int i = first; i < first + frames; i++) recorder.record(converter.convert(render(i, width, height)));
        recorder.stop();
    }
}
