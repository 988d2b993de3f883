package io.narrator.ingest;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.io.ByteArrayOutputStream;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;

/**
 * One MPEG-TS chunk being written in memory by its own muxer, so it starts with its own PAT/PMT.
 * Either copies compressed packets from a demuxer ({@link #remux}) or encodes frames to H.264 with
 * libopenh264 ({@link #encode}); a new encoder per chunk makes its first frame a keyframe with SPS/PPS.
 */
final class TsChunk implements AutoCloseable {
    /** The only H.264 encoder in JavaCV's FFmpeg build. */
    static final String H264_ENCODER = "libopenh264";

    private final ByteArrayOutputStream bytes;
    private final FFmpegFrameRecorder recorder;
    private boolean finished;

    private TsChunk(ByteArrayOutputStream bytes, FFmpegFrameRecorder recorder) {
        this.bytes = bytes;
        this.recorder = recorder;
    }

    /** A chunk that copies the packets of {@code input}'s video stream (audio is left out). */
    static TsChunk remux(AVFormatContext input, int width, int height) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(bytes, width, height, 0);
        recorder.setFormat("mpegts");
        try {
            recorder.start(input);
        } catch (Exception e) {
            release(recorder);
            throw new IngestException("cannot start an MPEG-TS chunk for remuxing: " + FFmpegErrors.reason(String.valueOf(e.getMessage())), e);
        }
        return new TsChunk(bytes, recorder);
    }

    /** A chunk that encodes BGR frames of {@code width}x{@code height} at {@code frameRate} to H.264. */
    static TsChunk encode(int width, int height, double frameRate) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        FFmpegFrameRecorder recorder = new FFmpegFrameRecorder(bytes, width, height, 0);
        recorder.setFormat("mpegts");
        recorder.setVideoCodecName(H264_ENCODER);
        recorder.setPixelFormat(AV_PIX_FMT_YUV420P);
        recorder.setFrameRate(frameRate);
        recorder.setGopSize(Integer.MAX_VALUE / 2); // one keyframe, at the start: chunks are cut by starting a new encoder
        recorder.setVideoBitrate(bitrate(width, height, frameRate));
        try {
            recorder.start();
        } catch (Exception e) {
            release(recorder);
            throw new IngestException("cannot start the H.264 encoder (" + H264_ENCODER + ") for " + width + "x" + height + " at "
                    + frameRate + " fps: " + FFmpegErrors.reason(String.valueOf(e.getMessage())), e);
        }
        return new TsChunk(bytes, recorder);
    }

    /** Enough bits for clean frames at low rates (image folders at 1 fps) without bloating 30 fps video. */
    static int bitrate(int width, int height, double frameRate) {
        double bits = (double) width * height * (0.15 * frameRate + 0.5);
        return (int) Math.max(200_000, Math.min(20_000_000, bits));
    }

    /** Copies a compressed packet of the input's video stream; the packet is consumed (unreferenced). */
    void write(AVPacket packet) {
        try {
            recorder.recordPacket(packet);
        } catch (Exception e) {
            throw new IngestException("cannot copy a video packet into an MPEG-TS chunk: " + FFmpegErrors.reason(String.valueOf(e.getMessage())), e);
        }
    }

    /** Encodes a BGR frame as frame number {@code frameNumber} of the encoder's clock (1 / frame rate). */
    void write(Frame bgr, int frameNumber) {
        try {
            recorder.setFrameNumber(frameNumber);
            recorder.record(bgr);
        } catch (Exception e) {
            throw new IngestException("cannot encode a frame to H.264: " + FFmpegErrors.reason(String.valueOf(e.getMessage())), e);
        }
    }

    /** Flushes the encoder and muxer and returns the chunk's bytes. */
    byte[] finish() {
        if (finished) throw new IllegalStateException("chunk already finished");
        finished = true;
        try {
            recorder.stop();
        } catch (Exception e) {
            throw new IngestException("cannot finish an MPEG-TS chunk: " + FFmpegErrors.reason(String.valueOf(e.getMessage())), e);
        } finally {
            release(recorder);
        }
        return bytes.toByteArray();
    }

    /** Releases an unfinished chunk; does nothing after {@link #finish()}. */
    @Override
    public void close() {
        if (!finished) {
            finished = true;
            release(recorder);
        }
    }

    private static void release(FFmpegFrameRecorder recorder) {
        try {
            recorder.release();
        } catch (Exception e) {
            // nothing left to save: the chunk is being dropped
        }
    }
}
