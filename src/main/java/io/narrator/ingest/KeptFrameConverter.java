package io.narrator.ingest;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Converts a decoded picture (in its codec's pixel format) to BGR, then to a {@link BufferedImage}
 * through {@link Java2DFrameConverter}: the work done only for frames the sampler keeps. Not thread-safe.
 */
final class KeptFrameConverter implements AutoCloseable {
    private SwsContext sws;

    /**
     * Converts {@code picture} into {@code target} if it is a BGR frame of the same size, otherwise into a
     * new frame; returns the frame written.
     */
    Frame toBgr(AVFrame picture, Frame target) {
        int width = picture.width();
        int height = picture.height();
        Frame bgr = target != null && target.imageWidth == width && target.imageHeight == height && target.imageChannels == 3
                ? target
                : new Frame(width, height, Frame.DEPTH_UBYTE, 3);
        sws = sws_getCachedContext(sws, width, height, picture.format(), width, height, AV_PIX_FMT_BGR24, SWS_BILINEAR, null, null,
                (DoublePointer) null);
        if (sws == null) throw new IngestException("cannot convert frames of pixel format " + picture.format() + " to BGR");
        BytePointer pixels = new BytePointer((ByteBuffer) bgr.image[0].position(0));
        // an AVFrame starts with its plane pointers, so it reads as the source plane array (as in FFmpegFrameGrabber)
        PointerPointer<BytePointer> planes = new PointerPointer<>(picture);
        try (PointerPointer<BytePointer> output = new PointerPointer<BytePointer>(1).put(0, pixels);
                IntPointer strides = new IntPointer(bgr.imageStride, 0, 0, 0)) {
            sws_scale(sws, planes, picture.linesize(), 0, height, output, strides);
        }
        return bgr;
    }

    /** Converts {@code picture} into a new image that the caller owns (safe to hand to another thread). */
    BufferedImage toImage(AVFrame picture) {
        try (Frame bgr = toBgr(picture, null)) {
            // a new converter per frame: the converter reuses its image, and this one leaves the thread
            return new Java2DFrameConverter().convert(bgr);
        }
    }

    @Override
    public void close() {
        if (sws != null) {
            sws_freeContext(sws);
            sws = null;
        }
    }
}
