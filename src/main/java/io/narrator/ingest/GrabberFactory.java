package io.narrator.ingest;

import org.bytedeco.javacv.FFmpegFrameGrabber;

/**
 * Opens a source for reading: the seam where tests put a fake source in place of a camera or stream.
 *
 * <p>An opened grabber is started, reads only the video stream, and is in
 * {@link org.bytedeco.javacv.FrameGrabber.ImageMode#RAW RAW} image mode, so decoded frames come out
 * unconverted (with the {@code AVFrame} in {@code Frame.opaque}) and ingest converts only the frames it keeps.
 */
@FunctionalInterface
public interface GrabberFactory {

    /** The factory that opens files, URLs and devices with FFmpeg. */
    static GrabberFactory ffmpeg() {
        return FFmpegGrabberFactory.INSTANCE;
    }

    /**
     * Opens and starts a grabber on {@code source}.
     *
     * @throws IngestException naming the source and the problem when it cannot be opened
     */
    FFmpegFrameGrabber open(VideoSource source);
}
