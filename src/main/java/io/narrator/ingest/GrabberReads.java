package io.narrator.ingest;

import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;

/** The two ways ingest reads an opened grabber, with a failure mid-way reported as a {@link SourceDroppedException}. */
final class GrabberReads {
    private GrabberReads() {}

    /**
     * The next decoded video frame, unconverted ({@code Frame.opaque} is its {@link AVFrame}, valid until
     * the next read), or null at the end of the stream.
     */
    static Frame nextPicture(FFmpegFrameGrabber grabber, VideoSource source) {
        while (true) {
            Frame frame;
            try {
                frame = grabber.grabFrame(false, true, true, false, false);
            } catch (Exception e) {
                throw dropped(source, e);
            }
            if (frame == null) return null;
            if (frame.type == Frame.Type.VIDEO && frame.opaque instanceof AVFrame) return frame;
        }
    }

    /** The next compressed packet of any stream (the caller unreferences it), or null at the end of the stream. */
    static AVPacket nextPacket(FFmpegFrameGrabber grabber, VideoSource source) {
        try {
            return grabber.grabPacket();
        } catch (Exception e) {
            throw dropped(source, e);
        }
    }

    private static SourceDroppedException dropped(VideoSource source, Exception e) {
        return new SourceDroppedException("reading " + FFmpegErrors.describe(source) + " failed: " + e.getMessage(), e);
    }
}
